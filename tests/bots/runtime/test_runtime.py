"""The running bot: once-only messages, platform tips, expiry announcements, thanks in place."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.base import Inbox, Priority
from bots.runtime.bot import CLAIM_RETENTION
from bots.testing import RecordingAdapter, Stage, open_stage, until
from commerce.models import PROCESSED_MESSAGES
from commerce.views import LineRequest, OrderStatus, TipSource, TipStatus, ViewerRef


async def test_a_redelivered_message_buys_once(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.say("ana", "!comprar taza", message_id="42")
        await chat.say("ana", "!comprar taza", message_id="42")
        await stage.bot.wait_idle(quiet=0.2)
        assert len(stage.store.viewer_orders("rec", "ana")) == 1
        assert stage.store.get_product("TAZA-01").available == 19
        assert len([r for r in chat.to("ana") if r.private]) == 1


async def test_paid_order_is_thanked_in_the_chat_it_came_from(tmp_path: Path) -> None:
    chat = RecordingAdapter(channel="canal-7")
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.say("ana", "!comprar taza")
        [order] = stage.store.viewer_orders("rec", "ana")
        await stage.pay(order.code)
        thanks = stage.bot.messages.t(
            "es", "order_paid_thanks", name="ana", product="Taza del stream", code=order.code
        )
        reply = await until(lambda: next((r for r in chat.sent if r.text == thanks), None))
        assert reply.channel == "canal-7" and reply.priority is Priority.ANNOUNCE
        assert stage.store.get_order(order.code).status is OrderStatus.PAID


async def test_bits_become_a_paid_tip_thanked_once(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        for _ in range(2):  # a redelivered cheer
            await chat.tip("ana", Decimal("3.00"), "USD", "¡vamos!", "cheer-1")
        await stage.bot.wait_idle(quiet=0.2)
        [tip] = stage.store.list_tips()
        assert tip.status is TipStatus.PAID and tip.source is TipSource.BITS
        assert tip.amount.amount == Decimal("3.00") and tip.message == "¡vamos!"
        thanks = [r for r in chat.to("ana") if "¡vamos!" in r.text]
        assert len(thanks) == 1


async def test_an_expired_reservation_is_announced_and_released(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], expiry_interval=0.05) as stage:
        order = await asyncio.to_thread(
            stage.store.reserve,
            ViewerRef("rec", "ana", "ana"),
            "chan",
            [LineRequest("TAZA-01", 2)],
            ttl=timedelta(seconds=0),
        )
        expired = stage.bot.messages.t("es", "order_expired", name="ana", code=order.code)
        await until(lambda: any(r.text == expired for r in chat.to("ana")))
        assert stage.store.get_order(order.code).status is OrderStatus.EXPIRED
        assert stage.store.get_product("TAZA-01").available == 20


async def test_bits_valued_in_any_iso_currency_are_recorded(tmp_path: Path) -> None:
    """Issue 11: a cheer valued in EUR raised `unsupported currency` and was lost."""
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.tip("ana", Decimal("1.50"), "EUR", "¡hola!", "cheer-eur")
        await chat.tip("beto", Decimal("500"), "JPY", "やあ", "cheer-jpy")
        await stage.bot.wait_idle(quiet=0.2)
        tips = {t.amount.currency: t.amount.amount for t in stage.store.list_tips()}
        assert tips == {"EUR": Decimal("1.50"), "JPY": Decimal("500")}
        assert len([r for r in chat.sent if "Gracias" in r.text]) == 2


def _claims(stage: Stage) -> int:
    with stage.store._engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(PROCESSED_MESSAGES)).scalar_one())


async def test_only_commands_are_claimed(tmp_path: Path) -> None:
    """Issue 11: every chat line left a row in processed_messages, forever."""
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        for line in ("hola a todos", "jaja", "!hola", "que buena remera", "¿cuánto sale?"):
            await chat.say("ana", line)
        await chat.say("ana", "!tienda")
        await stage.bot.wait_idle(quiet=0.2)
        assert _claims(stage) == 1
        assert len(chat.to("ana")) == 1


async def test_old_claims_are_pruned_by_the_expiry_loop(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], expiry_interval=0.05) as stage:
        old = datetime.now(UTC) - CLAIM_RETENTION - timedelta(hours=1)
        for n in range(3):
            assert stage.store.claim_message("rec", f"old-{n}", now=old)
        stage.bot._last_prune = float("-inf")  # the loop may have pruned before these existed
        await chat.say("ana", "!tienda", message_id="fresh")
        await until(lambda: _claims(stage) == 1)
        # the fresh claim still de-duplicates; the pruned ones are forgotten
        assert not stage.store.claim_message("rec", "fresh")
        assert stage.store.claim_message("rec", "old-0")


class Unreachable(RecordingAdapter):
    """A platform that refuses the first `failures` connections."""

    def __init__(self, failures: int, platform: str) -> None:
        super().__init__(platform)
        self.failures = failures
        self.attempts = 0

    async def start(self, inbox: Inbox) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise OSError(f"connection refused (attempt {self.attempts})")
        await super().start(inbox)


async def test_a_platform_down_at_start_is_retried_while_the_others_serve(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    up, down = RecordingAdapter("up"), Unreachable(2, "down")
    options = {"connect_retry": (0.01, 0.02)}
    async with open_stage(tmp_path, lambda *_: [up, down], **options) as stage:
        await up.say("ana", "!tienda")
        await until(lambda: up.to("ana"))
        await until(lambda: "down" in stage.bot.connected)
        await down.say("beto", "!tienda")
        await until(lambda: down.to("beto"))
    failures = [r.getMessage() for r in caplog.records if "cannot connect" in r.getMessage()]
    assert (
        failures[0]
        == "down: cannot connect (OSError: connection refused (attempt 1)); retrying in 0 s"
    )
    assert len(failures) == 2 and down.attempts == 3


async def test_stopping_while_a_platform_is_still_down_ends_its_retries(tmp_path: Path) -> None:
    down = Unreachable(10**6, "down")
    async with open_stage(tmp_path, lambda *_: [down], connect_retry=(0.01, 0.01)) as stage:
        await until(lambda: down.attempts >= 3)
        retries = list(stage.bot._connecting)
    assert retries and all(task.done() for task in retries)


async def test_the_expiry_loop_erases_old_delivery_details(tmp_path: Path) -> None:
    from commerce.views import DeliveryDetails

    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], expiry_interval=0.05) as stage:
        long_ago = datetime.now(UTC) - timedelta(days=200)
        order = stage.store.reserve(
            ViewerRef("rec", "ana", "ana"),
            "c",
            [LineRequest("TAZA-01")],
            ttl=timedelta(minutes=15),
            now=long_ago,
        )
        details = DeliveryDetails(name="Ana Pérez", contact="ana@mail.com")
        stage.store.set_delivery_details(
            order.code, stage.bot.config.delivery, "local", details, now=long_ago
        )
        stage.store.cancel_order(order.code)
        stage.bot._last_prune = float("-inf")  # the loop may have pruned before this existed
        await until(lambda: stage.store.delivery_details(order.code) is None)
        assert stage.store.get_order(order.code).status is OrderStatus.CANCELLED
