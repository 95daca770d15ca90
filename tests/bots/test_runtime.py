"""The running bot: once-only messages, platform tips, expiry announcements, thanks in place."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from adapters.base import Priority
from bots.testing import RecordingAdapter, open_stage, until
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
