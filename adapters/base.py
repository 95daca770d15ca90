"""The normalized chat types every platform adapter speaks, and the Adapter protocol.

Adapters live at the edge: each turns its SDK's events into `ChatMessage` (or
`PlatformTip`) and turns `Reply` back into the SDK's send calls. Nothing above this
module knows which platform a message came from beyond the `platform` string.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable


class Role(enum.IntEnum):
    """What a chat user may do; ordered so that `role >= Role.MODERATOR` reads naturally."""

    VIEWER = 0
    SUBSCRIBER = 1
    MODERATOR = 2
    OWNER = 3


@dataclass(frozen=True, slots=True)
class ChatUser:
    """A person in chat, identified by the platform's stable user id (names change)."""

    platform: str
    id: str
    name: str
    role: Role = Role.VIEWER
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat line, as the command layer sees it.

    `id` is the platform's message id: `(platform, id)` is processed at most once.
    `channel` is where a reply or an announcement about this message goes back to.
    `raw` keeps the SDK object for adapters that need it to answer (interactions).
    """

    platform: str
    id: str
    channel: str
    author: ChatUser
    text: str
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    private: bool = False
    raw: Any = None
    # What the author typed into a form a button opened (a Discord modal), by field id.
    form: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class PlatformTip:
    """Money that arrived through the platform itself: Twitch Bits, YouTube Super Chats."""

    platform: str
    id: str
    channel: str
    author: ChatUser
    amount: Decimal
    currency: str
    message: str = ""
    source: str = "bits"
    raw: Any = None


class Priority(enum.IntEnum):
    """Lower goes out first: a buyer waiting for a link beats a thank-you."""

    PAYMENT = 0
    REPLY = 1
    ANNOUNCE = 2


@dataclass(frozen=True, slots=True)
class FormField:
    """One text box of a form: `id` keys the answer, `label` is shown (45 characters at
    most on Discord), `value` pre-fills it."""

    id: str
    label: str
    value: str = ""
    long: bool = False
    max_length: int = 200


@dataclass(frozen=True, slots=True)
class Form:
    """Questions a button may ask all at once where the platform has forms (a Discord
    modal: five text boxes at most). The answers come back as `ChatMessage.form` with the
    button's command; elsewhere the button just speaks its command."""

    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class Button:
    """A tappable choice under a reply. Pressing it speaks `command` as the presser."""

    label: str
    command: str
    form: Form | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """Something the bot says on one platform.

    `mention` is the user the reply is addressed to (adapters render it their way and the
    outbox may coalesce several mentions into one line). `private` asks the adapter to
    deliver it only to `mention` where the platform can (DM, ephemeral, private chat); a
    private reply whose `channel` is the mention's own user id has no public fallback (an
    owner alert): the adapter raises rather than say it anywhere else.
    `reply_to` is the message being answered, when there is one. `buttons` are offered
    where the platform has them (Telegram inline keyboards, Discord components) and
    ignored elsewhere, so the text must make sense without them. `receipt` is handed back
    to the sender once the adapter has taken the reply (a payment link's order code), so
    the bot can record durably that it reached the platform.
    """

    channel: str
    text: str
    mention: ChatUser | None = None
    private: bool = False
    priority: Priority = Priority.REPLY
    reply_to: ChatMessage | None = None
    coalesce_key: str | None = None
    buttons: tuple[Button, ...] = ()
    receipt: str | None = None


@dataclass(frozen=True, slots=True)
class SendLimits:
    """A platform's outbound limits, as published by the platform."""

    max_length: int
    messages: int
    per_seconds: float


Inbox = Callable[[ChatMessage | PlatformTip], Awaitable[None]]


@runtime_checkable
class Adapter(Protocol):
    """A connected chat platform.

    `start` connects and begins calling `inbox` for every message; it returns once the
    adapter is ready to send. `send` delivers one already-limited, already-split reply.
    """

    platform: str
    limits: SendLimits

    async def start(self, inbox: Inbox) -> None: ...

    async def send(self, reply: Reply) -> None: ...

    async def stop(self) -> None: ...


def split_text(text: str, limit: int) -> list[str]:
    """Cut text into pieces of at most `limit` characters, preferring line and word breaks.

    Every platform caps a message's length; this is the one place that decides where to cut.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces


# A zero-width joiner after "@" (and between "<" and "#") keeps text readable while no
# platform parses a mention from it: Discord's <@id>, <@&id>, <#id>, @everyone and @here,
# Twitch's and YouTube's @name, Telegram's @username.
QUOTE_MARK = "\u200d"
_MENTION_START = re.compile(r"@(?!\u200d)|<(?=#)")


def neutralize(text: str) -> str:
    """`text` (something a viewer typed, quoted back) made unable to ping anyone.

    Idempotent, so text built from already neutralised pieces stays as it is. Adapters
    that add their own mention of the viewer being answered look for `neutralize(name)`.
    """
    if "@" not in text and "<" not in text:
        return text  # most text: nothing that could start a mention
    return _MENTION_START.sub(lambda m: m.group(0) + QUOTE_MARK, text)
