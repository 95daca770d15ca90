"""The provider-notification inbox: webhooks persisted before they are acknowledged.

A notification is stored on arrival, processed later (after a restart too) and marked done
once with its first outcome; failed attempts are counted and the notification stays queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce.models import NOTIFICATIONS, WebhookNotification
from commerce.view_builders import notification_view
from commerce.views import NotificationView


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
    """Notifications not yet processed, oldest first."""
    found = s.scalars(
        select(WebhookNotification)
        .where(NOTIFICATIONS.c.processed_at.is_(None))
        .order_by(NOTIFICATIONS.c.id)
        .limit(limit)
    ).all()
    return [notification_view(n) for n in found]


def get_notification(s: Session, notification_id: int) -> NotificationView:
    row = s.get(WebhookNotification, notification_id)
    if row is None:
        raise LookupError(f"no notification {notification_id}")
    return notification_view(row)


def finish_notifications(s: Session, ids: list[int], outcome: str, at: datetime) -> None:
    """Mark notifications processed; repeating it keeps the first outcome."""
    s.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id.in_(ids), NOTIFICATIONS.c.processed_at.is_(None))
        .values(processed_at=at, outcome=outcome[:32])
    )


def notifications_failed(s: Session, ids: list[int], error: str) -> None:
    """Count a failed attempt; the notifications stay unprocessed for the next one."""
    s.execute(
        update(NOTIFICATIONS)
        .where(NOTIFICATIONS.c.id.in_(ids))
        .values(attempts=NOTIFICATIONS.c.attempts + 1, last_error=error[:2000])
    )
