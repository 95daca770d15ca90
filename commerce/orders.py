"""An order's life after it is reserved: its payment link, the owner's and viewer's
transitions (cancel, expire, fulfil, refund) and the order listings.

Reservation itself is the flash-sale hot path and lives in commerce.fastpath; paying an
order is commerce.ledger's. Every transition here locks the order row first, is idempotent,
and releases or returns stock through commerce.rows' guarded moves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from commerce import errors, fulfilment, rows
from commerce.models import (
    ORDER_LINES,
    ORDERS,
    PRODUCTS,
    SUPERSEDED_LINKS,
    TIPS,
    VIEWERS,
    Order,
    Viewer,
)
from commerce.money import Money
from commerce.view_builders import order_view
from commerce.views import OrderStatus, OrderView, TipStatus, ViewerRef


def set_order_link(
    s: Session,
    code: str,
    payment_url: str,
    preference_id: str,
    *,
    revision: int | None,
    total: Money | None,
    at: datetime,
) -> OrderView:
    """Keep the link as the order's, unless it was made for an earlier revision (lines were
    added while it was being made): then it is kept as superseded, so a payment of it is
    still recognised, and the order's own link is left alone."""
    order = rows.lock_order(s, code)
    if revision is not None and revision != order.revision:
        if total is None:
            raise ValueError("a link made for an earlier revision needs its total")
        s.execute(
            insert(SUPERSEDED_LINKS).values(
                order_id=order.id,
                revision=revision,
                preference_id=preference_id,
                payment_url=payment_url,
                total_minor=total.minor,
                currency=total.currency,
                superseded_at=at,
            )
        )
        return order_view(s, order)
    order.payment_url = payment_url
    order.preference_id = preference_id
    s.flush()
    return order_view(s, order)


def mark_link_sent(s: Session, code: str, at: datetime) -> None:
    """Record that the link's message was handed to the platform; the first time counts."""
    s.execute(
        update(ORDERS)
        .where(ORDERS.c.code == code, ORDERS.c.link_sent_at.is_(None))
        .values(link_sent_at=at)
    )


def undelivered_links(
    s: Session, platforms: frozenset[str], before: datetime, limit: int
) -> list[OrderView]:
    """Pending orders on `platforms`, made before `before`, whose link never reached the
    buyer's chat; oldest first."""
    found = s.scalars(
        select(Order)
        .where(
            ORDERS.c.status == OrderStatus.PENDING.value,
            ORDERS.c.link_sent_at.is_(None),
            ORDERS.c.platform.in_(sorted(platforms)),
            ORDERS.c.created_at < before,
        )
        .order_by(ORDERS.c.id)
        .limit(limit)
    ).all()
    return [order_view(s, o) for o in found]


def viewer_orders(s: Session, platform: str, user_id: str, limit: int) -> list[OrderView]:
    """The viewer's latest orders, newest first."""
    orders = s.scalars(
        select(Order)
        .join_from(ORDERS, VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id)
        .where(VIEWERS.c.platform == platform, VIEWERS.c.platform_user_id == user_id)
        .order_by(ORDERS.c.created_at.desc(), ORDERS.c.id.desc())
        .limit(limit)
    ).all()
    return [order_view(s, o) for o in orders]


def list_orders(s: Session, status: OrderStatus | None, limit: int) -> list[OrderView]:
    query = select(Order).order_by(ORDERS.c.created_at.desc(), ORDERS.c.id.desc())
    if status is not None:
        query = query.where(ORDERS.c.status == OrderStatus(status).value)
    return [order_view(s, o) for o in s.scalars(query.limit(limit)).all()]


def cancel_order(s: Session, code: str, viewer: ViewerRef | None) -> OrderView:
    """pending -> cancelled (stock released). A viewer may only cancel their own order."""
    order = rows.lock_order(s, code)
    if viewer is not None:
        owner = s.get(Viewer, order.viewer_id)
        if (
            owner is None
            or owner.platform != viewer.platform
            or owner.platform_user_id != viewer.user_id
        ):
            raise errors.OrderNotFound(code)
    if order.status == OrderStatus.CANCELLED:
        return order_view(s, order)
    if order.status != OrderStatus.PENDING:
        raise errors.InvalidTransition("order", order.status, OrderStatus.CANCELLED)
    order.status = OrderStatus.CANCELLED.value
    rows.move(s, rows.order_targets(s, [order]), reserved=-1)
    s.flush()
    return order_view(s, order)


def expire_due(s: Session, at: datetime) -> list[OrderView]:
    """pending orders past expires_at -> expired, stock released; pending tips likewise."""
    orders = s.scalars(
        select(Order)
        .where(ORDERS.c.status == OrderStatus.PENDING.value, ORDERS.c.expires_at <= at)
        .order_by(ORDERS.c.id)
        .with_for_update()
    ).all()
    for order in orders:
        order.status = OrderStatus.EXPIRED.value
    rows.move(s, rows.order_targets(s, orders), reserved=-1)
    s.execute(
        update(TIPS)
        .where(TIPS.c.status == TipStatus.PENDING.value, TIPS.c.expires_at <= at)
        .values(status=TipStatus.EXPIRED.value)
    )
    s.flush()
    return [order_view(s, o) for o in orders]


def fulfill_order(s: Session, code: str, at: datetime) -> OrderView:
    """paid -> fulfilled (the owner delivered), at `at`. Repeating it changes nothing."""
    order = rows.lock_order(s, code)
    if order.status == OrderStatus.PAID:
        order.status = OrderStatus.FULFILLED.value
        order.fulfilled_at = at
        order.fulfilment = fulfilment.final_state(s, order)
        s.flush()
    elif order.status != OrderStatus.FULFILLED:
        raise errors.InvalidTransition("order", order.status, OrderStatus.FULFILLED)
    return order_view(s, order)


def refund_order(s: Session, code: str) -> OrderView:
    """paid|fulfilled -> refunded; a paid order's units return to stock, a delivered
    order's do not (they left). Repeating it changes nothing."""
    order = rows.lock_order(s, code)
    if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
        rows.unsell(s, order)
    elif order.status != OrderStatus.REFUNDED:
        raise errors.InvalidTransition("order", order.status, OrderStatus.REFUNDED)
    return order_view(s, order)


def held_units(s: Session, sku: str, platform: str) -> int:
    """Units of `sku` in `platform`'s orders still waiting for payment."""
    total = s.scalar(
        select(func.coalesce(func.sum(ORDER_LINES.c.quantity), 0))
        .join_from(ORDER_LINES, ORDERS, ORDERS.c.id == ORDER_LINES.c.order_id)
        .join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id)
        .where(
            PRODUCTS.c.sku == sku,
            ORDERS.c.platform == platform,
            ORDERS.c.status == OrderStatus.PENDING.value,
        )
    )
    return int(total or 0)
