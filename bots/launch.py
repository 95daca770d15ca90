"""Building a bot from a Config: the store, the payment provider and the enabled adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from adapters.base import Adapter
from adapters.console import ConsoleAdapter
from bots.config import Config, ConfigError, Problem
from bots.runtime import Bot
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store

log = logging.getLogger(__name__)


def make_provider(config: Config) -> MercadoPagoProvider:
    mp = config.mercadopago
    if mp is None:
        raise ConfigError(
            [
                Problem(
                    "payments.mercadopago",
                    "is missing",
                    "add [payments.mercadopago] (see config.example.toml)",
                )
            ]
        )
    return MercadoPagoProvider(mp.access_token, mp.webhook_secret, endpoint=mp.endpoint)


def make_adapters(config: Config, *, sandbox_url: str | None = None) -> list[Adapter]:
    adapters: list[Adapter] = []
    problems: list[Problem] = []
    for name in config.enabled_platforms():
        if name == "console":
            adapters.append(ConsoleAdapter(sandbox_url=sandbox_url))
        else:
            problems.append(
                Problem(
                    f"platforms.{name}.enabled",
                    f"the {name} adapter is not part of this release yet",
                    "set enabled = false",
                )
            )
    if problems:
        raise ConfigError(problems)
    return adapters


def open_store(config: Config) -> Store:
    store = Store(config.database_url)
    store.migrate()
    store.sync_catalog(list(config.products))
    return store


async def run_bot(config: Config) -> int:
    store = open_store(config)
    bot = Bot(config, store, make_provider(config), make_adapters(config))
    endpoints = await bot.start()
    print(
        f"Vivo is running for {config.settings.store_name}. Web: {endpoints.web_url}",
        file=sys.stderr,
    )
    await wait_for_exit(bot)
    return 0


async def wait_for_exit(bot: Bot) -> None:
    """Until Ctrl-C, SIGTERM or (for the console) the end of input; then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    waiters = [asyncio.ensure_future(stop.wait())]
    console = bot.adapters.get("console")
    if isinstance(console, ConsoleAdapter):
        waiters.append(asyncio.ensure_future(console.eof.wait()))
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    if isinstance(console, ConsoleAdapter) and console.eof.is_set() and not stop.is_set():
        await bot.wait_idle()
    for w in waiters:
        w.cancel()
    await bot.stop()
    store = bot.store
    await asyncio.to_thread(store.close)
