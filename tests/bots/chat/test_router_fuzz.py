"""Whatever a chat sends, the router answers with text or stays quiet, and never reserves by
accident: stock only moves when an order was created and handed to the payment links."""

from __future__ import annotations

import asyncio
from typing import Any

from chat_helpers import Chat, Links
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORDS = [
    "remera", "remeras", "M", "negra", "blancos", "talle", "taza", "x3", "3x", "dos", "-1", "0",
    "99999", "stickers", "saludo", "personalizado", "gorra", "llavero", ",", "+", "$", "1.500,5",
    "ñ", "\u200b", "\x00", "\u202e", "@", "/", "!", "🎉",
]  # fmt: skip
PREFIXES = [
    "", "!", "/", "!comprar ", "!buy ", "/comprar@Bot ", "!propina ", "!tip ", "!precio ",
    "!pedido ", "!cancelar ", "!stock ", "!ayuda ", "!tienda ", "!COMPRAR",
]  # fmt: skip

lines = st.one_of(
    st.text(max_size=80),
    st.builds(lambda p, t: p + t, st.sampled_from(PREFIXES), st.text(max_size=60)),
    st.builds(
        lambda p, ws: p + " ".join(ws),
        st.sampled_from(PREFIXES),
        st.lists(st.sampled_from(WORDS), max_size=8),
    ),
)


def reserved(store: Any) -> tuple[int, tuple[tuple[str, int], ...]]:
    products = store.list_products(include_inactive=True)
    held = sum(p.stock - p.available for p in products)
    return held, tuple((p.sku, p.stock) for p in products)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=lines)
def test_router_survives_anything(chat: Chat, store: Any, links: Links, text: str) -> None:
    held_before, stock_before = reserved(store)
    orders_before = len(links.orders)

    replies = asyncio.run(chat.send(text))

    assert all(isinstance(r.text, str) and r.text.strip() for r in replies)
    held_after, stock_after = reserved(store)
    assert stock_after == stock_before  # a viewer can never change stock
    new_orders = links.orders[orders_before:]
    if new_orders:
        (order,) = new_orders  # one order per command
        # A purchase may join the viewer's pending cart: only what it added is newly held.
        earlier = [o for o in links.orders[:orders_before] if o.code == order.code]
        before = sum(line.quantity for line in earlier[-1].lines) if earlier else 0
        assert held_after - held_before == sum(line.quantity for line in order.lines) - before
    else:
        assert held_after <= held_before  # only a cancellation may release stock
