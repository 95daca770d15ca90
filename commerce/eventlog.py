"""The events outbox: events written in the transaction of the change they report.

With several processes on one PostgreSQL database, an event must survive the process that
made it and reach processes that were away when it happened. So the change and its event
commit together (`append`, called inside the Store's own transaction), a NOTIFY on
`CHANNEL` wakes the listeners at commit, and each role keeps its cursor in `event_cursors`:
a listener that comes back reads on from where that role stopped.

Ids are read in order, so they must also commit in order: writers take a transaction-scoped
advisory lock before they insert, which holds them in line only from the insert to their
commit (the insert is the last thing the transaction does). Readers never see id 11 before
a still-open id 10. SQLite serializes every writer already.

The store never reads `kind` or `body`: they belong to whoever wrote them (bots/runtime).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from commerce.models import EVENT_CURSORS, EVENTS_OUTBOX

__all__ = [
    "CHANNEL",
    "WRITE_LOCK",
    "EventRow",
    "advance",
    "after",
    "append",
    "cursor",
    "last_id",
    "prune",
]

CHANNEL = "vivo_events"
WRITE_LOCK = 0x76697631  # "viv1": any fixed 64-bit number, unlike commerce.db's migration lock


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    kind: str
    body: str
    created_at: datetime


def append(s: Session, events: Sequence[tuple[str, str]], at: datetime) -> None:
    """Write (kind, body) pairs in the caller's transaction; listeners wake at its commit."""
    if not events:
        return
    postgres = s.get_bind().dialect.name == "postgresql"
    if postgres:
        s.execute(select(func.pg_advisory_xact_lock(WRITE_LOCK)))
    s.execute(
        insert(EVENTS_OUTBOX),
        [{"kind": kind, "body": body, "created_at": at} for kind, body in events],
    )
    if postgres:
        s.execute(select(func.pg_notify(CHANNEL, "")))


def after(s: Session, event_id: int, limit: int) -> list[EventRow]:
    """The events written after `event_id`, oldest first."""
    found = s.execute(
        select(EVENTS_OUTBOX)
        .where(EVENTS_OUTBOX.c.id > event_id)
        .order_by(EVENTS_OUTBOX.c.id)
        .limit(limit)
    ).all()
    return [EventRow(r.id, r.kind, r.body, r.created_at) for r in found]


def last_id(s: Session) -> int:
    return int(s.execute(select(func.coalesce(func.max(EVENTS_OUTBOX.c.id), 0))).scalar_one())


def cursor(s: Session, consumer: str, at: datetime) -> int:
    """Where `consumer` stopped reading; a role never seen before starts at the newest event
    (it has nothing to catch up on from before it existed)."""
    values = {"consumer": consumer, "last_id": last_id(s), "updated_at": at}
    dialect = s.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    s.execute(maker(EVENT_CURSORS).values(**values).on_conflict_do_nothing())
    found = s.execute(
        select(EVENT_CURSORS.c.last_id).where(EVENT_CURSORS.c.consumer == consumer)
    ).scalar_one()
    return int(found)


def advance(s: Session, consumer: str, event_id: int, at: datetime) -> None:
    """Record that `consumer` has handled everything up to `event_id` (never moves back)."""
    s.execute(
        update(EVENT_CURSORS)
        .where(EVENT_CURSORS.c.consumer == consumer, EVENT_CURSORS.c.last_id < event_id)
        .values(last_id=event_id, updated_at=at)
    )


def prune(s: Session, before: datetime) -> int:
    """Forget events older than `before` (every role has long read them)."""
    return int(
        s.connection()
        .execute(delete(EVENTS_OUTBOX).where(EVENTS_OUTBOX.c.created_at < before))
        .rowcount
    )
