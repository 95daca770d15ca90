"""The one door viewer-written text goes through before an alert shows it or a voice reads it.

Every display name and every tip or purchase message the overlay puts on stream, and every
message read aloud, is the `text` of a `Screened`. In the bot, the owner's filter decides
(`Overlay(moderation=...)`, bots.moderation: word lists, links, the approval queue) and the
overlay turns its review into `Screened` values. Without one, a `Screen` does: `screen`
below is the default and lets everything through; another can be given as
`Overlay(screen=...)` (a script's own filter, a test's stand-in).

What the overlay does with the answer:
- `text` is what is shown and read (a filter may have replaced words in it);
- `hidden`: the text is not shown and not read (a name falls back to a neutral one);
- `hold`: the whole alert waits in `Overlay.held` until `Overlay.release_held(id)` plays it
  (or `Overlay.drop(id)` discards it); it counts towards goals at once, since the money
  was paid whatever the message said.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from commerce.money import Money

# What a text is: a viewer's display name, or the message they wrote with a tip or purchase.
TextKind = Literal["name", "message"]


@dataclass(frozen=True, slots=True)
class Screened:
    text: str
    hidden: bool = False
    hold: bool = False


Screen = Callable[[TextKind, str, "Money | None"], Awaitable[Screened]]


async def screen(kind: TextKind, text: str, amount: Money | None = None) -> Screened:
    """Nothing is filtered yet: the text as the viewer wrote it (escaped on the page)."""
    return Screened(text)
