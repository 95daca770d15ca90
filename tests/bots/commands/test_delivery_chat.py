"""`/entrega` on the command layer: a real Store, the router, answers in a private chat.

Store tests of the rules themselves live in tests/commerce; these check the conversation:
a cart that grows after the details keeps them and is priced again without asking.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from decimal import Decimal
from typing import Any

from adapters.base import ChatMessage, Reply
from bots.chat.conversations import Conversations
from bots.chat.router import Router
from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.views import PaymentReport
from tests.bots.chat_helpers import PLATFORM, VIEWER, Clock, Links

RULES = DeliveryRules(
    shipping=(ShippingOption("correo", "Correo", Decimal("3000")),),
    pickup=(PickupPoint("local", "Local", "Honduras 4000"),),
)


class Private:
    """Lines from the viewer in their private chat with the bot (channel = their id)."""

    def __init__(self, router: Router, clock: Clock) -> None:
        self.router, self.clock = router, clock
        self.replies: list[Reply] = []
        self._ids = itertools.count(1)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    async def send(self, text: str) -> list[Reply]:
        self.clock.advance(60)
        message = ChatMessage(
            PLATFORM, f"p{next(self._ids)}", VIEWER.id, VIEWER, text, private=True
        )
        before = len(self.replies)
        await self.router.handle(message, self._record)
        return self.replies[before:]


def _router(router: Router) -> Router:
    router.services.delivery = RULES
    router.services.conversations = Conversations(frozenset({PLATFORM}))
    return router


async def test_a_cart_that_grows_after_the_details_is_priced_again_without_questions(
    router: Router, clock: Clock, links: Links, store: Any
) -> None:
    chat = Private(_router(router), clock)
    asked = await chat.send("!comprar taza")
    [question] = [r for r in asked if r.buttons]
    correo = next(b for b in question.buttons if b.command.endswith("elegir correo"))
    assert not links.orders  # no link before the details
    await chat.send(correo.command)
    for answer in ("Ana Pérez", "ana@example.com", "Calle 1", "Rosario", "Santa Fe", "2000"):
        await chat.send(answer)
    [order] = store.viewer_orders(PLATFORM, VIEWER.id)
    first = store.get_order(order.code)
    assert first.total.amount == Decimal("8500") + Decimal("3000") and first.details_complete
    assert [o.code for o in links.orders] == [order.code]

    grown = await chat.send("!comprar taza")
    assert not [r for r in grown if r.buttons]  # nothing asked again
    again = store.get_order(order.code)
    assert again.total.amount == 2 * Decimal("8500") + Decimal("3000")
    assert links.orders[-1].total == again.total and links.orders[-1].revision == again.revision
    assert any(f"http://pay.test/{order.code}-r" in r.text for r in grown)


async def test_a_second_order_in_the_stream_is_offered_to_ship_with_the_first(
    router: Router, clock: Clock, links: Links, store: Any
) -> None:
    chat = Private(_router(router), clock)
    asked = await chat.send("!comprar taza")
    correo = next(b for r in asked for b in r.buttons if b.command.endswith("elegir correo"))
    await chat.send(correo.command)
    for answer in ("Ana Pérez", "ana@example.com", "Calle 1", "Rosario", "Santa Fe", "2000"):
        await chat.send(answer)
    [first] = store.viewer_orders(PLATFORM, VIEWER.id)
    paid = store.get_order(first.code)
    store.record_payment(
        PaymentReport("mercadopago", "p-1", "approved", paid.total.amount, "ARS", first.code)
    )

    asked = await chat.send("!comprar taza")
    [question] = [r for r in asked if r.buttons]
    together = next(b for b in question.buttons if b.command.endswith(f"with:{first.code}"))
    assert together.label == f"Junto con el pedido {first.code} — sin costo"
    await chat.send(together.command)
    await chat.send("Ana Pérez")
    told = await chat.send("ana@example.com")  # no address asked: it goes with the first
    second = next(o for o in store.viewer_orders(PLATFORM, VIEWER.id) if o.code != first.code)
    now = store.get_order(second.code)
    assert now.ship_with == first.code and now.details_complete
    assert now.total.amount == Decimal("8500") and now.shipping.amount == 0  # shipping once
    assert any(f"http://pay.test/{second.code}" in r.text for r in told)


async def test_a_line_without_a_prefix_is_an_answer_only_while_a_question_waits(
    router: Router, clock: Clock, store: Any
) -> None:
    chat = Private(_router(router), clock)
    assert await chat.send("hola") == []  # chatter: nothing asked
    asked = await chat.send("!comprar taza")
    pickup = next(b for r in asked for b in r.buttons if b.command.endswith("elegir local"))
    await chat.send(pickup.command)
    assert not router.is_command(replace(_line("hola"), private=False))  # a group line
    assert router.is_command(_line("Ana Pérez"))
    name_error = await chat.send("   ")  # blank: asked again
    assert name_error
    await chat.send("Ana Pérez")
    await chat.send("no-es-un-contacto")
    told = chat.replies[-2:]
    assert any("Revisa tus datos de entrega" in r.text for r in told)
    assert store.delivery_details(store.viewer_orders(PLATFORM, VIEWER.id)[0].code) is None


def _line(text: str) -> ChatMessage:
    return ChatMessage(PLATFORM, "x", VIEWER.id, VIEWER, text, private=True)
