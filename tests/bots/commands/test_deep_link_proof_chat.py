"""`/start <token>` on the command layer: the opener of a paid order's deep link proves they
paid it before anything else (commerce.payer_proof), in their private chat with the bot.

A real Store and router; the order is bought on a platform without a private chat (like
Twitch) and paid with the payer named, so these check that nothing of the buyer's reaches
an opener who has not given the payment's operation number.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat import deep_links
from bots.chat.conversations import Conversations
from bots.chat.router import Router
from bots.runtime.events import DeliveryLinkLocked, Event, EventBus
from commerce.delivery import DeliveryRules, ShippingOption
from commerce.views import OrderView, PaymentReport
from tests.bots.chat_helpers import VIEWER, Chat, Clock

OPERATION = "1318765432"  # the payment id, the receipt's "Número de operación"
ANA_TG = ChatUser("telegram", "t-ana", "Ana en Telegram")
BETO_TG = ChatUser("telegram", "t-beto", "beto")
#: The buyer's: the payer's name and email from the payment, their chat name.
PERSONAL = re.compile(r"Pérez|ana\.paga|example\.com|\bana\b", re.IGNORECASE)


class Private:
    """Telegram private chats with the bot (channel = the user's id), one per user."""

    def __init__(self, router: Router, clock: Clock) -> None:
        self.router, self.clock = router, clock
        self.replies: list[Reply] = []
        self._ids = itertools.count(1)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    async def send(self, user: ChatUser, text: str) -> list[Reply]:
        self.clock.advance(60)  # past any cooldown
        message = ChatMessage("telegram", f"p{next(self._ids)}", user.id, user, text, private=True)
        before = len(self.replies)
        await self.router.handle(message, self._record)
        return self.replies[before:]


async def _paid(router: Router, clock: Clock, store: Any) -> tuple[OrderView, str]:
    """A purchase in public chat, paid with the payer named; and its deep link's token."""
    router.services.delivery = DeliveryRules(
        shipping=(ShippingOption("correo", "Correo", Decimal("3000")),)
    )
    router.services.conversations = Conversations(frozenset({"telegram"}))
    await Chat(router, clock).send("!comprar taza")
    [order] = store.viewer_orders(VIEWER.platform, VIEWER.id)
    store.record_payment(
        PaymentReport(
            "mercadopago",
            OPERATION,
            "approved",
            order.total.amount,
            "ARS",
            order.code,
            payer_name="Ana Pérez",
            payer_email="Ana.Paga@Example.com",
        )
    )
    token = deep_links.make(router.services.link_secret, order.code, datetime.now(UTC))
    return order, token


def _nothing_personal(replies: list[Reply]) -> None:
    assert replies and all(r.private for r in replies)
    for reply in replies:
        assert not PERSONAL.search(reply.text), reply.text
        assert not reply.buttons  # no delivery options, no "keep your previous details"


async def test_the_opener_gets_the_questions_only_with_the_operation_number(
    router: Router, clock: Clock, store: Any
) -> None:
    order, token = await _paid(router, clock, store)
    chat = Private(router, clock)

    # A viewer who saw the link in public chat opens it first, and guesses.
    [asked] = await chat.send(BETO_TG, f"/start {token}")
    assert order.code in asked.text and "número de operación" in asked.text
    [again] = await chat.send(BETO_TG, "hola")  # not a number: asked again, not counted
    assert again.text == asked.text
    [wrong] = await chat.send(BETO_TG, "1318765433")
    assert "Te quedan 4 intentos" in wrong.text
    [not_his] = await chat.send(BETO_TG, f"/entrega {order.code}")
    assert not_his.text == "No tienes ningún pedido pendiente que necesite datos de entrega."
    _nothing_personal(chat.replies)
    assert store.delivery_linked_to(order.code) is None

    # The payer opens it and gives the number from their receipt: the questions follow.
    await chat.send(ANA_TG, f"/start {token}")
    welcome, options = await chat.send(ANA_TG, f"Nº {OPERATION}")
    assert welcome.text.startswith("¡Hola, Ana en Telegram!") and order.code in welcome.text
    assert any(b.command == f"/entrega {order.code} elegir correo" for b in options.buttons)
    assert store.delivery_linked_to(order.code) == "telegram:t-ana"

    # The other viewer, even with the number now, is told it was taken.
    before = len(chat.replies)
    [taken] = await chat.send(BETO_TG, f"/start {token}")
    assert taken.text.startswith("Ese pedido ya tiene sus datos de entrega")
    assert await chat.send(BETO_TG, OPERATION) == []  # no question waits for him
    _nothing_personal(chat.replies[before:])
    assert store.delivery_linked_to(order.code) == "telegram:t-ana"


async def test_five_wrong_numbers_lock_the_link_and_tell_the_owner(
    router: Router, clock: Clock, store: Any
) -> None:
    order, token = await _paid(router, clock, store)
    heard: list[Event] = []

    async def listen(event: Event) -> None:
        heard.append(event)

    router.services.bus = bus = EventBus()
    bus.subscribe(listen)
    chat = Private(router, clock)
    await chat.send(BETO_TG, f"/start {token}")
    for guess in range(4):
        await chat.send(BETO_TG, str(guess))
    [locked] = await chat.send(BETO_TG, "4")
    assert locked.text.startswith(f"El enlace del pedido {order.code} quedó bloqueado")
    assert [type(e) for e in heard] == [DeliveryLinkLocked]
    _nothing_personal(chat.replies)

    [still] = await chat.send(ANA_TG, f"/start {token}")  # even the payer: the owner's now
    assert still.text == locked.text
    assert await chat.send(ANA_TG, OPERATION) == []
    assert store.delivery_linked_to(order.code) is None
    assert len(heard) == 1
