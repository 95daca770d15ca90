"""Kill the bot (SIGKILL) with payments in flight, pay while it is down, start it again:
everything reconciles. The bot runs as `python -m bots.cli run` against a stand-in started
here; only the database and the stand-in outlive it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bots.runtime.events import EventBus
from bots.runtime.links import LinkService
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[3]
SECRET = "restart-secret"
TOKEN = "TEST-restart-token"


class BotProcess:
    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> str:
        self.log.write_text("")
        with self.log.open("w") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bots.cli",
                "run",
                "--config",
                str(self.config),
                cwd=ROOT,
                stdout=out,
                stderr=out,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        # 120 s only bounds a start that hangs: a loaded 2-core machine took over 30 s
        for _ in range(2400):
            found = re.search(r"Web app:\s+(http://\S+)", self.log.read_text())
            if found:
                return found.group(1)
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not start:\n{self.log.read_text()}")

    async def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        await self.proc.wait()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        mp_webhook_secret=SECRET, mp_access_token=TOKEN, mp_webhook_retry_delay=0.01
    )
    async with Sandbox(config) as running:
        yield running


async def eventually(check: object, what: str, rounds: int = 300) -> None:
    for _ in range(rounds):
        if await asyncio.to_thread(check):  # type: ignore[arg-type]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


async def test_killed_bot_reconciles_on_restart(tmp_path: Path, sandbox: Sandbox) -> None:
    db = tmp_path / "vivo.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
name = "Reinicio"
database_url = "sqlite:///{db}"
[web]
port = 0
[payments.mercadopago]
access_token = "{TOKEN}"
webhook_secret = "{SECRET}"
endpoint = "{sandbox.url}/mercadopago"
[[products]]
sku = "TAZA"
name = "Taza"
price = "8500"
stock = 3
"""
    )
    store = Store(f"sqlite:///{db}")
    store.migrate()
    store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=3)])
    provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox.url}/mercadopago")
    links = LinkService(store, provider, EventBus(), store_name="Reinicio")
    mp = sandbox.mercadopago

    def order(user: str) -> OrderView:
        made = store.reserve(
            ViewerRef("console", user, user), "c", [LineRequest("TAZA")], ttl=timedelta(minutes=15)
        )
        link = provider.create_link(links._order_request(made))
        return store.set_order_link(made.code, link.url, link.preference_id)

    in_flight, while_down, declined = [
        await asyncio.to_thread(order, user) for user in ("ana", "beto", "caro")
    ]
    bot = BotProcess(config, tmp_path / "bot1.log")
    web_url = await bot.start()
    mp.webhook_url = f"{web_url}/webhooks/mercadopago"
    try:
        # The API goes down; a payment's webhook is acknowledged (persisted) but not processed.
        mp.set_faults(error_rate=1.0)
        mp.pay(mp.preferences[str(in_flight.preference_id)])
        await mp.drain()
        assert [d["status"] for d in mp.deliveries] == [200]
        assert len(store.unprocessed_notifications()) == 1
    finally:
        await bot.kill()  # no clean shutdown

    # While the bot is dead: one more approved payment (its webhooks fail) and one declined.
    mp.pay(mp.preferences[str(while_down.preference_id)])
    mp.pay(mp.preferences[str(declined.preference_id)], status="rejected")
    await mp.drain()
    assert all(d["status"] is None for d in mp.deliveries[1:])
    assert store.get_order(in_flight.code).status is OrderStatus.PENDING
    mp.set_faults(error_rate=0.0)

    bot = BotProcess(config, tmp_path / "bot2.log")
    await bot.start()
    try:
        await eventually(
            lambda: (
                store.get_order(in_flight.code).status is OrderStatus.PAID
                and store.get_order(while_down.code).status is OrderStatus.PAID
                and not store.unprocessed_notifications()
            ),
            "both payments recorded and the notification processed",
        )
    finally:
        await bot.kill(signal.SIGTERM)
    assert bot.proc is not None and bot.proc.returncode == 0
    assert store.get_order(declined.code).status is OrderStatus.PENDING
    assert store.get_product("TAZA").available == 0  # 2 sold, 1 still reserved
    assert [p.effect for p in store.payments_for(in_flight.code)] == ["paid"]
    store.close()
