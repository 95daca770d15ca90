"""The Twitch a bot lives in: users, tokens, moderators, sessions and subscriptions.

`TwitchWorld` holds all the stand-in's state (its constructor is the stand-in's), mints and
checks tokens, and approves device codes. The endpoint modules build on it.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from typing import Any

from aiohttp import web

from sandbox.twitch.errors import _error
from sandbox.twitch.models import DeviceGrant, Session, Subscription, Token, User

PREFIX = "/twitch"
USER_TOKEN_SECONDS = 4 * 3600
APP_TOKEN_SECONDS = 60 * 24 * 3600


class TwitchWorld:
    """The state behind the stand-in: who exists, who may do what, who is connected."""

    def __init__(
        self,
        *,
        client_id: str = "vivo-sandbox-client",
        client_secret: str = "vivo-sandbox-secret",
        channel: str = "vivotienda",
        bot: str = "vivobot",
        bot_is_moderator: bool = False,
        window_seconds: float = 30.0,
        block_seconds: float = 1800.0,
        device_interval: int = 5,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.window_seconds = window_seconds
        self.block_seconds = block_seconds
        self.device_interval = device_interval
        self._ids = itertools.count(141981764)
        self.users: dict[str, User] = {}
        self.broadcaster = self.user(channel)
        self.bot = self.user(bot)
        self.moderators: set[str] = {self.bot.id} if bot_is_moderator else set()
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}
        self.devices: dict[str, DeviceGrant] = {}
        self.sessions: dict[str, Session] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.sent: list[dict[str, Any]] = []
        self.violations: list[dict[str, Any]] = []
        self.undelivered: list[dict[str, Any]] = []
        self._recent: dict[tuple[str, str], deque[float]] = {}
        self._blocked_until: dict[tuple[str, str], float] = {}
        self._started = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self._welcome_hold: asyncio.Event | None = None

    def user(self, login: str) -> User:
        key = login.strip().lstrip("@").lower()
        found = self.users.get(key)
        if found is None:
            found = User(str(next(self._ids)), key, login.strip().lstrip("@"))
            self.users[key] = found
        return found

    def _user_by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users.values() if u.id == user_id), None)

    def mint(self, login: str | None, scopes: tuple[str, ...] = ()) -> Token:
        """A user token (or an app token when `login` is None) for this stand-in's client."""
        user_id = self.user(login).id if login else None
        lifetime = USER_TOKEN_SECONDS if user_id else APP_TOKEN_SECONDS
        token = Token(
            access=secrets.token_hex(15),
            refresh=secrets.token_hex(25) if user_id else None,
            client_id=self.client_id,
            user_id=user_id,
            scopes=scopes,
            expires_at=time.monotonic() + lifetime,
        )
        self.tokens[token.access] = token
        if token.refresh:
            self.refresh_tokens[token.refresh] = token
        return token

    def _bearer(self, request: web.Request, *, helix: bool = True) -> Token | web.Response:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth") or not value:
            return _error(401, "OAuth token is missing")
        token = self.tokens.get(value.strip())
        if token is None or not token.valid or token.expires_in() <= 0:
            return _error(401, "Invalid OAuth token")
        if helix:
            client = request.headers.get("Client-Id")
            if not client:
                return _error(401, "Client-Id header required")
            if client != token.client_id:
                return _error(401, "Client ID and OAuth token do not match")
        return token

    def elapsed(self) -> float:
        """Seconds since the stand-in started: the clock of `sent` records (`t`)."""
        return time.monotonic() - self._started

    def is_elevated(self, user_id: str) -> bool:
        return user_id == self.broadcaster.id or user_id in self.moderators

    def activate(self, user_code: str, login: str) -> bool:
        """The person at the browser signs in as `login` and approves `user_code`."""
        for grant in self.devices.values():
            if grant.user_code == user_code.strip().upper():
                grant.user_id = self.user(login).id
                return True
        return False

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
