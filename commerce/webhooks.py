"""Outgoing webhooks' bookkeeping: deliveries waiting, leased, tried, delivered or given up.

The store knows nothing of HTTP: the sender (bots/runtime/webhooks.py) asks for what is
due, sends it, and reports each attempt back. A row is pending until one attempt works
(`delivered`) or the sender gives up (`gave_up`); both are final and kept, with every
attempt, for `vivo webhooks log` and the panel.

Leasing is how several `vivo run` processes on one PostgreSQL share the work without
sending twice: `lease_due` moves the rows' `next_attempt_at` past the lease before it
returns them, under `FOR UPDATE SKIP LOCKED`. A process killed mid-send leaves the row due
again once the lease runs out, so a kill costs at most one duplicate, which the receiver
recognises by the event id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from commerce.models import WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERIES, UTCDateTime

__all__ = [
    "DELIVERED",
    "GAVE_UP",
    "PENDING",
    "AttemptView",
    "DeliveryView",
    "NewDelivery",
    "attempts_of",
    "enqueue",
    "get_delivery",
    "give_up",
    "lease_due",
    "next_due",
    "recent",
    "record_attempt",
]

PENDING = "pending"
DELIVERED = "delivered"
GAVE_UP = "gave_up"
_ERROR_LIMIT = 500


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """One event for one webhook, as the sender made it: the exact body it will send."""

    event_id: str
    event_type: str
    endpoint: str
    url: str
    body: str


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    event_id: str
    event_type: str
    endpoint: str
    url: str
    body: str
    state: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptView:
    delivery_id: int
    at: datetime
    status_code: int | None  # None: no answer (refused, timed out, not HTTP)
    error: str | None  # None: the receiver answered 2xx
    duration_ms: int


def _view(row: object) -> DeliveryView:
    m = row._mapping  # type: ignore[attr-defined]
    return DeliveryView(
        id=m["id"],
        event_id=m["event_id"],
        event_type=m["event_type"],
        endpoint=m["endpoint"],
        url=m["url"],
        body=m["body"],
        state=m["state"],
        created_at=m["created_at"],
        next_attempt_at=m["next_attempt_at"],
        attempts=m["attempts"],
        finished_at=m["finished_at"],
    )


def enqueue(
    s: Session, deliveries: Sequence[NewDelivery], at: datetime, held: timedelta | None = None
) -> list[int]:
    """Write the deliveries, due now (or leased for `held`: the caller sends them itself);
    returns their ids. An (event, webhook) pair already written is skipped, so an event
    published twice goes out once."""
    ids: list[int] = []
    for d in deliveries:
        exists = s.scalar(
            select(WEBHOOK_DELIVERIES.c.id).where(
                WEBHOOK_DELIVERIES.c.event_id == d.event_id,
                WEBHOOK_DELIVERIES.c.endpoint == d.endpoint,
            )
        )
        if exists is not None:
            continue
        new_id = s.execute(
            insert(WEBHOOK_DELIVERIES)
            .values(
                event_id=d.event_id[:40],
                event_type=d.event_type[:40],
                endpoint=d.endpoint[:64],
                url=d.url,
                body=d.body,
                state=PENDING,
                created_at=at,
                next_attempt_at=at + held if held is not None else at,
                attempts=0,
            )
            .returning(WEBHOOK_DELIVERIES.c.id)
        ).scalar_one()
        ids.append(int(new_id))
    return ids


def lease_due(s: Session, at: datetime, lease: timedelta, limit: int) -> list[DeliveryView]:
    """Pending deliveries due at `at`, oldest first, leased until `at + lease`."""
    due = (
        select(WEBHOOK_DELIVERIES.c.id)
        .where(WEBHOOK_DELIVERIES.c.state == PENDING, WEBHOOK_DELIVERIES.c.next_attempt_at <= at)
        .order_by(WEBHOOK_DELIVERIES.c.next_attempt_at, WEBHOOK_DELIVERIES.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(s.scalars(due))
    if not ids:
        return []
    s.execute(
        update(WEBHOOK_DELIVERIES)
        .where(WEBHOOK_DELIVERIES.c.id.in_(ids))
        .values(next_attempt_at=at + lease)
    )
    rows = s.execute(
        select(WEBHOOK_DELIVERIES)
        .where(WEBHOOK_DELIVERIES.c.id.in_(ids))
        .order_by(WEBHOOK_DELIVERIES.c.created_at, WEBHOOK_DELIVERIES.c.id)
    )
    return [_view(r) for r in rows]


def record_attempt(
    s: Session,
    delivery_id: int,
    attempt: AttemptView,
    *,
    retry_at: datetime | None,
) -> DeliveryView:
    """Record one attempt. A 2xx (no error) delivers; otherwise the row waits until
    `retry_at`, or is given up when that is None. A finished row stays as it was."""
    s.execute(
        insert(WEBHOOK_ATTEMPTS).values(
            delivery_id=delivery_id,
            at=attempt.at,
            status_code=attempt.status_code,
            error=attempt.error[:_ERROR_LIMIT] if attempt.error else None,
            duration_ms=max(0, attempt.duration_ms),
        )
    )
    values: dict[str, object] = {"attempts": WEBHOOK_DELIVERIES.c.attempts + 1}
    if attempt.error is None:
        values.update(state=DELIVERED, finished_at=attempt.at)
    elif retry_at is None:
        values.update(state=GAVE_UP, finished_at=attempt.at)
    else:
        values.update(next_attempt_at=retry_at)
    s.execute(
        update(WEBHOOK_DELIVERIES)
        .where(WEBHOOK_DELIVERIES.c.id == delivery_id, WEBHOOK_DELIVERIES.c.state == PENDING)
        .values(**values)
    )
    return get_delivery(s, delivery_id)


def give_up(s: Session, delivery_id: int, at: datetime) -> None:
    """Stop trying without another attempt (its webhook is no longer in the config)."""
    s.execute(
        update(WEBHOOK_DELIVERIES)
        .where(WEBHOOK_DELIVERIES.c.id == delivery_id, WEBHOOK_DELIVERIES.c.state == PENDING)
        .values(state=GAVE_UP, finished_at=at)
    )


def get_delivery(s: Session, delivery_id: int) -> DeliveryView:
    row = s.execute(select(WEBHOOK_DELIVERIES).where(WEBHOOK_DELIVERIES.c.id == delivery_id)).one()
    return _view(row)


def next_due(s: Session) -> datetime | None:
    """When the earliest pending delivery falls due (None: nothing waits)."""
    query = select(func.min(WEBHOOK_DELIVERIES.c.next_attempt_at, type_=UTCDateTime())).where(
        WEBHOOK_DELIVERIES.c.state == PENDING
    )
    found: datetime | None = s.scalar(query)
    return found


def recent(s: Session, limit: int, endpoint: str | None = None) -> list[DeliveryView]:
    """The newest deliveries first, to every webhook or to one."""
    query = select(WEBHOOK_DELIVERIES)
    if endpoint is not None:
        query = query.where(WEBHOOK_DELIVERIES.c.endpoint == endpoint)
    rows = s.execute(query.order_by(WEBHOOK_DELIVERIES.c.id.desc()).limit(limit))
    return [_view(r) for r in rows]


def attempts_of(s: Session, delivery_ids: Iterable[int]) -> dict[int, list[AttemptView]]:
    """Each delivery's attempts, oldest first."""
    wanted = list(delivery_ids)
    found: dict[int, list[AttemptView]] = {i: [] for i in wanted}
    if not wanted:
        return found
    rows = s.execute(
        select(WEBHOOK_ATTEMPTS)
        .where(WEBHOOK_ATTEMPTS.c.delivery_id.in_(wanted))
        .order_by(WEBHOOK_ATTEMPTS.c.id)
    )
    for r in rows:
        m = r._mapping
        found[m["delivery_id"]].append(
            AttemptView(
                delivery_id=m["delivery_id"],
                at=m["at"],
                status_code=m["status_code"],
                error=m["error"],
                duration_ms=m["duration_ms"],
            )
        )
    return found
