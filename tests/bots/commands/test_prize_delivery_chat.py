"""A giveaway's prize through `/entrega`: the winner's paid, zero-price order takes its
delivery details in the private chat like a purchase does, stays free (shipping is the
owner's gift), and is told so instead of getting a payment link."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from test_delivery_chat import Private, _router

from bots.chat.router import Router
from commerce.views import OrderStatus, ViewerRef
from tests.bots.chat_helpers import PLATFORM, VIEWER, Clock, Links


async def test_the_winner_gives_delivery_details_for_the_prize(
    router: Router, clock: Clock, links: Links, store: Any
) -> None:
    store.giveaway_start("TAZA", None, timedelta(minutes=5), platform=PLATFORM, channel_id="c")
    store.giveaway_enter(ViewerRef(PLATFORM, VIEWER.id, VIEWER.name), "c")
    drawn = store.giveaway_draw()
    assert drawn.order is not None
    code = drawn.order.code
    chat = Private(_router(router), clock)
    asked = await chat.send(f"/entrega {code}")
    [question] = [r for r in asked if r.buttons]
    correo = next(b for b in question.buttons if b.command.endswith("elegir correo"))
    await chat.send(correo.command)
    said = []
    for answer in ("Ana Pérez", "ana@example.com", "Calle 1", "Rosario", "Santa Fe", "2000"):
        said = await chat.send(answer)
    assert any("no pagas nada" in r.text and code in r.text for r in said)
    order = store.get_order(code)
    assert order.status is OrderStatus.PAID and order.total.amount == Decimal(0)
    assert order.details_complete and order.delivery_option == "correo"
    assert links.orders == []  # no payment link, ever
