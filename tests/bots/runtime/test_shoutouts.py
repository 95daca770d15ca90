"""The shout-out queue on the whole bot: a moderator's `!hecho` thanks the buyer in the chat
they bought in, in their language, once; a viewer's is refused."""

from __future__ import annotations

from pathlib import Path

from adapters.base import Role
from bots.chat.i18n import Messages
from bots.testing import RecordingAdapter, open_stage, until
from commerce.views import OrderStatus


async def test_hecho_thanks_the_buyer_once_in_their_language(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.say("ana", "!buy saludo happy birthday, Bea!")
        await stage.bot.wait_idle(quiet=0.2)
        [order] = stage.store.viewer_orders(chat.platform, "ana")
        await stage.pay(order.code)
        await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
        [waiting] = stage.store.shoutout_queue()
        assert (waiting.code, waiting.message) == (order.code, "happy birthday, Bea!")

        await chat.say("beto", "!hecho")
        await stage.bot.wait_idle(quiet=0.2)
        refused = Messages().t("es", "not_allowed", p="!", command="hecho")
        assert [r.text for r in chat.to("beto")] == [refused]
        assert len(stage.store.shoutout_queue()) == 1

        await chat.say("mora", "!hecho", role=Role.MODERATOR)
        thanks = Messages().t("en", "shoutout_thanks", name="ana", code=order.code)
        await until(lambda: [r for r in chat.to("ana") if r.text == thanks])
        await chat.say("mora", f"!hecho {order.code}", role=Role.MODERATOR)
        await stage.bot.wait_idle(quiet=0.2)
        [said] = [r for r in chat.to("ana") if r.text == thanks]
        assert said.channel == chat.channel and not said.private
        assert stage.store.shoutout_queue() == []
        assert stage.store.get_order(order.code).fulfilment == "delivered"
