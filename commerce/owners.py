"""Owners recorded in the store: accounts that proved, with a one-time code, that they run it.

The proof itself (the code, its expiry, the rate limit on guesses) is the bot's business;
the store only keeps who passed it, so every process sharing the database honours them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from commerce import rows
from commerce.models import OWNERS
from commerce.views import OwnerView


def add_owner(s: Session, platform: str, user_id: str, display_name: str, at: datetime) -> bool:
    """Record the owner; True when they were not one already (repeating it changes nothing)."""
    values = {
        "platform": platform,
        "user_id": user_id,
        "display_name": display_name[:200],
        "claimed_at": at,
    }
    return rows.insert_ignore(s, OWNERS, values, ["platform", "user_id"])


def list_owners(s: Session) -> list[OwnerView]:
    query = select(OWNERS).order_by(OWNERS.c.platform, OWNERS.c.claimed_at, OWNERS.c.id)
    return [
        OwnerView(
            platform=row.platform,
            user_id=row.user_id,
            display_name=row.display_name,
            claimed_at=row.claimed_at,
        )
        for row in s.execute(query)
    ]


def remove_owner(s: Session, platform: str, user_id: str) -> bool:
    """Forget the owner; True when there was one to forget."""
    stmt = delete(OWNERS).where(OWNERS.c.platform == platform, OWNERS.c.user_id == user_id)
    return rows.rowcount(s, stmt) > 0


__all__ = ["add_owner", "list_owners", "remove_owner"]
