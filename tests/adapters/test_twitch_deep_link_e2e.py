"""A Twitch purchase without a public URL completes its delivery details on Telegram.

Real twitchio and python-telegram-bot against the stand-ins, the whole bot, the Store. The
buyer pays first (Twitch has no private channel to ask in); the thank-you is followed by
the Telegram bot's deep link; opening it sends `/start <token>` privately. The link is in
public chat, so the opener must first send the payment's operation number (MercadoPago's
payment id, on the payer's receipt): a viewer who opens it first and guesses gets nothing;
the buyer answers it and the delivery questions run there for that Twitch order. The
payer's name and email stay recorded.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from bots.testing import until
from commerce.views import OrderStatus
from tests.adapters.two_chats import TwoChats, two_chats

_DEEP_LINK = re.compile(r"https://t\.me/vivo_sandbox_bot\?start=[A-Za-z0-9_-]{1,64}")


def _asked(stage: TwoChats, chat_id: int) -> list[dict[str, object]]:
    return [
        e
        for e in stage.sandbox.telegram.sent
        if e["method"] == "sendMessage" and e["chat_id"] == chat_id
    ]


async def test_the_deep_link_after_a_twitch_payment_takes_the_details_in_telegram(
    tmp_path: Path,
) -> None:
    async with two_chats(tmp_path, questions=True) as stage:
        assert stage.config.web.public_url is None
        telegram = stage.sandbox.telegram
        await stage.twitch("ana", "!comprar remera M")
        ana = stage.rig.twitch.user("ana")
        [order] = await until(lambda: stage.store.viewer_orders("twitch", ana.id))
        await until(lambda: stage.twitch_said("@ana", order.code, "http"))
        paid_for = order.total.amount

        payer = {"email": "Ana.Paga@Example.com", "first_name": "Ana", "last_name": "Pérez"}
        payment = await stage.pay(order.code, payer=payer)
        [follow_up] = await until(lambda: stage.twitch_said("@ana", order.code, "t.me/"))
        found = _DEEP_LINK.search(follow_up)
        assert found is not None
        assert not stage.twitch_said("example.com")  # the payer's email never reaches chat

        # A viewer who saw the link in chat opens it first and guesses: nothing of Ana's.
        telegram.open("carla_tg", found.group(0))
        carla = telegram.user("carla_tg")
        [asked] = await until(lambda: _asked(stage, carla["id"]))
        assert order.code in asked["text"] and "número de operación" in asked["text"]
        telegram.say("carla_tg", "12345678", chat="private")
        await until(lambda: len(_asked(stage, carla["id"])) == 2)
        for said in _asked(stage, carla["id"]):
            assert "reply_markup" not in said
            assert not any(p in said["text"] for p in ("Ana", "Pérez", "example.com"))
        assert stage.store.delivery_linked_to(order.code) is None

        # The buyer opens it and sends the operation number from the MercadoPago receipt.
        telegram.open("ana_tg", found.group(0))
        buyer = telegram.user("ana_tg")
        await until(lambda: _asked(stage, buyer["id"]))
        telegram.say("ana_tg", str(payment["id"]), chat="private")
        keyboard = await until(
            lambda: [e for e in _asked(stage, buyer["id"]) if "reply_markup" in e]
        )
        labels = [b["text"] for row in keyboard[-1]["reply_markup"]["inline_keyboard"] for b in row]
        correo = next(label for label in labels if label.startswith("Correo Argentino"))
        telegram.press("ana_tg", button=correo, chat_id=buyer["id"])
        answers = ["Ana P. Gómez", "+54 9 11 5555-1234", "Av. Colón 1234", "Córdoba", "Córdoba"]
        for answer in [*answers, "5000"]:
            count = len(_asked(stage, buyer["id"]))
            await until(lambda count=count: len(_asked(stage, buyer["id"])) > count)
            telegram.say("ana_tg", answer, chat="private")
        saved = await until(
            lambda: [
                e
                for e in _asked(stage, buyer["id"])
                if "3.500" in e["text"] and "Correo" in e["text"]
            ]
        )
        assert order.code in saved[-1]["text"]  # shipping told as owed: it was not paid

        now = stage.store.get_order(order.code)
        assert now.status is OrderStatus.PAID and now.details_complete
        assert now.total.amount == paid_for and now.delivery_option == "correo"
        details = stage.store.delivery_details(order.code)
        assert details is not None
        assert (details.name, details.contact, details.postal_code) == (
            "Ana P. Gómez",
            "+5491155551234",
            "5000",
        )
        assert (details.payer_name, details.payer_contact) == ("Ana Pérez", "ana.paga@example.com")
        assert stage.store.orders_missing_details(older_than=timedelta(0)) == []

        # Shipped: the buyer is told with the tracking in that private chat, not on Twitch.
        stage.store.mark_shipped([order.code], "Correo Argentino", "CP123456789AR")
        await stage.bot.notices.run_once()
        told = await until(
            lambda: [e for e in _asked(stage, buyer["id"]) if "CP123456789AR" in e["text"]]
        )
        assert order.code in told[0]["text"]
        await stage.twitch("ana", "!tienda")
        await until(lambda: stage.twitch_said("@ana", "Taza"))
        await stage.bot.wait_idle(quiet=0.3)
        assert not stage.twitch_said("CP123456789AR")

        # The link was posted in public chat: another viewer who opens it gets nothing.
        telegram.open("beto_tg", found.group(0))
        beto = telegram.user("beto_tg")
        [refused] = await until(lambda: _asked(stage, beto["id"]))
        assert order.code not in refused["text"] and "reply_markup" not in refused
        assert stage.store.delivery_details(order.code) == details
