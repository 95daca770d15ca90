"""Delivery details on Telegram: real PTB against the stand-in, the whole bot, the Store.

A viewer buys a shirt in the group having never opened the bot: the deep link opens the
private chat, where the bot asks how to deliver (buttons with costs), then name, contact
and address one message at a time; the payment link that follows carries the shipping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.money import Money
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox
from sandbox.telegram import TelegramStandIn


@dataclass
class TelegramStage(Stage):
    @property
    def telegram(self) -> TelegramStandIn:
        return self.sandbox.telegram

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        return [
            e
            for e in self.telegram.sent
            if e["method"] == "sendMessage" and e["chat_id"] == chat_id
        ]

    def buttons(self, chat_id: int) -> list[str]:
        """The labels under the latest message with a keyboard in `chat_id`."""
        with_keys = [e for e in self.sent(chat_id) if "reply_markup" in e]
        if not with_keys:
            return []
        rows = with_keys[-1]["reply_markup"]["inline_keyboard"]
        return [b["text"] for row in rows for b in row]


def telegram(config: Config, store: Store, sandbox: Sandbox) -> list[TelegramAdapter]:
    endpoint = f"{sandbox.url}/telegram"
    return [TelegramAdapter(sandbox.telegram.token, endpoint=endpoint, poll_timeout=1.0)]


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TelegramStage]:
    async with open_stage(tmp_path, telegram) as whole:
        yield TelegramStage(**vars(whole))


async def _asked(stage: TelegramStage, chat_id: int, count: int) -> list[dict[str, Any]]:
    """Wait until the private chat holds at least `count` messages from the bot."""
    return await until(lambda: (got := stage.sent(chat_id)) and len(got) >= count and got)


async def test_group_purchase_completes_delivery_details_in_the_private_chat(
    stage: TelegramStage,
) -> None:
    group = stage.telegram.group_id
    stage.telegram.say("ana", "/comprar remera M")
    ana = stage.telegram.user("ana")
    prompt = await until(lambda: next((e for e in stage.sent(group) if "reply_markup" in e), None))
    [[open_button]] = prompt["reply_markup"]["inline_keyboard"]
    assert open_button["url"].startswith("https://t.me/vivo_sandbox_bot?start=")
    [order] = stage.store.viewer_orders("telegram", str(ana["id"]))
    assert order.payment_url is None  # no link before the details

    stage.telegram.press("ana", button=open_button["text"])
    [question] = await _asked(stage, ana["id"], 1)
    assert order.code in question["text"]
    labels = stage.buttons(ana["id"])
    correo = next(label for label in labels if label.startswith("Correo Argentino"))
    assert stage.bot.messages.money(Money(Decimal("3500"), "ARS"), "es") in correo
    assert any(label.startswith("Retiro: Local de Palermo") for label in labels)
    assert "Cancelar" in labels

    stage.telegram.press("ana", button=correo, chat_id=ana["id"])
    answers = ["Ana Pérez", "ana@example.com", "Av. Colón 1234", "Córdoba", "Córdoba", "5000"]
    for n, answer in enumerate(answers, start=2):
        await _asked(stage, ana["id"], n)  # the next question is in
        stage.telegram.say("ana", answer, chat="private")

    links = await until(
        lambda: [
            e for e in stage.sent(ana["id"]) if "http" in e["text"] and order.code in e["text"]
        ]
    )
    paid_for = stage.store.get_order(order.code)
    goods = stage.store.get_product("REM-VIVO").price.amount
    assert paid_for.total.amount == goods + Decimal("3500")
    assert paid_for.delivery_option == "correo" and paid_for.details_complete
    details = stage.store.delivery_details(order.code)
    assert details is not None
    assert (details.name, details.contact, details.postal_code) == (
        "Ana Pérez",
        "ana@example.com",
        "5000",
    )
    assert not any("ana@example.com" in e["text"] for e in stage.sent(group))  # stays private

    assert paid_for.preference_id is not None and paid_for.preference_id in links[-1]["text"]
    await stage.pay(preference_id=paid_for.preference_id)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)


async def test_returning_buyer_keeps_previous_details_and_can_cancel_the_questions(
    stage: TelegramStage,
) -> None:
    stage.bot.router.cooldowns.seconds = 0.0
    stage.telegram.say("beto", "hola", chat="private")
    beto = stage.telegram.user("beto")
    # A first order, picked up: name and contact only.
    stage.telegram.say("beto", "/comprar taza", chat="private")
    await until(lambda: any(b.startswith("Retiro") for b in stage.buttons(beto["id"])))
    pickup = next(b for b in stage.buttons(beto["id"]) if b.startswith("Retiro"))
    stage.telegram.press("beto", button=pickup, chat_id=beto["id"])
    count = len(await _asked(stage, beto["id"], 3))
    stage.telegram.say("beto", "Beto Gómez", chat="private")
    await _asked(stage, beto["id"], count + 1)
    stage.telegram.say("beto", "+54 9 11 5555-0000", chat="private")
    [first] = await until(
        lambda: [o for o in stage.store.viewer_orders("telegram", str(beto["id"])) if o.payment_url]
    )
    await stage.pay(first.code)
    await until(lambda: stage.store.get_order(first.code).status is OrderStatus.PAID)

    # The next order offers "use the same"; the "Cancel" button stops the questions.
    stage.telegram.say("beto", "/comprar taza", chat="private")
    second = await until(
        lambda: next(
            (
                o
                for o in stage.store.viewer_orders("telegram", str(beto["id"]))
                if o.status is OrderStatus.PENDING
            ),
            None,
        )
    )
    await until(lambda: any(b.startswith("Retiro") for b in stage.buttons(beto["id"])))
    pickup = next(b for b in stage.buttons(beto["id"]) if b.startswith("Retiro"))
    stage.telegram.press("beto", button=pickup, chat_id=beto["id"])
    await until(lambda: "Usar los mismos" in stage.buttons(beto["id"]))
    stage.telegram.press("beto", button="Cancelar", chat_id=beto["id"])
    await until(lambda: any("/entrega" in e["text"] for e in stage.sent(beto["id"])))
    assert stage.store.get_order(second.code).status is OrderStatus.PENDING

    # `/entrega` resumes; keeping the previous details saves them and sends the link.
    stage.telegram.say("beto", "/entrega", chat="private")
    await until(lambda: any(b.startswith("Retiro") for b in stage.buttons(beto["id"])))
    pickup = next(b for b in stage.buttons(beto["id"]) if b.startswith("Retiro"))
    stage.telegram.press("beto", button=pickup, chat_id=beto["id"])
    await until(lambda: "Usar los mismos" in stage.buttons(beto["id"]))
    stage.telegram.press("beto", button="Usar los mismos", chat_id=beto["id"])
    await until(lambda: stage.store.get_order(second.code).payment_url is not None)
    details = stage.store.delivery_details(second.code)
    assert details is not None
    assert (details.name, details.contact) == ("Beto Gómez", "+5491155550000")
    assert stage.store.get_order(second.code).delivery_method == "pickup"


async def test_an_answer_after_the_reservation_expired_is_refused(stage: TelegramStage) -> None:
    stage.telegram.say("caro", "hola", chat="private")
    caro = stage.telegram.user("caro")
    stage.telegram.say("caro", "/comprar taza", chat="private")
    await until(lambda: any(b.startswith("Retiro") for b in stage.buttons(caro["id"])))
    pickup = next(b for b in stage.buttons(caro["id"]) if b.startswith("Retiro"))
    stage.telegram.press("caro", button=pickup, chat_id=caro["id"])
    count = len(await _asked(stage, caro["id"], 3))
    [order] = stage.store.viewer_orders("telegram", str(caro["id"]))
    stage.store.cancel_order(order.code)  # as an expiry would: no longer pending
    stage.telegram.say("caro", "Caro Díaz", chat="private")
    await _asked(stage, caro["id"], count + 1)
    stage.telegram.say("caro", "caro@example.com", chat="private")
    late = await until(
        lambda: [e for e in stage.sent(caro["id"]) if "ya no espera datos" in e["text"]]
    )
    assert order.code in late[0]["text"]
    assert stage.store.delivery_details(order.code) is None


async def test_a_restart_sends_no_link_to_an_order_still_answering(stage: TelegramStage) -> None:
    """LinkService.resume retries links of pending orders without one; an order whose link
    waits for the delivery questions must keep waiting (its total lacks shipping)."""
    stage.telegram.say("dani", "hola", chat="private")
    dani = stage.telegram.user("dani")
    stage.telegram.say("dani", "/comprar taza", chat="private")
    await until(lambda: any(b.startswith("Retiro") for b in stage.buttons(dani["id"])))
    stage.telegram.say("eva", "hola", chat="private")
    stage.telegram.say("eva", "/comprar saludo", chat="private")  # digital: a link at once
    eva = stage.telegram.user("eva")
    await until(lambda: [e for e in stage.sent(eva["id"]) if "http" in e["text"]])

    assert await stage.bot.links.resume() == 0  # eva has her link; dani's waits
    [order] = stage.store.viewer_orders("telegram", str(dani["id"]))
    assert stage.store.get_order(order.code).payment_url is None
