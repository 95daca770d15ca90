"""What the stream shows right now, kept in the store so every chat process agrees: the
spotlighted product (`!destacar`) and whether claim words are on (`!palabras on`).

Both are owner settings (commerce.owner_settings), one small JSON document each: a process
started later, or another `vivo run` on the same PostgreSQL, reads them at start and then
follows the events (SpotlightChanged, ClaimWordsChanged) that the same commands publish.
Closing the store (`!cerrar`) turns claim words off: the next stream starts with them off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from commerce import owner_settings

__all__ = [
    "CLAIM_WORDS",
    "SPOTLIGHT",
    "ClaimWordsState",
    "claim_words",
    "set_claim_words",
    "set_spotlight",
    "spotlight",
]

SPOTLIGHT = "live.spotlight"
CLAIM_WORDS = "live.claim_words"


@dataclass(frozen=True, slots=True)
class ClaimWordsState:
    """On or off; when on, until when (they turn themselves off after the stream)."""

    enabled: bool = False
    until: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.enabled and (self.until is None or now < self.until)


def spotlight(s: Session) -> str | None:
    """The spotlighted product's SKU, or None."""
    raw = owner_settings.get(s, SPOTLIGHT)
    if not raw:
        return None
    try:
        sku = json.loads(raw).get("sku")
    except (ValueError, AttributeError):
        return None
    return sku if isinstance(sku, str) and sku else None


def set_spotlight(s: Session, sku: str | None, at: datetime) -> None:
    owner_settings.put(s, SPOTLIGHT, json.dumps({"sku": sku}), at)


def claim_words(s: Session) -> ClaimWordsState:
    raw = owner_settings.get(s, CLAIM_WORDS)
    if not raw:
        return ClaimWordsState()
    try:
        doc = json.loads(raw)
        until = datetime.fromisoformat(doc["until"]) if doc.get("until") else None
        return ClaimWordsState(bool(doc.get("enabled")), until)
    except (ValueError, AttributeError, KeyError, TypeError):
        return ClaimWordsState()


def set_claim_words(s: Session, state: ClaimWordsState, at: datetime) -> None:
    until = state.until.isoformat() if state.until is not None else None
    owner_settings.put(s, CLAIM_WORDS, json.dumps({"enabled": state.enabled, "until": until}), at)
