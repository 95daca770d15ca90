"""The owner's panel sign-in: one-time links and browser sessions, kept as token hashes.

A link is printed by `vivo panel` (or at start-up) and redeemed once, before it expires,
by one conditional UPDATE, so two browsers racing on the same link cannot both get in. The
store keeps only SHA-256 hashes of link and session tokens: a copy of the database lets no
one sign in. Sessions expire, and can be revoked one by one or all at once.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce import rows
from commerce.models import PANEL_LINKS, PANEL_SESSIONS

# A session is touched at most this often, so reading a page rarely writes.
TOUCH_EVERY = timedelta(minutes=5)


class PanelRole(enum.StrEnum):
    OWNER = "owner"
    STAFF = "staff"  # sees and fulfils orders; no refunds, prices or settings


@dataclass(frozen=True, slots=True)
class PanelSessionView:
    id: int
    role: PanelRole
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime
    user_agent: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(s: Session, token: str, role: PanelRole, at: datetime, ttl: timedelta) -> None:
    s.execute(
        PANEL_LINKS.insert().values(
            token_hash=token_hash(token),
            role=PanelRole(role).value,
            created_at=at,
            expires_at=at + ttl,
            used_at=None,
        )
    )


def redeem_link(
    s: Session, link: str, session: str, at: datetime, ttl: timedelta, user_agent: str
) -> PanelSessionView | None:
    """Use the link (once, unexpired) and open a session for its role; None if refused."""
    hashed = token_hash(link)
    used = rows.rowcount(
        s,
        update(PANEL_LINKS)
        .where(
            PANEL_LINKS.c.token_hash == hashed,
            PANEL_LINKS.c.used_at.is_(None),
            PANEL_LINKS.c.expires_at > at,
        )
        .values(used_at=at),
    )
    if used != 1:
        return None
    role = s.execute(
        select(PANEL_LINKS.c.role).where(PANEL_LINKS.c.token_hash == hashed)
    ).scalar_one()
    s.execute(
        PANEL_SESSIONS.insert().values(
            token_hash=token_hash(session),
            role=role,
            created_at=at,
            expires_at=at + ttl,
            last_seen_at=at,
            revoked_at=None,
            user_agent=user_agent[:200],
        )
    )
    return find_session(s, session, at)


def find_session(s: Session, token: str, at: datetime) -> PanelSessionView | None:
    """The live session for a cookie's token: not expired, not revoked."""
    row = s.execute(
        select(PANEL_SESSIONS).where(
            PANEL_SESSIONS.c.token_hash == token_hash(token),
            PANEL_SESSIONS.c.revoked_at.is_(None),
            PANEL_SESSIONS.c.expires_at > at,
        )
    ).first()
    if row is None:
        return None
    if at - row.last_seen_at >= TOUCH_EVERY:
        s.execute(
            update(PANEL_SESSIONS).where(PANEL_SESSIONS.c.id == row.id).values(last_seen_at=at)
        )
    return _view(row)


def _view(row: object) -> PanelSessionView:
    r = row
    return PanelSessionView(
        id=int(r.id),  # type: ignore[attr-defined]
        role=PanelRole(r.role),  # type: ignore[attr-defined]
        created_at=r.created_at,  # type: ignore[attr-defined]
        expires_at=r.expires_at,  # type: ignore[attr-defined]
        last_seen_at=r.last_seen_at,  # type: ignore[attr-defined]
        user_agent=r.user_agent,  # type: ignore[attr-defined]
    )


def revoke_session(s: Session, token: str, at: datetime) -> None:
    s.execute(
        update(PANEL_SESSIONS)
        .where(PANEL_SESSIONS.c.token_hash == token_hash(token))
        .where(PANEL_SESSIONS.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def revoke_all(s: Session, at: datetime) -> int:
    """Sign every browser out, and void the links not used yet; returns sessions ended."""
    s.execute(update(PANEL_LINKS).where(PANEL_LINKS.c.used_at.is_(None)).values(expires_at=at))
    return rows.rowcount(
        s,
        update(PANEL_SESSIONS)
        .where(PANEL_SESSIONS.c.revoked_at.is_(None), PANEL_SESSIONS.c.expires_at > at)
        .values(revoked_at=at),
    )


def live_sessions(s: Session, at: datetime) -> list[PanelSessionView]:
    found = s.execute(
        select(PANEL_SESSIONS)
        .where(PANEL_SESSIONS.c.revoked_at.is_(None), PANEL_SESSIONS.c.expires_at > at)
        .order_by(PANEL_SESSIONS.c.last_seen_at.desc())
    ).all()
    return [_view(r) for r in found]


__all__ = [
    "PanelRole",
    "PanelSessionView",
    "create_link",
    "find_session",
    "live_sessions",
    "new_token",
    "redeem_link",
    "revoke_all",
    "revoke_session",
    "token_hash",
]
