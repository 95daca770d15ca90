"""The Discord a bot lives in: one guild with roles, channels, an owner, members and the bot.

`DiscordWorld` holds all the stand-in's state (its constructor is the stand-in's), finds
users and channels, computes permissions and checks the bot token.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.discord.constants import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    EVERYONE_PERMISSIONS,
    MANAGE_GUILD,
)
from sandbox.discord.models import (
    _Channel,
    _Interaction,
    _Posted,
    _Role,
    _Session,
    _Snowflakes,
    _User,
)
from sandbox.discord.ratelimits import RateLimits


class DiscordWorld:
    """The state behind the stand-in."""

    def __init__(
        self,
        *,
        token: str | None = None,
        guild_name: str = "La Tienda de Lu",
        owner: str = "lu",
        channels: tuple[str, ...] = ("general", "tienda"),
        roles: dict[str, int] | None = None,
        interaction_deadline: float = 3.0,
        log_size: int = 1000,
        rate_limit: int = 50,
        rate_window: float = 1.0,
    ) -> None:
        self.token = token  # None: any bot token is accepted
        self.rate_limits = RateLimits(rate_limit, rate_window)  # per route, see `ratelimits`
        self.interaction_deadline = interaction_deadline
        self.log_size = log_size
        self._ids = _Snowflakes()
        self.bot = _User(self._ids(), "VivoBot", bot=True)
        self.application_id = self._ids()
        self.guild_id = self._ids()
        self.guild_name = guild_name
        self.users: dict[str, _User] = {}
        self.owner = self._user(owner)
        role_spec = {"Moderador": MANAGE_GUILD, "Staff": 0} if roles is None else roles
        self.roles = {"@everyone": _Role(self.guild_id, "@everyone", EVERYONE_PERMISSIONS, 0)}
        for position, (name, permissions) in enumerate(role_spec.items(), start=1):
            self.roles[name] = _Role(self._ids(), name, permissions, position)
        self.channels: dict[str, _Channel] = {}
        for position, name in enumerate(channels):
            channel = _Channel(self._ids(), name, self.guild_id, position)
            self.channels[channel.id] = channel
        self.sessions: dict[str, _Session] = {}
        self.interactions: dict[str, _Interaction] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}  # guild id (None: global)
        self.sent: list[dict[str, Any]] = []
        self.posted: dict[str, _Posted] = {}  # the bot's messages with buttons, by id
        self.authors: dict[str, str] = {}  # message id -> author id, for reply pings
        self.counters = {"connections": 0, "identify": 0, "resume": 0, "heartbeats": 0}

    def _user(self, name: str) -> _User:
        key = name.casefold()
        if key not in self.users:
            self.users[key] = _User(self._ids(), name)
        return self.users[key]

    def _user_by_id(self, user_id: str) -> _User | None:
        if user_id == self.bot.id:
            return self.bot
        return next((u for u in self.users.values() if u.id == user_id), None)

    def channel(self, name_or_id: str | None = None) -> _Channel:
        """A guild channel by name or id; the first one by default."""
        guild = [c for c in self.channels.values() if c.guild_id is not None]
        if name_or_id is None:
            return guild[0]
        for channel in guild:
            if name_or_id in (channel.id, channel.name):
                return channel
        raise KeyError(name_or_id)

    def _permissions(self, user: _User) -> int:
        if user.id == self.owner.id:
            return ALL_PERMISSIONS
        bits = self.roles["@everyone"].permissions
        for name in user.roles:
            bits |= self.roles[name].permissions
        return ALL_PERMISSIONS if bits & ADMINISTRATOR else bits

    def _token_ok(self, authorization: str | None) -> bool:
        if self.token is None:
            return bool(
                authorization and authorization.startswith("Bot ") and len(authorization) > 4
            )
        return authorization == f"Bot {self.token}"

    def _authorized(self, request: web.Request) -> bool:
        return self._token_ok(request.headers.get("Authorization"))
