"""Buyers on a platform without private messages hear of their shipped order with the answer
to their next command, once; a digital item's text is never said in that public chat."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from adapters.base import Reply
from bots.chat.i18n import Messages
from bots.runtime.notices import BuyerNotices
from bots.testing import RecordingAdapter, open_stage, until
from commerce.db import make_engine
from commerce.delivery import DeliveryRules
from commerce.store import Store
from commerce.views import OrderStatus


async def buy_and_pay(stage, chat: RecordingAdapter, user: str, item: str) -> str:  # type: ignore[no-untyped-def]
    await chat.say(user, f"!comprar {item}")
    await stage.bot.wait_idle(quiet=0.2)
    [order] = stage.store.viewer_orders(chat.platform, user)
    await stage.pay(order.code)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
    await stage.bot.wait_idle(quiet=0.2)
    return order.code


async def test_a_shipped_order_is_told_with_the_next_command_and_only_once(
    tmp_path: Path,
) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        code = await buy_and_pay(stage, chat, "ana", "remera M")
        stage.store.mark_shipped([code], "Andreani", "AN-778899", actor="test")
        await stage.bot.notices.run_once()
        assert not [r for r in chat.to("ana") if "AN-778899" in r.text]  # nowhere private
        await chat.say("ana", "!tienda")
        await stage.bot.wait_idle(quiet=0.2)
        told = [r for r in chat.to("ana") if "AN-778899" in r.text]
        assert len(told) == 1 and code in told[0].text and not told[0].private
        await stage.bot.notices.run_once()
        await chat.say("ana", "!tienda")
        await stage.bot.wait_idle(quiet=0.2)
        assert len([r for r in chat.to("ana") if "AN-778899" in r.text]) == 1


async def test_a_digital_text_is_not_said_in_a_public_chat(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        engine = make_engine(stage.store.url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE products SET deliver_text = 'CODIGO-SECRETO', queue = false "
                    "WHERE sku = 'SALUDO'"
                )
            )
        engine.dispose()
        code = await buy_and_pay(stage, chat, "beto", "saludo")
        await stage.bot.notices.run_once()
        await chat.say("beto", "!tienda")
        await stage.bot.wait_idle(quiet=0.2)
        assert not any("CODIGO-SECRETO" in r.text for r in chat.sent)
        [told] = [r for r in chat.to("beto") if code in r.text and "email" in r.text]
        assert not told.private


async def test_the_notices_loop_stops_when_cancelled_as_it_is_woken(tmp_path: Path) -> None:
    """A wake-up and the bot's stop in the same instant: the loop ends, whichever of the two
    the event loop gets to first (asyncio.wait_for in Python 3.11 could swallow the cancel
    then, and the bot's stop waited forever)."""
    store = Store(f"sqlite:///{tmp_path / 'notices.db'}")
    store.migrate()
    notices = BuyerNotices(store, Messages(), _nowhere, [], DeliveryRules(), interval=60.0)
    try:
        for yields in range(8):
            task = asyncio.get_running_loop().create_task(notices.run_forever())
            for _ in range(3):
                await asyncio.sleep(0)  # the loop is now waiting to be woken
            notices.wake()
            for _ in range(yields):
                await asyncio.sleep(0)
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=5)
            assert task in done, f"still running after a cancel {yields} steps after waking"
    finally:
        store.close()


async def _nowhere(reply: Reply) -> None:
    raise AssertionError(f"nothing is owed, yet {reply.text!r} was sent")
