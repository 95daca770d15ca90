"""The owner's moderation rules as the running bot applies them, and the approval queue.

One `Moderation` per bot, shared by the overlay, the widgets, the panel and the chat
thank-you. The rules are read from the store once and again after each edit in the panel.
Held alerts live in the store (a restart loses none); approving one hands its alert to
whoever listens (`on_release`: the overlay), and every change tells the panel's open
pages (`on_change`), so a held alert appears there live and leaves when decided.

The alerts' seam calls `await moderation.screen(kind, text)` for every viewer-written text
it shows or reads aloud: kind is "message" or "name"; the `Screened` it gets back has the
text to use (`text`, "" when hidden) and whether the owner wants it held (`held`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bots.moderation.screen import (
    Action,
    Hold,
    Review,
    Rules,
    Screened,
    review,
    screen_text,
)
from bots.moderation.words import LOCALES, WordList, shipped
from commerce.moderation import HeldView
from commerce.money import Money
from commerce.store import Store

__all__ = ["Moderation"]

log = logging.getLogger(__name__)

Release = Callable[[dict[str, Any]], Awaitable[None]]


class Moderation:
    def __init__(self, store: Store, currency: str) -> None:
        self.store = store
        self.currency = currency
        self._rules: Rules | None = None
        self._release: list[Release] = []
        self._changed: list[Callable[[], None]] = []

    # -- rules ----------------------------------------------------------------------------

    async def rules(self) -> Rules:
        """The owner's rules; Vivo's defaults while the database cannot be read (an alert
        is filtered by the shipped lists rather than lost)."""
        if self._rules is None:
            try:
                self._rules = await asyncio.to_thread(self.load)
            except Exception:
                log.exception("moderation rules unreadable; using the shipped defaults")
                return Rules()
        return self._rules

    def load(self) -> Rules:
        saved = self.store.moderation_settings()
        owner = self.store.moderation_words()
        words = WordList(
            [*(w for locale in LOCALES for w in shipped(locale))]
            + [w.word for w in owner if w.kind == "block"],
            allowed=[w.word for w in owner if w.kind == "allow"],
        )
        if saved is None:
            return Rules(words=words)
        above = Money(saved.hold_above, self.currency) if saved.hold_above is not None else None
        return Rules(Action(saved.action), Hold(saved.hold), above, words)

    def invalidate(self) -> None:
        """The owner edited the rules: read them again before the next text."""
        self._rules = None

    async def screen(self, kind: str, text: str) -> Screened:
        """The seam: one viewer-written text ("message" or "name") under the owner's rules."""
        return screen_text(await self.rules(), kind, text)

    async def review(self, name: str, message: str, amount: Money | None) -> Review:
        """A whole alert: its name, its message, and whether it waits for approval."""
        return review(await self.rules(), name, message, amount)

    # -- the approval queue ---------------------------------------------------------------

    def on_release(self, listener: Release) -> None:
        self._release.append(listener)

    def on_change(self, listener: Callable[[], None]) -> None:
        self._changed.append(listener)

    async def hold(self, kind: str, code: str, alert: dict[str, Any], review: Review) -> HeldView:
        """Keep `alert` (what the overlay shows once approved) until someone decides."""
        payload = json.dumps(
            {
                "alert": alert,
                "name": review.name.original,
                "message": review.message.original,
                "matched": [*review.name.matched, *review.message.matched],
            },
            ensure_ascii=False,
        )
        held, _ = await asyncio.to_thread(self.store.hold_alert, kind, code, payload, review.reason)
        self._notify()
        return held

    async def decide(self, held_id: int, approve: bool, actor: str) -> HeldView | None:
        """Approve (the alert plays now) or reject (it never plays); None when someone
        decided first or it does not exist."""
        decided = await asyncio.to_thread(self.store.decide_held_alert, held_id, approve, actor)
        if decided is None:
            return None
        if approve:
            alert = payload_of(decided)["alert"]
            for listener in list(self._release):
                try:
                    await listener(dict(alert))
                except Exception:
                    log.exception("a listener failed on an approved alert")
        self._notify()
        return decided

    def _notify(self) -> None:
        for listener in list(self._changed):
            listener()


def payload_of(held: HeldView) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(held.payload)
    return found
