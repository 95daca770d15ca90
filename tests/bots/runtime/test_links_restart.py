"""`kill -9` during `!comprar`, then a restart: every reservation's link reaches its buyer
once, or the reservation is released by expiry. The bot runs as `python -m bots.cli run`
against Telegram and MercadoPago stand-ins started here; only they and the database
outlive it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from commerce.store import Store
from commerce.views import OrderStatus, OrderView
from sandbox.app import Sandbox, SandboxConfig
from tests.bots.runtime.test_payments_restart import BotProcess, eventually

SECRET = "links-restart-secret"
TOKEN = "TEST-links-restart"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN)
    async with Sandbox(config) as running:
        yield running


def write_config(tmp_path: Path, sandbox: Sandbox) -> tuple[Path, Store]:
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
[platforms.telegram]
enabled = true
token = "{sandbox.telegram.token}"
endpoint = "{sandbox.url}/telegram"
[[products]]
sku = "TAZA"
name = "Taza"
price = "8500"
stock = 3
"""
    )
    return config, Store(f"sqlite:///{db}")


def links_to(sandbox: Sandbox, chat_id: int, code: str) -> list[str]:
    """Messages in the buyer's chat that carry the order's payment link."""
    return [
        e["text"]
        for e in sandbox.telegram.sent
        if e["chat_id"] == chat_id and code in e["text"] and re.search(r"https?://", e["text"])
    ]


async def buyer_order(store: Store, user_id: str) -> OrderView:
    found: list[OrderView] = []

    def placed() -> bool:
        found[:] = store.viewer_orders("telegram", user_id)
        return bool(found)

    await eventually(placed, "the order is reserved")
    return found[0]


async def test_killed_after_the_link_was_made_but_not_sent(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    config, store = write_config(tmp_path, sandbox)
    # Telegram holds the bot's replies back (429, retry after 8 s): the link waits its turn.
    sandbox.telegram.faults.rate_limit_count = 1
    sandbox.telegram.faults.rate_limit_retry_after = 8
    bot = BotProcess(config, tmp_path / "bot1.log")
    await bot.start()
    try:
        said = sandbox.telegram.say("ana", "!comprar taza", chat="private")
        chat_id = said["message"]["chat"]["id"]
        order = await buyer_order(store, str(said["message"]["from"]["id"]))
        await eventually(lambda: store.get_order(order.code).payment_url, "the link is made")
    finally:
        await bot.kill()  # SIGKILL: no clean shutdown
    assert links_to(sandbox, chat_id, order.code) == []  # the kill came before the send
    assert store.get_order(order.code).link_sent_at is None

    for run in (2, 3):  # a second restart sends nothing more
        bot = BotProcess(config, tmp_path / f"bot{run}.log")
        await bot.start()
        try:
            await eventually(
                lambda: store.get_order(order.code).link_sent_at, "the link is handed over"
            )
            assert len(links_to(sandbox, chat_id, order.code)) == 1
        finally:
            await bot.kill()
    assert store.get_order(order.code).status is OrderStatus.PENDING
    assert len(links_to(sandbox, chat_id, order.code)) == 1
    assert len(store.viewer_orders("telegram", order.viewer.user_id)) == 1  # redelivery deduped
    store.close()


async def test_killed_before_the_link_was_made(tmp_path: Path, sandbox: Sandbox) -> None:
    config, store = write_config(tmp_path, sandbox)
    sandbox.mercadopago.set_faults(error_rate=1.0)  # no preference can be made
    bot = BotProcess(config, tmp_path / "bot1.log")
    await bot.start()
    try:
        said = sandbox.telegram.say("beto", "!comprar taza", chat="private")
        chat_id = said["message"]["chat"]["id"]
        order = await buyer_order(store, str(said["message"]["from"]["id"]))
        await eventually(
            lambda: any(
                e["chat_id"] == chat_id and order.code in e["text"] for e in sandbox.telegram.sent
            ),
            "the buyer hears the link is on its way",
        )
    finally:
        await bot.kill()
    assert store.get_order(order.code).payment_url is None
    sandbox.mercadopago.set_faults(error_rate=0.0)

    bot = BotProcess(config, tmp_path / "bot2.log")
    await bot.start()
    try:
        await eventually(
            lambda: store.get_order(order.code).link_sent_at, "the link is handed over"
        )
        assert len(links_to(sandbox, chat_id, order.code)) == 1
    finally:
        await bot.kill()
    store.close()
