"""What a buyer is owed a word about after payment: their order shipped, is ready for
pickup, or carries a text the owner wrote (a download link, a code).

The owed notice is derived from the order's own state and `orders.buyer_told` (what the
buyer was last told), not queued by whoever moved the order: a step taken from the CLI, the
panel or another process is owed just the same, and a notice is owed until the bot that
runs the order's platform has handed it over — a restart in between loses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from commerce.models import ORDER_LINES, ORDERS, PRODUCTS, Order
from commerce.view_builders import order_view
from commerce.views import OrderStatus, OrderView

SHIPPED = "shipped"
READY_FOR_PICKUP = "ready_for_pickup"
DIGITAL = "digital"
_TOLD_STATES = (SHIPPED, READY_FOR_PICKUP)


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing to tell one buyer. `texts` are the owner's texts of the order's digital
    items (product name, text), for DIGITAL."""

    order: OrderView
    state: str
    texts: tuple[tuple[str, str], ...] = ()


def _digital_texts(s: Session, order_id: int) -> tuple[tuple[str, str], ...]:
    found = s.execute(
        select(PRODUCTS.c.name, PRODUCTS.c.deliver_text)
        .join(ORDER_LINES, ORDER_LINES.c.product_id == PRODUCTS.c.id)
        .where(
            ORDER_LINES.c.order_id == order_id,
            PRODUCTS.c.deliver_text.is_not(None),
            PRODUCTS.c.deliver_text != "",
            PRODUCTS.c.queue.is_(False),
        )
        .order_by(ORDER_LINES.c.id)
    ).all()
    seen: dict[str, str] = {}
    for name, text in found:
        seen.setdefault(str(name), str(text))
    return tuple(seen.items())


def due(s: Session, platforms: list[str], limit: int = 100) -> list[Notice]:
    """Notices owed to buyers on `platforms`, oldest order first."""
    has_text = (
        select(ORDER_LINES.c.id)
        .join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id)
        .where(
            ORDER_LINES.c.order_id == ORDERS.c.id,
            PRODUCTS.c.deliver_text.is_not(None),
            PRODUCTS.c.deliver_text != "",
            PRODUCTS.c.queue.is_(False),
        )
        .exists()
    )
    fulfilment_owed = and_(
        ORDERS.c.fulfilment.in_(_TOLD_STATES),
        or_(ORDERS.c.buyer_told.is_(None), ORDERS.c.buyer_told != ORDERS.c.fulfilment),
    )
    digital_owed = and_(
        ORDERS.c.status.in_([OrderStatus.PAID.value, OrderStatus.FULFILLED.value]),
        ORDERS.c.buyer_told.is_(None),
        has_text,
    )
    ids = s.execute(
        select(ORDERS.c.id)
        .where(
            ORDERS.c.platform.in_(platforms),
            ORDERS.c.status.in_([OrderStatus.PAID.value, OrderStatus.FULFILLED.value]),
            or_(fulfilment_owed, digital_owed),
        )
        .order_by(ORDERS.c.id)
        .limit(limit)
    ).scalars()
    notices = []
    for order_id in list(ids):
        order = s.get(Order, order_id)
        assert order is not None
        view = order_view(s, order)
        if order.fulfilment in _TOLD_STATES and order.buyer_told != order.fulfilment:
            notices.append(Notice(view, order.fulfilment))
        else:
            notices.append(Notice(view, DIGITAL, _digital_texts(s, order_id)))
    return notices


def mark_told(s: Session, code: str, state: str) -> None:
    """Record that the buyer was told `state`. A DIGITAL notice never lowers a state told
    later (the text is owed once, before any shipping news)."""
    query = update(ORDERS).where(ORDERS.c.code == code).values(buyer_told=state)
    if state == DIGITAL:
        query = query.where(ORDERS.c.buyer_told.is_(None))
    s.execute(query)
