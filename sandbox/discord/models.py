"""The records the Discord stand-in keeps: users, roles, channels, gateway sessions, interactions.

Plus `_Snowflakes`, which makes ids whose embedded timestamps are right. Each record renders
its own documented JSON (`payload()`) where Discord has one.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from sandbox.discord.constants import DISCORD_EPOCH_MS


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


class _Snowflakes:
    """Discord ids: milliseconds since 2015 in the top bits, so creation times come out right."""

    def __init__(self) -> None:
        self._increment = itertools.count()

    def __call__(self) -> str:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (1 << 17) | (next(self._increment) & 0xFFF))


@dataclass
class _User:
    id: str
    name: str
    bot: bool = False
    dms_open: bool = True
    roles: set[str] = field(default_factory=set)  # role names in the guild
    joined_at: str = field(default_factory=_now_iso)

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.name,
            "discriminator": "0",
            "global_name": self.name,
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
        }


@dataclass
class _Role:
    id: str
    name: str
    permissions: int
    position: int

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class _Channel:
    id: str
    name: str
    guild_id: str | None  # None for a DM
    position: int = 0
    recipient: _User | None = None

    def payload(self) -> dict[str, Any]:
        if self.guild_id is None:
            assert self.recipient is not None
            return {
                "id": self.id,
                "type": 1,
                "last_message_id": None,
                "flags": 0,
                "recipients": [self.recipient.payload()],
            }
        return {
            "id": self.id,
            "type": 0,
            "guild_id": self.guild_id,
            "position": self.position,
            "permission_overwrites": [],
            "name": self.name,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }


@dataclass
class _Session:
    id: str
    intents: int
    seq: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    deflate: Any = None  # a zlib compressobj when the client asked for zlib-stream
    payload_compression: bool = False  # IDENTIFY said `compress: true`
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _Interaction:
    id: str
    token: str
    user: _User
    channel: _Channel
    created: float
    kind: int
    response: int | None = None  # the callback type it was answered with
    deferred_flags: int = 0
    original_pending: bool = False  # deferred and not yet edited by a followup
    choices: asyncio.Future[list[dict[str, Any]]] | None = None
    message_id: str | None = None  # a button press: the message the button is on
    message_flags: int = 0  # … and that message's flags (ephemeral or not)
    modal: dict[str, Any] | None = None  # the modal it was answered with (callback type 9)


@dataclass
class _Posted:
    """A message the bot sent with buttons: what a viewer can press (`viewer` None: anyone)."""

    message: dict[str, Any]
    channel: _Channel
    viewer: _User | None = None
