"""Owner alerts kept in the store: what happened, and its way to each owner's private chat.

An alert is written once per fact (its `dedupe_key`: a repeated webhook or a second process
hearing the same payment records nothing new), together with one delivery row per private
destination the owner chose. The panel lists alerts from here; the bot sends deliveries
from here and marks them sent only once the platform's adapter took the message, so a
platform that is down loses nothing: the row waits and is tried again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from commerce import rows
from commerce.models import ALERT_PREFERENCES, OWNER_ALERT_DELIVERIES, OWNER_ALERTS
from commerce.money import Money


class AlertKind(enum.StrEnum):
    PAID = "paid"
    TIP = "tip"
    REFUND_NEEDED = "refund_needed"
    MISSING_DETAILS = "missing_details"


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """What to record: `summary` is the products ("2× Remera, Taza"), never personal data."""

    kind: AlertKind
    dedupe_key: str
    code: str
    platform: str = ""
    buyer: str = ""
    summary: str = ""
    amount: Money | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Destination:
    """An owner's private chat: (platform, user id)."""

    platform: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Preferences:
    """The owner's alert choices from the panel: event -> platforms, and the digest."""

    routes: dict[str, tuple[str, ...]]
    digest: bool
    digest_minutes: int
    missing_details_hours: int


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    kind: AlertKind
    code: str
    platform: str
    buyer: str
    summary: str
    amount: Money | None
    reason: str
    created_at: datetime
    read_at: datetime | None = None
    sent_to: tuple[str, ...] = ()  # platforms whose private chat has it
    waiting_for: tuple[str, ...] = ()  # platforms still being tried


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    destination: Destination
    attempts: int
    alert: AlertView


def record(
    s: Session, spec: AlertSpec, destinations: Iterable[Destination], at: datetime
) -> AlertView | None:
    """Record the alert and its deliveries; None when this fact was recorded before."""
    amount = spec.amount
    values = {
        "kind": spec.kind.value,
        "dedupe_key": spec.dedupe_key[:160],
        "code": spec.code[:16],
        "platform": spec.platform[:32],
        "buyer": spec.buyer[:200],
        "summary": spec.summary,
        "amount_minor": amount.minor if amount is not None else None,
        "currency": amount.currency if amount is not None else None,
        "reason": spec.reason[:32],
        "created_at": at,
    }
    if not rows.insert_ignore(s, OWNER_ALERTS, values, ["dedupe_key"]):
        return None
    alert_id = s.execute(
        select(OWNER_ALERTS.c.id).where(OWNER_ALERTS.c.dedupe_key == values["dedupe_key"])
    ).scalar_one()
    for where in dict.fromkeys(destinations):
        s.execute(
            OWNER_ALERT_DELIVERIES.insert().values(
                alert_id=alert_id,
                platform=where.platform,
                user_id=where.user_id,
                attempts=0,
                next_try_at=at,
            )
        )
    return _views(s, [alert_id])[0]


def list_alerts(
    s: Session, kinds: Iterable[AlertKind] | None, limit: int, unread_only: bool = False
) -> list[AlertView]:
    """Newest first, of the given kinds (None: all)."""
    query = select(OWNER_ALERTS.c.id).order_by(
        OWNER_ALERTS.c.created_at.desc(), OWNER_ALERTS.c.id.desc()
    )
    if kinds is not None:
        query = query.where(OWNER_ALERTS.c.kind.in_([k.value for k in kinds]))
    if unread_only:
        query = query.where(OWNER_ALERTS.c.read_at.is_(None))
    ids = list(s.execute(query.limit(limit)).scalars())
    return _views(s, ids)


def count_unread(s: Session, kinds: Iterable[AlertKind] | None) -> int:
    query = select(func.count()).select_from(OWNER_ALERTS).where(OWNER_ALERTS.c.read_at.is_(None))
    if kinds is not None:
        query = query.where(OWNER_ALERTS.c.kind.in_([k.value for k in kinds]))
    return int(s.execute(query).scalar_one())


def mark_read(
    s: Session, ids: Sequence[int] | None, kinds: Iterable[AlertKind] | None, at: datetime
) -> int:
    """Mark alerts read (the given ids, or every unread one of `kinds`); how many changed."""
    stmt = update(OWNER_ALERTS).where(OWNER_ALERTS.c.read_at.is_(None)).values(read_at=at)
    if ids is not None:
        stmt = stmt.where(OWNER_ALERTS.c.id.in_(list(ids)))
    if kinds is not None:
        stmt = stmt.where(OWNER_ALERTS.c.kind.in_([k.value for k in kinds]))
    return rows.rowcount(s, stmt)


