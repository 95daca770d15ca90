"""Moderation of what viewers write before it reaches the stream: tip and purchase
messages, display names on the overlay and its widgets, and the bot's thank-you in chat.

`words` folds and matches (pure), `links` removes addresses (pure), `screen` applies the
owner's rules (pure), `service.Moderation` reads the rules from the store and keeps the
approval queue. The alerts' seam calls `Moderation.screen(kind, text) -> Screened`.
"""

from bots.moderation.screen import (
    MASK,
    Action,
    Hold,
    Review,
    Rules,
    Screened,
    review,
    screen_text,
)
from bots.moderation.words import WordList, find, fold

__all__ = [
    "MASK",
    "Action",
    "Hold",
    "Review",
    "Rules",
    "Screened",
    "WordList",
    "find",
    "fold",
    "review",
    "screen_text",
]
