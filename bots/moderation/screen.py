"""What happens to a viewer's text: the owner's rules applied to one text, or one alert.

`screen_text` is pure: it takes the rules (action, hold, word list) and a text, and says
what may be shown. Links always go. On a listed word the owner's action decides: hide the
text, replace the words with `MASK`, or hold the alert for approval in the panel (the text
stays whole for whoever approves it). `review` decides for a whole alert: its name and its
message, and the owner's "hold every message" or "hold from this amount".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bots.moderation.links import remove_links
from bots.moderation.words import LOCALES, WordList, find, shipped
from commerce.money import Money

__all__ = ["MASK", "Action", "Hold", "Review", "Rules", "Screened", "review", "screen_text"]

MASK = "***"


class Action(StrEnum):
    """What a listed word does to the text it is in."""

    HIDE = "hide"
    REPLACE = "replace"
    HOLD = "hold"


class Hold(StrEnum):
    """Which alerts wait for approval besides those with a listed word."""

    OFF = "off"
    MESSAGES = "messages"  # every alert that carries a viewer's message
    ABOVE = "above"  # every alert from an amount (the store's currency)


def default_words() -> WordList:
    return WordList(w for locale in LOCALES for w in shipped(locale))


@dataclass(frozen=True, slots=True)
class Rules:
    action: Action = Action.REPLACE
    hold: Hold = Hold.OFF
    hold_above: Money | None = None
    words: WordList = field(default_factory=default_words)


@dataclass(frozen=True, slots=True)
class Screened:
    """One text after the filter. `text` is what may be shown ("" when hidden)."""

    kind: str  # "message" | "name"
    original: str
    text: str
    matched: tuple[str, ...] = ()
    links: bool = False
    held: bool = False  # the owner's action is "hold" and a listed word is there

    @property
    def hidden(self) -> bool:
        return not self.text and bool(self.original.strip())

    @property
    def changed(self) -> bool:
        return self.text != self.original


def screen_text(rules: Rules, kind: str, text: str) -> Screened:
    cleaned, links = remove_links(text)
    matches = find(cleaned, rules.words)
    words = tuple(dict.fromkeys(m.word for m in matches))
    if not matches:
        return Screened(kind, text, cleaned, (), links)
    if rules.action is Action.HIDE:
        return Screened(kind, text, "", words, links)
    if rules.action is Action.HOLD:
        return Screened(kind, text, cleaned, words, links, held=True)
    masked = []
    at = 0
    for m in matches:
        masked.append(cleaned[at : m.start])
        masked.append(MASK)
        at = m.end
    masked.append(cleaned[at:])
    return Screened(kind, text, "".join(masked), words, links)


@dataclass(frozen=True, slots=True)
class Review:
    """An alert's name and message after the filter, and whether it waits for approval."""

    name: Screened
    message: Screened
    reason: str = ""  # why it is held: "words", "messages" or "amount"; "" when it is not

    @property
    def held(self) -> bool:
        return bool(self.reason)


def review(rules: Rules, name: str, message: str, amount: Money | None) -> Review:
    shown_name = screen_text(rules, "name", name)
    shown_message = screen_text(rules, "message", message)
    reason = ""
    if shown_name.held or shown_message.held:
        reason = "words"
    elif rules.hold is Hold.MESSAGES and shown_message.text.strip():
        reason = "messages"
    elif rules.hold is Hold.ABOVE and _reaches(amount, rules.hold_above):
        reason = "amount"
    return Review(shown_name, shown_message, reason)


def _reaches(amount: Money | None, threshold: Money | None) -> bool:
    if amount is None or threshold is None or amount.currency != threshold.currency:
        return False  # Bits are not pesos: a threshold counts in its own currency only
    return Decimal(amount.amount) >= Decimal(threshold.amount)
