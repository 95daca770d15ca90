"""The provider-notification inbox: webhooks persisted before they are acknowledged.

A notification is stored on arrival, processed later (after a restart too) and marked done
once with its first outcome. A failed attempt is counted and sets the row's next-attempt
time: until then the row is not due, so a flood of rows that keep failing cannot hold back
one that arrives after them. A row that never works out is finished as `gave_up` and kept,
with its last error, for the owner to look at.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from commerce.models import NOTIFICATIONS, UTCDateTime, WebhookNotification
from commerce.view_builders import notification_view
from commerce.views import NotificationView

GAVE_UP = "gave_up"
REJECTED = "rejected"


def add_notification(
    s: Session,
    provider: str,
    topic: str,
    resource_id: str,
    *,
    verified: bool,
    raw: Mapping[str, Any] | None,
    at: datetime,
) -> int:
    """Persist a provider notification; returns its id."""
    row = WebhookNotification(
        provider=provider,
        topic=topic[:64],
        resource_id=resource_id[:128],
        verified=verified,
        raw=dict(raw or {}),
        received_at=at,
    )
    s.add(row)
    s.flush()
    assert row.id is not None
    return row.id


def unprocessed_notifications(s: Session, limit: int) -> list[NotificationView]:
    """Notifications not yet processed, oldest first, whether due or waiting."""
    found = s.scalars(
        select(WebhookNotification)
        .where(NOTIFICATIONS.c.processed_at.is_(None))
        .order_by(NOTIFICATIONS.c.id)
        .limit(limit)
    ).all()
    return [notification_view(n) for n in found]


def due_notifications(
    s: Session, limit: int, at: datetime, exclude: Collection[str] = ()
) -> list[NotificationView]:
    """Unprocessed notifications due at `at`, the most deserving first.

    Signed ones before unsigned (only an unsigned legacy IPN can be sent by anyone), then
    fewest failed attempts, then oldest. `exclude` names resource ids already in hand.
    """
    query = select(WebhookNotification).where(
        NOTIFICATIONS.c.processed_at.is_(None),
        or_(NOTIFICATIONS.c.next_attempt_at.is_(None), NOTIFICATIONS.c.next_attempt_at <= at),
    )
    if exclude:
        query = query.where(NOTIFICATIONS.c.resource_id.not_in(list(exclude)))
    found = s.scalars(
        query.order_by(
            NOTIFICATIONS.c.verified.desc(), NOTIFICATIONS.c.attempts, NOTIFICATIONS.c.id
        ).limit(limit)
    ).all()
    return [notification_view(n) for n in found]


def next_due(s: Session) -> datetime | None:
    """When the earliest unprocessed notification falls due (None: nothing waits)."""
    when = func.coalesce(NOTIFICATIONS.c.next_attempt_at, NOTIFICATIONS.c.received_at)
    query = select(func.min(when, type_=UTCDateTime())).where(
        NOTIFICATIONS.c.processed_at.is_(None)
    )
    return s.scalar(query)


def recent_notifications(s: Session, limit: int, *, problems: bool) -> list[NotificationView]:
    """The newest notifications first; with `problems`, only those that failed or were
    refused: what the owner should look at."""
    query = select(WebhookNotification)
    if problems:
        query = query.where(
            or_(
                NOTIFICATIONS.c.outcome.in_([GAVE_UP, REJECTED]),
                (NOTIFICATIONS.c.processed_at.is_(None)) & (NOTIFICATIONS.c.attempts > 0),
            )
        )
    found = s.scalars(query.order_by(NOTIFICATIONS.c.id.desc()).limit(limit)).all()
    return [notification_view(n) for n in found]


def get_notification(s: Session, notification_id: int) -> NotificationView:
    row = s.get(WebhookNotification, notification_id)
    if row is None:
        raise LookupError(f"no notification {notification_id}")
    return notification_view(row)


def finish_notifications(
    s: Session, ids: list[int], outcome: str, at: datetime, error: str | None = None
) -> None:
    """Mark notifications processed; repeating it keeps the first outcome."""
    values: dict[str, Any] = {"processed_at": at, "outcome": outcome[:32]}
    if error is not None:
        values["last_error"] = error[:2000]
    s.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id.in_(ids), NOTIFICATIONS.c.processed_at.is_(None))
        .values(**values)
    )


def notifications_failed(s: Session, ids: list[int], error: str, retry_at: datetime) -> None:
    """Count a failed attempt; the notifications wait, unprocessed, until `retry_at`."""
    s.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id.in_(ids), NOTIFICATIONS.c.processed_at.is_(None))
        .values(
            attempts=NOTIFICATIONS.c.attempts + 1,
            last_error=error[:2000],
            next_attempt_at=retry_at,
        )
    )
