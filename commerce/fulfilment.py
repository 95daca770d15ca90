"""Fulfilment: what happens to a paid order until it is in the buyer's hands.

    ship:    ready_to_ship -> shipped (carrier, tracking) -> delivered
    pickup:  preparing -> ready_for_pickup -> picked_up
    digital: to_deliver -> delivered (the text was sent, or the shout-out was done)

`orders.fulfilment` holds the state once the owner moved it (NULL reads as the method's
first state, commerce.delivery.fulfilment_state). `orders.status` keeps its meaning: an
order is `paid` until delivered or picked up, then `fulfilled` (with `fulfilled_at`), so
reports, the CSV and `Store.fulfill_order` read as before. Each step is idempotent:
repeating it changes nothing and reports `changed=False`, so the caller publishes an event
(bots.runtime.events) and the history (order_events) records it only once. A shipped order
may be given a corrected carrier or tracking; that is recorded as "tracking".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commerce import delivery, errors, reports, rows
from commerce.models import Order
from commerce.view_builders import order_view
from commerce.views import OrderStatus, OrderView

SHIPPED = "shipped"
DELIVERED = "delivered"
READY_FOR_PICKUP = "ready_for_pickup"
PICKED_UP = "picked_up"


@dataclass(frozen=True, slots=True)
class Transition:
    """One order after a fulfilment step; `changed` is False when it was already there."""

    order: OrderView
    changed: bool


def _method(s: Session, order: Order) -> str:
    assert order.id is not None
    return order.delivery_method or delivery.needs(s, order.id)


def _paid(order: Order, target: str) -> bool:
    """True when the order is paid (may move); False when already fulfilled (no-op)."""
    if order.status == OrderStatus.PAID:
        return True
    if order.status == OrderStatus.FULFILLED:
        return False
    raise errors.InvalidTransition("order", order.status, target)


def mark_shipped(
    s: Session, code: str, carrier: str | None, tracking: str | None, actor: str, at: datetime
) -> Transition:
    order = rows.lock_order(s, code)
    if not _paid(order, SHIPPED):
        return Transition(order_view(s, order), False)
    if _method(s, order) != delivery.SHIP:
        raise errors.InvalidTransition("order", _method(s, order), SHIPPED)
    carrier = (carrier or "").strip()[:64] or None
    tracking = (tracking or "").strip()[:128] or None
    detail = " ".join(p for p in (carrier, tracking) if p)
    if order.fulfilment == SHIPPED:
        new_carrier = carrier or order.carrier
        new_tracking = tracking or order.tracking
        if (new_carrier, new_tracking) == (order.carrier, order.tracking):
            return Transition(order_view(s, order), False)
        order.carrier, order.tracking = new_carrier, new_tracking
        reports.record_event(s, order.code, "tracking", actor, at, detail)
        s.flush()
        return Transition(order_view(s, order), True)
    order.fulfilment = SHIPPED
    order.shipped_at = at
    order.carrier, order.tracking = carrier, tracking
    reports.record_event(s, order.code, SHIPPED, actor, at, detail)
    s.flush()
    return Transition(order_view(s, order), True)


def mark_ready_for_pickup(s: Session, code: str, actor: str, at: datetime) -> Transition:
    order = rows.lock_order(s, code)
    if not _paid(order, READY_FOR_PICKUP) or order.fulfilment == READY_FOR_PICKUP:
        return Transition(order_view(s, order), False)
    if _method(s, order) != delivery.PICKUP:
        raise errors.InvalidTransition("order", _method(s, order), READY_FOR_PICKUP)
    order.fulfilment = READY_FOR_PICKUP
    order.ready_at = at
    reports.record_event(s, order.code, READY_FOR_PICKUP, actor, at, "")
    s.flush()
    return Transition(order_view(s, order), True)


def _finish(s: Session, code: str, state: str, actor: str, at: datetime) -> Transition:
    order = rows.lock_order(s, code)
    if not _paid(order, state):
        return Transition(order_view(s, order), False)
    method = _method(s, order)
    if (state == PICKED_UP) != (method == delivery.PICKUP):
        raise errors.InvalidTransition("order", method, state)
    order.status = OrderStatus.FULFILLED.value
    order.fulfilment = state
    order.fulfilled_at = at
    reports.record_event(s, order.code, state, actor, at, "")
    s.flush()
    return Transition(order_view(s, order), True)


def mark_delivered(s: Session, code: str, actor: str, at: datetime) -> Transition:
    """A shipped (or digital, or not even marked shipped) order reached its buyer."""
    return _finish(s, code, DELIVERED, actor, at)


def mark_picked_up(s: Session, code: str, actor: str, at: datetime) -> Transition:
    return _finish(s, code, PICKED_UP, actor, at)


def final_state(s: Session, order: Order) -> str:
    """What `fulfill_order` (the generic "delivered" of before) sets for this order."""
    return PICKED_UP if _method(s, order) == delivery.PICKUP else DELIVERED


__all__ = [
    "DELIVERED",
    "PICKED_UP",
    "READY_FOR_PICKUP",
    "SHIPPED",
    "Transition",
    "mark_delivered",
    "mark_picked_up",
    "mark_ready_for_pickup",
    "mark_shipped",
]
