"""Owner alerts end to end: real python-telegram-bot and discord.py against the stand-ins.

A viewer buys on Telegram and pays in the MercadoPago sandbox; the owner, who claimed the
store on both platforms, is told in their private chat with the Telegram bot and by
Discord DM, and the panel's list has it. Digest mode batches several sales into one
message; a Telegram outage loses nothing: the panel has the alert and Telegram gets it
once it is back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.base import Adapter
from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.alerts import AlertKind
from commerce.money import Money
from commerce.store import Store
from commerce.views import OrderView
from sandbox.app import Sandbox
from tests.adapters.test_discord_delivery import keep_discord_endpoints

TOKEN = "MTIz.sandbox.bot-token"


@dataclass
class Both(Stage):
    owner_telegram: int = 0
    owner_discord: str = ""

    def owner_chat(self) -> list[str]:
        """What the bot said in the owner's private Telegram chat."""
        return [
            e["text"]
            for e in self.sandbox.telegram.sent
            if e["method"] == "sendMessage" and e["chat_id"] == self.owner_telegram
        ]

    def owner_dms(self) -> list[str]:
        return [
            s["content"]
            for s in self.sandbox.discord.sent
            if s["kind"] == "dm" and s["user"] == "lu"
        ]

    async def buy_and_pay(self, buyer: str, product: str = "taza") -> OrderView:
        tg = self.sandbox.telegram
        tg.say(buyer, "hola", chat="private")  # opened the bot: links come privately
        tg.say(buyer, f"/comprar {product}")
        user_id = str(tg.user(buyer)["id"])
        [order] = await until(lambda: self.store.viewer_orders("telegram", user_id) or None)
        await until(lambda: self.store.get_order(order.code).link_sent_at)
        await self.pay(order.code)
        await until(lambda: self.store.get_order(order.code).paid_at)
        return order


def both(config: Config, store: Store, sandbox: Sandbox) -> list[Adapter]:
    return [
        TelegramAdapter(
            sandbox.telegram.token, endpoint=f"{sandbox.url}/telegram", poll_timeout=1.0
        ),
        DiscordAdapter(TOKEN, endpoint=f"{sandbox.url}/discord", guild_ready_timeout=0.05),
    ]


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Both]:
    keep_discord_endpoints(monkeypatch)
    async with open_stage(tmp_path, both) as whole:
        await until(lambda: {"telegram", "discord"} <= whole.bot.connected)
        tg = whole.sandbox.telegram
        tg.say("Lu", "hola", chat="private")  # the owner opened their chat with the bot
        owner_tg = int(tg.user("Lu")["id"])
        owner_dc = whole.sandbox.discord._user("lu").id
        # As `!soy-dueño CODE` leaves it (bots/commands/claim.py): owners in the store.
        whole.store.add_owner("telegram", str(owner_tg), "Lu")
        whole.store.add_owner("discord", owner_dc, "lu")
        whole.bot.alerts.retry_first = timedelta(seconds=0.2)
        whole.bot.alerts.tick = 0.1
        whole.bot.services.conversations = None  # buyers here go straight to the link
        yield Both(**vars(whole), owner_telegram=owner_tg, owner_discord=owner_dc)


def _money(stage: Stage, amount: str) -> str:
    return stage.bot.messages.money(Money(Decimal(amount), "ARS"), "es")


async def test_a_paid_order_reaches_the_owner_on_telegram_and_discord_and_the_panel(
    stage: Both,
) -> None:
    order = await stage.buy_and_pay("ana")

    [told] = await until(lambda: [t for t in stage.owner_chat() if order.code in t] or None)
    [dm] = await until(lambda: [t for t in stage.owner_dms() if order.code in t] or None)
    assert told == dm
    assert "Taza del stream" in told and _money(stage, "8500") in told
    assert "ana" in told and "Telegram" in told
    # The buyer's chat never sees the owner's alert.
    ana = stage.sandbox.telegram.user("ana")["id"]
    buyer_texts = [e["text"] for e in stage.sandbox.telegram.sent if e.get("chat_id") == ana]
    assert told not in buyer_texts

    [alert] = await until(lambda: [a for a in stage.store.list_alerts() if a.sent_to] or None)
    assert alert.kind is AlertKind.PAID and alert.code == order.code
    await until(lambda: set(stage.store.list_alerts()[0].sent_to) == {"telegram", "discord"})


async def test_digest_mode_sends_one_message_for_several_sales(stage: Both) -> None:
    alerts = stage.bot.alerts
    alerts.settings = replace(alerts.settings, digest=True, digest_minutes=15)
    first = await stage.buy_and_pay("ana")
    second = await stage.buy_and_pay("beto")
    await until(lambda: len(stage.store.list_alerts([AlertKind.PAID])) == 2)
    await alerts.dispatch()
    assert not any(first.code in t or second.code in t for t in stage.owner_chat())

    later = datetime.now(UTC) + timedelta(minutes=16)
    alerts.clock = lambda: later  # the digest's period is over
    alerts.wake()
    [digest] = await until(lambda: [t for t in stage.owner_chat() if "pedidos" in t] or None)
    assert f"2 pedidos pagados ({_money(stage, '17000')})" in digest
    [dm] = await until(lambda: stage.owner_dms() or None)
    assert dm == digest
    await stage.bot.wait_idle(quiet=0.5)
    assert len([t for t in stage.owner_chat() if "pedido" in t.lower()]) == 1


async def test_a_telegram_outage_loses_no_alert(
    stage: Both, caplog: pytest.LogCaptureFixture
) -> None:
    tg = stage.sandbox.telegram
    tg.say("ana", "hola", chat="private")
    tg.say("ana", "/comprar taza")
    user_id = str(tg.user("ana")["id"])
    [order] = await until(lambda: stage.store.viewer_orders("telegram", user_id) or None)
    await until(lambda: stage.store.get_order(order.code).link_sent_at)

    caplog.set_level(logging.ERROR, logger="bots.runtime.outbox")
    tg.faults.server_errors = 100_000  # Telegram answers 502 to everything
    await stage.pay(order.code)
    await until(lambda: [r for r in caplog.records if "sending to telegram" in r.getMessage()])
    await until(lambda: stage.owner_dms() or None)  # Discord is unaffected
    # the DM is recorded as sent once Discord has answered it, a moment after it arrived
    await until(lambda: stage.store.list_alerts()[0].sent_to or None)
    [alert] = stage.store.list_alerts()
    assert alert.code == order.code
    assert alert.sent_to == ("discord",) and alert.waiting_for == ("telegram",)
    assert not [t for t in stage.owner_chat() if order.code in t]

    tg.faults.server_errors = 0  # Telegram is back
    await until(lambda: [t for t in stage.owner_chat() if order.code in t] or None, timeout=30)
    await until(lambda: stage.store.list_alerts()[0].waiting_for == ())
