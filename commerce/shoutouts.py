"""The shout-out queue: paid orders of a `queue = true` item the streamer has yet to do.

A viewer buys `!comprar saludo ¡feliz cumple Ana!`; once paid the order waits here, oldest
payment first, with the buyer's message (or only their name). Doing it is the digital
order's delivery (commerce.fulfilment.mark_delivered), so the order leaves the queue, the
history records it once and repeating "done" changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from commerce import errors, fulfilment, rows
from commerce.models import ORDER_LINES, ORDERS, PRODUCTS, VIEWERS
from commerce.views import OrderStatus

MAX_MESSAGE = 200


@dataclass(frozen=True, slots=True)
class Shoutout:
    """One shout-out to do: whose, what they asked to hear, and what they bought."""

    code: str
    name: str
    message: str | None
    products: tuple[str, ...]
    paid_at: datetime
    platform: str


def _queued_ids() -> Select[Any]:
    return (
        select(ORDER_LINES.c.order_id)
        .join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id)
        .where(PRODUCTS.c.queue.is_(True))
    )


def queue(s: Session, limit: int = 100) -> list[Shoutout]:
    """Paid orders with a queue item, not yet delivered, oldest payment first."""
    found = s.execute(
        select(
            ORDERS.c.id,
            ORDERS.c.code,
            ORDERS.c.shoutout_message,
            ORDERS.c.paid_at,
            ORDERS.c.platform,
            VIEWERS.c.display_name,
        )
        .join(VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id)
        .where(
            ORDERS.c.status == OrderStatus.PAID.value,
            ORDERS.c.id.in_(_queued_ids()),
        )
        .order_by(ORDERS.c.paid_at, ORDERS.c.id)
        .limit(limit)
    ).all()
    names: dict[int, list[str]] = {}
    if found:
        for order_id, name in s.execute(
            select(ORDER_LINES.c.order_id, PRODUCTS.c.name)
            .join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id)
            .where(
                PRODUCTS.c.queue.is_(True),
                ORDER_LINES.c.order_id.in_([r.id for r in found]),
            )
            .order_by(ORDER_LINES.c.id)
        ):
            names.setdefault(int(order_id), []).append(str(name))
    return [
        Shoutout(
            code=r.code,
            name=r.display_name,
            message=r.shoutout_message,
            products=tuple(dict.fromkeys(names.get(int(r.id), []))),
            paid_at=r.paid_at,
            platform=r.platform,
        )
        for r in found
    ]


def set_message(s: Session, code: str, message: str | None) -> None:
    """Keep what the buyer asked to hear (the latest `!comprar` of the cart wins)."""
    order = rows.lock_order(s, code)
    text = (message or "").strip()[:MAX_MESSAGE]
    order.shoutout_message = text or None
    s.flush()


def done(s: Session, code: str | None, actor: str, at: datetime) -> fulfilment.Transition | None:
    """Mark the shout-out `code` (or the oldest waiting) done; None when none waits.

    An order without a queue item is not a shout-out: OrderNotFound, as for a wrong code."""
    if code is None:
        waiting = queue(s, limit=1)
        if not waiting:
            return None
        code = waiting[0].code
    order = rows.find_order(s, code)
    has_queue = s.execute(_queued_ids().where(ORDER_LINES.c.order_id == order.id).limit(1)).first()
    if has_queue is None:
        raise errors.OrderNotFound(code)
    return fulfilment.mark_delivered(s, order.code, actor, at)


__all__ = ["MAX_MESSAGE", "Shoutout", "done", "queue", "set_message"]
