"""The owner's moderation settings and words, and the alerts held for approval.

What the filter does with them lives in bots.moderation (pure text logic); this module only
keeps them, so a restart changes nothing the owner set and loses no held alert. A held
alert is keyed by what it announces (an order or a tip code): announcing the same payment
twice holds it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from commerce.models import HELD_ALERTS, MODERATION_SETTINGS, MODERATION_WORDS
from commerce.rows import insert_ignore, rowcount

__all__ = [
    "HELD",
    "HeldView",
    "ModerationView",
    "WordView",
    "add_word",
    "decide",
    "held_alerts",
    "held_statuses",
    "hold",
    "remove_word",
    "save_settings",
    "settings",
    "words",
]

HELD, APPROVED, REJECTED = "held", "approved", "rejected"


@dataclass(frozen=True, slots=True)
class ModerationView:
    action: str
    hold: str
    hold_above: Decimal | None


@dataclass(frozen=True, slots=True)
class WordView:
    word: str
    kind: str  # "block" | "allow"


@dataclass(frozen=True, slots=True)
class HeldView:
    id: int
    kind: str
    code: str
    payload: str
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


def settings(s: Session) -> ModerationView | None:
    row = s.execute(select(MODERATION_SETTINGS).where(MODERATION_SETTINGS.c.id == 1)).first()
    if row is None:
        return None
    above = None
    if row.hold_above is not None:
        try:
            above = Decimal(row.hold_above)
        except InvalidOperation:
            above = None
    return ModerationView(row.action, row.hold, above)


def save_settings(
    s: Session, action: str, hold: str, hold_above: Decimal | None, now: datetime
) -> ModerationView:
    values = {
        "action": action,
        "hold": hold,
        "hold_above": str(hold_above) if hold_above is not None else None,
        "updated_at": now,
    }
    done = rowcount(
        s, update(MODERATION_SETTINGS).where(MODERATION_SETTINGS.c.id == 1).values(values)
    )
    if not done:
        s.execute(insert(MODERATION_SETTINGS).values(id=1, **values))
    return ModerationView(action, hold, hold_above)


def words(s: Session) -> list[WordView]:
    rows = s.execute(
        select(MODERATION_WORDS.c.word, MODERATION_WORDS.c.kind).order_by(MODERATION_WORDS.c.word)
    )
    return [WordView(r.word, r.kind) for r in rows]


def add_word(s: Session, word: str, kind: str, now: datetime) -> WordView:
    """Block or allow `word`; a word already listed changes kind."""
    done = rowcount(
        s, update(MODERATION_WORDS).where(MODERATION_WORDS.c.word == word).values(kind=kind)
    )
    if not done:
        s.execute(insert(MODERATION_WORDS).values(word=word, kind=kind, created_at=now))
    return WordView(word, kind)


def remove_word(s: Session, word: str) -> bool:
    return rowcount(s, delete(MODERATION_WORDS).where(MODERATION_WORDS.c.word == word)) > 0


def _view(row: object) -> HeldView:
    return HeldView(
        id=row.id,  # type: ignore[attr-defined]
        kind=row.kind,  # type: ignore[attr-defined]
        code=row.code,  # type: ignore[attr-defined]
        payload=row.payload,  # type: ignore[attr-defined]
        reason=row.reason,  # type: ignore[attr-defined]
        status=row.status,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        decided_at=row.decided_at,  # type: ignore[attr-defined]
        decided_by=row.decided_by,  # type: ignore[attr-defined]
    )


def hold(
    s: Session, kind: str, code: str, payload: str, reason: str, now: datetime
) -> tuple[HeldView, bool]:
    """The held alert for (kind, code), and whether this call is the one that held it."""
    values = {
        "kind": kind,
        "code": code,
        "payload": payload,
        "reason": reason,
        "status": HELD,
        "created_at": now,
    }
    created = insert_ignore(s, HELD_ALERTS, values, ["kind", "code"])
    row = s.execute(
        select(HELD_ALERTS).where(HELD_ALERTS.c.kind == kind, HELD_ALERTS.c.code == code)
    ).one()
    return _view(row), created


def held_alerts(s: Session, status: str = HELD, limit: int = 100) -> list[HeldView]:
    """Held alerts, oldest first (the order they came in); decided ones newest first."""
    query = select(HELD_ALERTS).where(HELD_ALERTS.c.status == status)
    if status == HELD:
        query = query.order_by(HELD_ALERTS.c.created_at, HELD_ALERTS.c.id)
    else:
        query = query.order_by(HELD_ALERTS.c.decided_at.desc(), HELD_ALERTS.c.id.desc())
    return [_view(r) for r in s.execute(query.limit(limit))]


def decide(s: Session, held_id: int, approve: bool, actor: str, now: datetime) -> HeldView | None:
    """Approve or reject a held alert; None when it is gone or someone decided first."""
    done = rowcount(
        s,
        update(HELD_ALERTS)
        .where(HELD_ALERTS.c.id == held_id, HELD_ALERTS.c.status == HELD)
        .values(status=APPROVED if approve else REJECTED, decided_at=now, decided_by=actor),
    )
    if not done:
        return None
    return _view(s.execute(select(HELD_ALERTS).where(HELD_ALERTS.c.id == held_id)).one())


def held_statuses(s: Session, kind: str, codes: Iterable[str]) -> dict[str, str]:
    """The decision on each of `codes` that was ever held: widgets leave out what was not
    approved."""
    wanted = list(codes)
    if not wanted:
        return {}
    rows = s.execute(
        select(HELD_ALERTS.c.code, HELD_ALERTS.c.status).where(
            HELD_ALERTS.c.kind == kind, HELD_ALERTS.c.code.in_(wanted)
        )
    )
    return {r.code: r.status for r in rows}
