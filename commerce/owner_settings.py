"""The owner's settings from the panel, one JSON document per key, kept across restarts.

The store neither parses nor validates the documents: the feature that owns a key does
(bots.web.alert_config for "alerts"), and reads back its defaults for a missing key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce import rows
from commerce.models import OWNER_SETTINGS

MAX_KEY = 64


def get(s: Session, key: str) -> str | None:
    found = s.execute(select(OWNER_SETTINGS.c.value).where(OWNER_SETTINGS.c.key == key)).scalar()
    return None if found is None else str(found)


def put(s: Session, key: str, value: str, at: datetime) -> None:
    """Insert or replace `key` (an UPDATE first: the common case, and no dialect upsert)."""
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"a setting key is 1 to {MAX_KEY} characters")
    changed = rows.rowcount(
        s,
        update(OWNER_SETTINGS)
        .where(OWNER_SETTINGS.c.key == key)
        .values(value=value, updated_at=at),
    )
    if changed == 0:
        s.execute(OWNER_SETTINGS.insert().values(key=key, value=value, updated_at=at))
