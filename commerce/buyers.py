"""Buyers' personal data: what is erased, when, and what is never stored.

Personal data is the buyer's name, contact and address (delivery_details), the name they
are greeted by (viewers.display_name), their platform user id, the payer data a provider
sends with a payment, and tip messages (free text that can name them). The accounting
stays: orders, lines, amounts and payment rows (id, status, amount, currency) are kept,
because the owner must be able to account for every sale.

- `scrub_payment_raw` keeps a provider payment's JSON without its payer, card holder and
  shipping address before it is stored (commerce.ledger), so payments.raw never holds them.
- `erase_expired` deletes the delivery details of orders finished (delivered, picked up,
  refunded, cancelled or expired) before a cutoff: `[delivery] keep_personal_data_days`
  after the end, run by the bot's periodic duties.
- `forget` erases everything personal about one buyer at once (`vivo buyers forget`): the
  viewer row keeps its id (orders point to it) but its user id and name become a
  placeholder, so a later purchase from the same account starts a new, unrelated viewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from commerce import rows
from commerce.models import (
    DELIVERY_DETAILS,
    GIVEAWAY_ENTRIES,
    ORDERS,
    OWNERS,
    PAYMENTS,
    TIPS,
    VIEWERS,
)
from commerce.views import OrderStatus

#: Keys of a MercadoPago payment that describe a person, dropped before storing it.
PERSONAL_PAYMENT_KEYS = frozenset(
    {"payer", "card", "additional_info", "shipments", "receiver_address"}
)
FORGOTTEN = "(borrado)"


def scrub_payment_raw(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The payment without who paid (see the module doc); everything else kept."""
    return {k: v for k, v in raw.items() if k not in PERSONAL_PAYMENT_KEYS}


def forget(s: Session, platform: str, user_id: str) -> bool:
    """Erase one buyer's personal data, keeping the accounting; False when unknown."""
    viewer_id = s.execute(
        select(VIEWERS.c.id).where(
            VIEWERS.c.platform == platform, VIEWERS.c.platform_user_id == user_id
        )
    ).scalar_one_or_none()
    # Giveaway entries keep the platform user id (a draw's entry list must still hash to
    # what was drawn, commerce.giveaways); the name goes.
    entered = rows.rowcount(
        s,
        update(GIVEAWAY_ENTRIES)
        .where(GIVEAWAY_ENTRIES.c.platform == platform, GIVEAWAY_ENTRIES.c.user_id == user_id)
        .values(display_name=FORGOTTEN),
    )
    if viewer_id is None:
        return bool(entered)
    s.execute(delete(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.viewer_id == viewer_id))
    order_ids = select(ORDERS.c.id).where(ORDERS.c.viewer_id == viewer_id)
    tip_ids = select(TIPS.c.id).where(TIPS.c.viewer_id == viewer_id)
    _scrub_payments(s, PAYMENTS.c.order_id.in_(order_ids) | PAYMENTS.c.tip_id.in_(tip_ids))
    s.execute(update(TIPS).where(TIPS.c.viewer_id == viewer_id).values(message=""))
    s.execute(
        update(VIEWERS)
        .where(VIEWERS.c.id == viewer_id)
        .values(platform_user_id=f"forgotten-{viewer_id}", display_name=FORGOTTEN)
    )
    s.execute(
        update(OWNERS)
        .where(OWNERS.c.platform == platform, OWNERS.c.user_id == user_id)
        .values(display_name="")
    )
    return True


def _scrub_payments(s: Session, where: Any) -> None:
    for payment_id, raw in s.execute(select(PAYMENTS.c.id, PAYMENTS.c.raw).where(where)).all():
        clean = scrub_payment_raw(raw or {})
        if clean != (raw or {}):
            s.execute(update(PAYMENTS).where(PAYMENTS.c.id == payment_id).values(raw=clean))


def erase_expired(s: Session, before: datetime) -> int:
    """Delete the delivery details of orders that ended before `before`; how many went."""
    refunded_at = (
        select(func.max(PAYMENTS.c.updated_at))
        .where(PAYMENTS.c.order_id == ORDERS.c.id)
        .scalar_subquery()
    )
    ended = (
        ((ORDERS.c.status == OrderStatus.FULFILLED.value) & (ORDERS.c.fulfilled_at < before))
        | (
            ORDERS.c.status.in_((OrderStatus.CANCELLED.value, OrderStatus.EXPIRED.value))
            & (ORDERS.c.expires_at < before)
        )
        | ((ORDERS.c.status == OrderStatus.REFUNDED.value) & (refunded_at < before))
    )
    ids = [
        int(i)
        for i in s.scalars(
            select(ORDERS.c.id)
            .where(ended)
            .where(ORDERS.c.id.in_(select(DELIVERY_DETAILS.c.order_id)))
        )
    ]
    if not ids:
        return 0
    s.execute(delete(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.order_id.in_(ids)))
    _scrub_payments(s, PAYMENTS.c.order_id.in_(ids))
    return len(ids)


__all__ = ["FORGOTTEN", "PERSONAL_PAYMENT_KEYS", "erase_expired", "forget", "scrub_payment_raw"]