def due_deliveries(
    s: Session, platforms: Iterable[str], now: datetime, max_attempts: int, limit: int
) -> list[DeliveryView]:
    """Unsent deliveries to `platforms` whose next try has come, oldest alert first."""
    d = OWNER_ALERT_DELIVERIES
    query = (
        select(d.c.id, d.c.alert_id, d.c.platform, d.c.user_id, d.c.attempts)
        .where(
            d.c.sent_at.is_(None),
            d.c.next_try_at <= now,
            d.c.attempts < max_attempts,
            d.c.platform.in_(list(platforms)),
        )
        .order_by(d.c.alert_id, d.c.id)
        .limit(limit)
    )
    found = list(s.execute(query))
    alerts = {a.id: a for a in _views(s, sorted({row.alert_id for row in found}))}
    return [
        DeliveryView(
            id=row.id,
            destination=Destination(row.platform, row.user_id),
            attempts=row.attempts,
            alert=alerts[row.alert_id],
        )
        for row in found
    ]


def take(s: Session, ids: Sequence[int], now: datetime, retry_at: datetime) -> list[int]:
    """Take deliveries for one attempt: those still due get `retry_at` as their next try
    (if this attempt is lost, that is when they come back). One conditional UPDATE each, so
    of two processes only one takes a row. Returns the ids taken."""
    d = OWNER_ALERT_DELIVERIES
    taken: list[int] = []
    for delivery_id in ids:
        stmt = (
            update(d)
            .where(d.c.id == delivery_id, d.c.sent_at.is_(None), d.c.next_try_at <= now)
            .values(attempts=d.c.attempts + 1, next_try_at=retry_at)
        )
        if rows.rowcount(s, stmt) == 1:
            taken.append(delivery_id)
    return taken


def mark_sent(s: Session, ids: Sequence[int], at: datetime) -> int:
    d = OWNER_ALERT_DELIVERIES
    stmt = update(d).where(d.c.id.in_(list(ids)), d.c.sent_at.is_(None)).values(sent_at=at)
    return rows.rowcount(s, stmt)


def preferences(s: Session) -> Preferences | None:
    """What the owner saved in the panel; None until they do (config decides then)."""
    row = s.execute(select(ALERT_PREFERENCES).where(ALERT_PREFERENCES.c.id == 1)).first()
    if row is None:
        return None
    routes = {str(k): tuple(str(p) for p in v) for k, v in dict(row.routes).items()}
    return Preferences(routes, bool(row.digest), row.digest_minutes, row.missing_details_hours)


def save_preferences(s: Session, chosen: Preferences, at: datetime) -> None:
    values = {
        "routes": {k: list(v) for k, v in chosen.routes.items()},
        "digest": chosen.digest,
        "digest_minutes": chosen.digest_minutes,
        "missing_details_hours": chosen.missing_details_hours,
        "updated_at": at,
    }
    changed = rows.rowcount(
        s, update(ALERT_PREFERENCES).where(ALERT_PREFERENCES.c.id == 1).values(**values)
    )
    if not changed:
        s.execute(ALERT_PREFERENCES.insert().values(id=1, **values))


def _views(s: Session, ids: Sequence[int]) -> list[AlertView]:
    if not ids:
        return []
    a, d = OWNER_ALERTS, OWNER_ALERT_DELIVERIES
    sent: dict[int, list[str]] = {}
    waiting: dict[int, list[str]] = {}
    for row in s.execute(
        select(d.c.alert_id, d.c.platform, d.c.sent_at).where(d.c.alert_id.in_(list(ids)))
    ):
        bucket = sent if row.sent_at is not None else waiting
        platforms = bucket.setdefault(row.alert_id, [])
        if row.platform not in platforms:
            platforms.append(row.platform)
    by_id = {row.id: row for row in s.execute(select(a).where(a.c.id.in_(list(ids))))}
    views: list[AlertView] = []
    for alert_id in ids:
        row = by_id[alert_id]
        amount = (
            Money.from_minor(row.amount_minor, row.currency)
            if row.amount_minor is not None and row.currency
            else None
        )
        views.append(
            AlertView(
                id=row.id,
                kind=AlertKind(row.kind),
                code=row.code,
                platform=row.platform,
                buyer=row.buyer,
                summary=row.summary,
                amount=amount,
                reason=row.reason,
                created_at=row.created_at,
                read_at=row.read_at,
                sent_to=tuple(sent.get(alert_id, ())),
                waiting_for=tuple(
                    p for p in waiting.get(alert_id, ()) if p not in sent.get(alert_id, ())
                ),
            )
        )
    return views


__all__ = [
    "AlertKind",
    "AlertSpec",
    "AlertView",
    "DeliveryView",
    "Destination",
    "Preferences",
    "count_unread",
    "due_deliveries",
    "list_alerts",
    "mark_read",
    "mark_sent",
    "preferences",
    "record",
    "save_preferences",
    "take",
]
