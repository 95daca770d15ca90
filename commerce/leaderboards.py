"""What the stream widgets show: the latest sales and tips, and the top supporters of this
stream and of all time, by tips or by purchases.

"This stream" is commerce.reports' stream: the run of activity reaching now. Only money
the owner kept counts (paid or fulfilled orders, paid tips); the database sums it, so a
store with years of history answers as fast as a new one. Nothing here changes the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commerce.models import ORDERS, TIPS, VIEWERS, UTCDateTime
from commerce.money import Money
from commerce.reports import SOLD, _items

__all__ = ["RecentEvent", "Supporter", "recent_events", "top_supporters"]

TIP_PAID = "paid"


def _paid_at(table: Any) -> Any:
    """When it was paid (when it was made, for rows older than paid_at)."""
    return func.coalesce(table.c.paid_at, table.c.created_at, type_=UTCDateTime())


@dataclass(frozen=True, slots=True)
class RecentEvent:
    kind: str  # "order" | "tip"
    code: str
    name: str
    platform: str
    amount: Money
    at: datetime
    detail: str  # what an order bought; a tip's message (not yet moderated)


@dataclass(frozen=True, slots=True)
class Supporter:
    name: str
    platform: str
    count: int
    amount: Money


def recent_events(s: Session, limit: int) -> list[RecentEvent]:
    """The last `limit` paid orders and tips together, newest first."""
    order_at = _paid_at(ORDERS)
    orders = s.execute(
        select(
            ORDERS.c.id,
            ORDERS.c.code,
            VIEWERS.c.display_name,
            ORDERS.c.platform,
            ORDERS.c.total_minor,
            ORDERS.c.currency,
            order_at.label("at"),
        )
        .select_from(ORDERS.join(VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id))
        .where(ORDERS.c.status.in_(SOLD))
        .order_by(order_at.desc(), ORDERS.c.id.desc())
        .limit(limit)
    ).all()
    tip_at = _paid_at(TIPS)
    tips = s.execute(
        select(
            TIPS.c.code,
            VIEWERS.c.display_name,
            TIPS.c.platform,
            TIPS.c.amount_minor,
            TIPS.c.currency,
            tip_at.label("at"),
            TIPS.c.message,
        )
        .select_from(TIPS.join(VIEWERS, VIEWERS.c.id == TIPS.c.viewer_id))
        .where(TIPS.c.status == TIP_PAID)
        .order_by(tip_at.desc(), TIPS.c.id.desc())
        .limit(limit)
    ).all()
    items = _items(s, [int(r.id) for r in orders])
    found = [
        RecentEvent(
            "order",
            r.code,
            r.display_name,
            r.platform,
            Money.from_minor(int(r.total_minor), r.currency),
            r.at,
            items.get(int(r.id), ""),
        )
        for r in orders
    ] + [
        RecentEvent(
            "tip",
            r.code,
            r.display_name,
            r.platform,
            Money.from_minor(int(r.amount_minor), r.currency),
            r.at,
            r.message,
        )
        for r in tips
    ]
    found.sort(key=lambda e: e.at, reverse=True)
    return found[:limit]


def top_supporters(
    s: Session, by: str, currency: str, since: datetime | None, limit: int
) -> list[Supporter]:
    """Viewers by what they gave in `currency` since `since` (None: all time); `by` is
    "tips" or "purchases"."""
    if by == "tips":
        amount, table = TIPS.c.amount_minor, TIPS
        where = [TIPS.c.status == TIP_PAID, TIPS.c.currency == currency]
        if since is not None:
            where.append(_paid_at(TIPS) >= since)
    else:
        amount, table = ORDERS.c.total_minor, ORDERS
        where = [ORDERS.c.status.in_(SOLD), ORDERS.c.currency == currency]
        if since is not None:
            where.append(_paid_at(ORDERS) >= since)
    total = func.sum(amount)
    rows = s.execute(
        select(VIEWERS.c.display_name, VIEWERS.c.platform, func.count(), total)
        .select_from(table.join(VIEWERS, VIEWERS.c.id == table.c.viewer_id))
        .where(*where)
        .group_by(VIEWERS.c.id, VIEWERS.c.display_name, VIEWERS.c.platform)
        .order_by(total.desc(), VIEWERS.c.id)
        .limit(limit)
    ).all()
    return [
        Supporter(r[0], r[1], int(r[2]), Money.from_minor(int(r[3] or 0), currency)) for r in rows
    ]
