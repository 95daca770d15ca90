"""`vivo demo`: the whole bot on loopback stand-ins, with a fresh store and no credentials.

The sandbox plays MercadoPago (and, as they land, the chat platforms); the real provider
code talks to it over HTTP exactly as it would to MercadoPago, so what works here is what
runs in production.
"""

from __future__ import annotations

import dataclasses
import errno
import sys
import tempfile
from pathlib import Path

from adapters.base import Adapter
from bots.chat.claims import startup_lines
from bots.chat.suggest import make_suggest
from bots.config import Config, ConfigError, Problem, load_config
from bots.runtime.bot import Bot, Endpoints
from bots.runtime.launch import (
    make_adapters,
    make_provider,
    open_store,
    start_web,
    startup_summary,
    wait_for_exit,
)
from bots.runtime.logs import install_redactor, route_to_file
from commerce.store import Store
from sandbox.app import Sandbox, SandboxConfig

DEMO_TOKEN = "TEST-0000000000000000-demo"
DEMO_SECRET = "vivo-demo-webhook-secret"
EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


async def run_demo(*, web_port: int = 0, sandbox_port: int = 0, config_path: Path = EXAMPLE) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="vivo-demo-"))
    # the console chat is this terminal; the log goes next to the demo's store
    log_file = workdir / "vivo.log"
    route_to_file(log_file)
    sandbox = new_sandbox()
    try:
        await sandbox.start(port=sandbox_port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise ConfigError(
            [
                Problem(
                    "--sandbox-port",
                    f"{sandbox_port} is already in use",
                    "pass another --sandbox-port, or leave it out for any free port",
                )
            ],
            "vivo demo",
        ) from None
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
    install_redactor([*config.secrets(), *sandbox_secrets(sandbox)])
    try:
        endpoints = await start_web(
            bot, "vivo demo", "pass another --web-port, or leave it out for any free port"
        )
        # What an owner sets once in MercadoPago's dashboard: where to send notifications.
        sandbox.mercadopago.webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
        sandbox.chatpage.links["Overlay (OBS)"] = f"{endpoints.web_url}/overlay?preview=1"
        _banner(bot, endpoints, sandbox.url, workdir, log_file)
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


def sandbox_secrets(sandbox: Sandbox) -> list[str]:
    """The stand-ins' credentials: logged URLs carry them just as they would real ones."""
    found = [sandbox.telegram.token, sandbox.twitch.client_secret, DEMO_TOKEN, DEMO_SECRET]
    return [s for s in found if isinstance(s, str) and s]


CONSOLE_HELP = (
    "  Type as a viewer:  !tienda   !comprar remera M   !pedido   !propina 500 ¡grande!",
    "  As the owner (/dueño): !destacar remera   !meta 50000   !stock remera M 10",
    "  Console only:      /pagar (pays your last link)   /rechazar   /como beto [mod|dueño]",
    "                     /mod   /dueño   /viewer (your own role)",
    "  Ctrl-D or Ctrl-C to quit.",
)


def _banner(
    bot: Bot, endpoints: Endpoints, sandbox_url: str, workdir: Path, log_file: Path
) -> None:
    owner_codes = startup_lines(bot.claims, bot.adapters)
    lines = [
        "",
        "  Vivo demo — everything runs on this machine, no accounts needed.",
        *(
            "  " + line
            for line in startup_summary(
                bot.config,
                endpoints,
                log_file=log_file,
                payments=f"the stand-in's signed webhooks to {endpoints.web_url}/webhooks/"
                "mercadopago, and polling",
            ).splitlines()[1:-1]
        ),
        f"  Chat page (Twitch, YouTube, Discord, Telegram): {sandbox_url}/",
        f"  Payments sandbox (MercadoPago stand-in):        {sandbox_url}/mercadopago",
        f"  Store (fresh SQLite): {workdir / 'demo.db'}",
        "",
        *CONSOLE_HELP,
        "",
        *(f"  {line.strip()}" for line in owner_codes.splitlines()),
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
