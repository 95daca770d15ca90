"""The records the Twitch stand-in keeps: users, tokens, device grants, sessions, subscriptions.

Plain dataclasses with the bits of Twitch's JSON they render (`User.ref`,
`Subscription.as_json`); `_now_iso` is Twitch's timestamp format.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web


def _now_iso() -> str:
    """RFC 3339 with nanoseconds, as Twitch stamps EventSub messages."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


@dataclass
class User:
    id: str
    login: str
    display_name: str
    created_at: str = field(default_factory=_now_iso)

    def ref(self, prefix: str) -> dict[str, str]:
        return {
            f"{prefix}_id": self.id,
            f"{prefix}_login": self.login,
            f"{prefix}_name": self.display_name,
        }


@dataclass
class Token:
    access: str
    refresh: str | None
    client_id: str
    user_id: str | None
    scopes: tuple[str, ...]
    expires_at: float
    valid: bool = True

    def expires_in(self) -> int:
        return max(0, int(self.expires_at - time.monotonic()))


@dataclass
class DeviceGrant:
    device_code: str
    user_code: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    user_id: str | None = None


@dataclass
class Session:
    id: str
    ws: web.WebSocketResponse
    transport: asyncio.BaseTransport | None
    reconnect_url_base: str
    keepalive: int
    connected_at: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_sent: float = field(default_factory=time.monotonic)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    open: bool = True


@dataclass
class Subscription:
    id: str
    type: str
    version: str
    condition: dict[str, str]
    session_id: str
    user_id: str
    created_at: str = field(default_factory=_now_iso)
    status: str = "enabled"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "type": self.type,
            "version": self.version,
            "condition": self.condition,
            "created_at": self.created_at,
            "transport": {"method": "websocket", "session_id": self.session_id},
            "cost": 0,
        }
