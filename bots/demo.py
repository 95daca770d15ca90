"""`vivo demo`: the whole bot on loopback stand-ins, with a fresh store and no credentials.

The sandbox plays MercadoPago (and, as they land, the chat platforms); the real provider
code talks to it over HTTP exactly as it would to MercadoPago, so what works here is what
runs in production.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path

from bots.config import load_config
from bots.launch import make_adapters, make_provider, open_store, wait_for_exit
from bots.runtime import Bot
from sandbox.app import Sandbox, SandboxConfig

DEMO_TOKEN = "TEST-0000000000000000-demo"
DEMO_SECRET = "vivo-demo-webhook-secret"
EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


async def run_demo(*, web_port: int = 0, sandbox_port: int = 0, config_path: Path = EXAMPLE) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="vivo-demo-"))
    env = dict(os.environ, MP_ACCESS_TOKEN=DEMO_TOKEN, MP_WEBHOOK_SECRET=DEMO_SECRET)
    config = load_config(config_path, env)

    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=DEMO_SECRET, mp_access_token=DEMO_TOKEN))
    await sandbox.start(port=sandbox_port)
    assert config.mercadopago is not None
    config = dataclasses.replace(
        config,
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        mercadopago=dataclasses.replace(config.mercadopago, endpoint=f"{sandbox.url}/mercadopago"),
        platforms={**config.platforms, "console": {"enabled": True}},
    )
    store = open_store(config)
    bot = Bot(
        config,
        store,
        make_provider(config),
        make_adapters(config, sandbox_url=sandbox.url),
        poll_payments=True,
        web_port=web_port,
    )
    try:
        endpoints = await bot.start_services()
        # What an owner sets once in MercadoPago's dashboard: where to send notifications.
        sandbox.mercadopago.webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
        _banner(endpoints.web_url, sandbox.url, workdir)
        await bot.start_adapters()
        await wait_for_exit(bot)
    finally:
        await sandbox.stop()
    return 0


def _banner(web_url: str, sandbox_url: str, workdir: Path) -> None:
    lines = [
        "",
        "  Vivo demo — everything runs on this machine, no accounts needed.",
        f"  Payments sandbox (MercadoPago stand-in): {sandbox_url}/mercadopago",
        f"  Bot web app (webhooks, short links):     {web_url}",
        f"  Store (fresh SQLite):                    {workdir / 'demo.db'}",
        "",
        "  Type as a viewer:  !tienda   !comprar remera M   !pedido   !propina 500 ¡grande!",
        "  Console only:      /pagar (pays your last link)   /como beto   /mod   /dueño",
        "  Ctrl-D or Ctrl-C to quit.",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)
