"""`vivo demo`: the whole bot on loopback stand-ins, with a fresh store and no credentials.

The sandbox plays MercadoPago (and, as they land, the chat platforms); the real provider
code talks to it over HTTP exactly as it would to MercadoPago, so what works here is what
runs in production.
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
from pathlib import Path

from adapters.base import Adapter
from bots.config import Config, load_config
from bots.launch import make_adapters, make_provider, open_store, wait_for_exit
from bots.runtime import Bot
from bots.suggest import make_suggest
from commerce.store import Store
from sandbox.app import Sandbox, SandboxConfig

DEMO_TOKEN = "TEST-0000000000000000-demo"
DEMO_SECRET = "vivo-demo-webhook-secret"
EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


async def run_demo(*, web_port: int = 0, sandbox_port: int = 0, config_path: Path = EXAMPLE) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="vivo-demo-"))
    sandbox = new_sandbox()
    await sandbox.start(port=sandbox_port)
    config = dataclasses.replace(
        sandbox_config(workdir, sandbox, config_path),
        # The console is the demo's own chat; the other platforms are built below, on the sandbox.
        platforms={"console": {"enabled": True}},
    )
    store = open_store(config)
    adapters = [
        *make_adapters(config, store, sandbox_url=sandbox.url),
        *sandbox_adapters(config, store, sandbox),
    ]
    bot = Bot(
        config,
        store,
        make_provider(config),
        adapters,
        poll_payments=True,
        web_port=web_port,
        short_links=True,
    )
    try:
        endpoints = await bot.start_services()
        # What an owner sets once in MercadoPago's dashboard: where to send notifications.
        sandbox.mercadopago.webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
        sandbox.chatpage.links["Overlay (OBS)"] = f"{endpoints.web_url}/overlay?preview=1"
        _banner(endpoints.web_url, sandbox.url, workdir)
        print(f"  Owner's panel (one-use sign-in link): {bot.panel_link()}\n", file=sys.stderr)
        await bot.start_adapters()
        await wait_for_exit(bot)
    finally:
        await sandbox.stop()
    return 0


def new_sandbox() -> Sandbox:
    """A sandbox whose MercadoPago knows the demo's credentials."""
    return Sandbox(SandboxConfig(mp_webhook_secret=DEMO_SECRET, mp_access_token=DEMO_TOKEN))


def sandbox_config(workdir: Path, sandbox: Sandbox, path: Path = EXAMPLE) -> Config:
    """The example config with the sandbox's credentials, a fresh store in `workdir` and the
    MercadoPago stand-in as the API endpoint."""
    env = {"MP_ACCESS_TOKEN": DEMO_TOKEN, "MP_WEBHOOK_SECRET": DEMO_SECRET}
    config = load_config(path, env)
    if config.mercadopago is None:
        raise ValueError(f"{path} has no [payments.mercadopago] section")
    return dataclasses.replace(
        config,
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        mercadopago=dataclasses.replace(config.mercadopago, endpoint=f"{sandbox.url}/mercadopago"),
    )


def sandbox_adapters(config: Config, store: Store, sandbox: Sandbox) -> list[Adapter]:
    """Every chat platform's real adapter, pointed at its stand-in with sandbox credentials."""
    from google.oauth2.credentials import Credentials

    from adapters.discord import DiscordAdapter
    from adapters.telegram import TelegramAdapter
    from adapters.twitch import TwitchAdapter
    from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, Tokens
    from adapters.youtube import YouTubeAdapter

    twitch = sandbox.twitch
    bot_token = twitch.mint(twitch.bot.login, BOT_SCOPES)
    owner_token = twitch.mint(twitch.broadcaster.login, BROADCASTER_SCOPES)
    return [
        TelegramAdapter(
            sandbox.telegram.token,
            endpoint=f"{sandbox.url}/telegram",
            locale=config.settings.locale,
        ),
        DiscordAdapter(
            "sandbox-discord-token",
            endpoint=f"{sandbox.url}/discord",
            suggest=make_suggest(store),
        ),
        TwitchAdapter(
            twitch.client_id,
            twitch.client_secret,
            bot_token=Tokens(bot_token.access, bot_token.refresh or ""),
            broadcaster_token=Tokens(owner_token.access, owner_token.refresh or ""),
            channel=twitch.broadcaster.login,
            endpoint=f"{sandbox.url}/twitch",
        ),
        YouTubeAdapter(
            Credentials(token="sandbox-youtube-token"),  # type: ignore[no-untyped-call]
            endpoint=f"{sandbox.url}/youtube",
        ),
    ]


def _banner(web_url: str, sandbox_url: str, workdir: Path) -> None:
    lines = [
        "",
        "  Vivo demo — everything runs on this machine, no accounts needed.",
        f"  Payments sandbox (MercadoPago stand-in): {sandbox_url}/mercadopago",
        f"  Bot web app (webhooks, short links):     {web_url}",
        f"  Chat page (Twitch, YouTube, Discord, Telegram): {sandbox_url}/",
        f"  Stream overlay (OBS browser source, 1920×1080): {web_url}/overlay",
        f"  Store (fresh SQLite):                    {workdir / 'demo.db'}",
        "",
        "  Type as a viewer:  !tienda   !comprar remera M   !pedido   !propina 500 ¡grande!",
        "  As the owner (/dueño): !destacar remera   !meta 50000   !stock remera M 10",
        "  Console only:      /pagar (pays your last link)   /como beto   /mod   /dueño",
        "  Ctrl-D or Ctrl-C to quit.",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
