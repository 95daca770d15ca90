"""Discord, played on loopback well enough for discord.py to run unmodified against it.

REST under `/discord/api/v10` (Discord's own paths) and the gateway websocket at
`/discord/gateway`: HELLO, heartbeats, IDENTIFY → READY and GUILD_CREATE, dispatches with
sequence numbers, RESUME with replay of what a dropped connection missed. One guild with
roles, text channels and an owner; viewers appear as members when they speak. Interactions
follow Discord's rules: one initial response within the deadline, followups for 15 minutes,
the first followup after a deferral editing the loading message and keeping its ephemeral
state. Payload shapes follow Discord's developer documentation.

The control API (under `/_sandbox/discord`): `say`, `slash`, `autocomplete`, `inject`,
`dms`, `drop`, and `GET sent`, `commands`, `gateway`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

PREFIX = "/discord"
API = f"{PREFIX}/api/v10"
CONTROL = "/_sandbox/discord"
DISCORD_EPOCH_MS = 1_420_070_400_000
HEARTBEAT_MS = 41_250
EPHEMERAL = 1 << 6
TOKEN_LIFETIME = 15 * 60.0

# Gateway opcodes, gateway intents and permission bits, as documented.
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME = 0, 1, 2, 6
OP_INVALID_SESSION, OP_HELLO, OP_HEARTBEAT_ACK = 9, 10, 11
INTENT_GUILDS, INTENT_GUILD_MEMBERS = 1 << 0, 1 << 1
INTENT_GUILD_MESSAGES, INTENT_DIRECT_MESSAGES, INTENT_MESSAGE_CONTENT = 1 << 9, 1 << 12, 1 << 15
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
EVERYONE_PERMISSIONS = (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 16) | (1 << 31)
ALL_PERMISSIONS = (1 << 50) - 1
OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "number": 10}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: object, status: int = 200) -> web.Response:
    # Exactly `application/json`: discord.py reads anything else (even with a charset) as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def _error(status: int, message: str, code: int = 0) -> web.Response:
    return _json({"message": message, "code": code}, status)


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


class DiscordStandIn:
    """Mount on an aiohttp app; drive it over HTTP, or through the same methods in tests."""

    name = "discord"

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
    ) -> None:
        self.token = token  # None: any bot token is accepted
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
        self.counters = {"connections": 0, "identify": 0, "resume": 0, "heartbeats": 0}

    # -- mounting ---------------------------------------------------------------------

    def mount(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{PREFIX}/gateway", self._gateway)
        rest: list[tuple[str, str, Handler]] = [
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/users/{user_id}", self._get_user),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/applications/{app_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/commands", self._put_commands),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self._get_commands),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self._put_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{app_id}/{token}", self._followup),
            ("PATCH", "/webhooks/{app_id}/{token}/messages/@original", self._edit_original),
        ]
        for method, path, handler in rest:
            r.add_route(method, API + path, handler)
        r.add_route("*", API + "/{tail:.*}", self._not_found)
        r.add_post(f"{CONTROL}/say", self._control_say)
        r.add_post(f"{CONTROL}/slash", self._control_slash)
        r.add_post(f"{CONTROL}/autocomplete", self._control_autocomplete)
        r.add_post(f"{CONTROL}/inject", self._control_inject)
        r.add_post(f"{CONTROL}/dms", self._control_dms)
        r.add_post(f"{CONTROL}/drop", self._control_drop)
        r.add_get(f"{CONTROL}/sent", self._control_sent)
        r.add_get(f"{CONTROL}/commands", self._control_commands)
        r.add_get(f"{CONTROL}/gateway", self._control_gateway)

    setup = mount  # the name sandbox.app's Sandbox calls

    async def close(self) -> None:
        for session in self.sessions.values():
            if session.ws is not None:
                await session.ws.close(code=1001)

    # -- the world --------------------------------------------------------------------

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

    def _member(self, user: _User, *, with_user: bool = True) -> dict[str, Any]:
        member: dict[str, Any] = {
            "roles": [self.roles[name].id for name in sorted(user.roles)],
            "joined_at": user.joined_at,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            member["user"] = user.payload()
        return member

    def _guild(self, intents: int) -> dict[str, Any]:
        """GUILD_CREATE's guild: the members list is the bot's own without GUILD_MEMBERS."""
        people = [self.bot, *self.users.values()] if intents & INTENT_GUILD_MEMBERS else [self.bot]
        channels = [c.payload() for c in self.channels.values() if c.guild_id is not None]
        return {
            **self._guild_base(),
            "joined_at": self.bot.joined_at,
            "large": False,
            "unavailable": False,
            "member_count": len(self.users) + 1,
            "voice_states": [],
            "members": [self._member(u) for u in people],
            "channels": channels,
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _guild_base(self) -> dict[str, Any]:
        return {
            "id": self.guild_id,
            "name": self.guild_name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": self.owner.id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": self.channel().id,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "max_members": 500000,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "es-ES",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "stickers": [],
            "premium_progress_bar_enabled": False,
            "safety_alerts_channel_id": None,
        }

    def _message(
        self,
        author: _User,
        channel: _Channel,
        content: str,
        *,
        flags: int = 0,
        webhook_id: str | None = None,
        reference: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self._ids(),
            "channel_id": channel.id,
            "author": author.payload(),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0 if reference is None else 19,
            "flags": flags,
            "components": [],
        }
        if webhook_id is not None:
            message["webhook_id"] = webhook_id
        if reference is not None:
            message["message_reference"] = reference
        if channel.guild_id is not None:
            message["guild_id"] = channel.guild_id
        return message

    # -- gateway ----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.counters["connections"] += 1
        deflate = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        resume_url = f"ws://{request.host}{PREFIX}/gateway"
        await self._send(ws, deflate, {"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_MS}})
        session: _Session | None = None
        try:
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                op, data = payload.get("op"), payload.get("d")
                if op == OP_HEARTBEAT:
                    self.counters["heartbeats"] += 1
                    await self._send(ws, deflate, {"op": OP_HEARTBEAT_ACK})
                elif op == OP_IDENTIFY:
                    if not self._token_ok(f"Bot {data.get('token', '')}"):
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    self.counters["identify"] += 1
                    session = await self._identify(ws, deflate, data, resume_url)
                elif op == OP_RESUME:
                    session = await self._resume(ws, deflate, data)
                    if session is None:
                        continue
                    self.counters["resume"] += 1
        finally:
            if session is not None and session.ws is ws:
                session.ws = None
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, deflate: Any, data: dict[str, Any], resume_url: str
    ) -> _Session:
        session = _Session(secrets.token_hex(16), int(data.get("intents", 0)), deflate=deflate)
        self.sessions[session.id] = session
        ready = {
            "v": 10,
            "user": {**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": resume_url,
            "application": {"id": self.application_id, "flags": 1 << 19},
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        async with session.lock:
            session.ws = ws
        await self._dispatch_to(session, "READY", ready)
        if session.intents & INTENT_GUILDS:
            await self._dispatch_to(session, "GUILD_CREATE", self._guild(session.intents))
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, deflate: Any, data: dict[str, Any]
    ) -> _Session | None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or not self._token_ok(f"Bot {data.get('token', '')}"):
            await self._send(ws, deflate, {"op": OP_INVALID_SESSION, "d": False})
            return None
        last = int(data.get("seq") or 0)
        async with session.lock:
            session.ws, session.deflate = ws, deflate
            for frame in session.log:
                if frame["s"] > last:
                    await self._send(ws, deflate, frame)
            session.seq += 1
            await self._send(ws, deflate, {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}})
        return session

    async def _send(self, ws: web.WebSocketResponse, deflate: Any, frame: dict[str, Any]) -> None:
        frame = {"s": None, "t": None, **frame}
        text = json.dumps(frame)
        with contextlib.suppress(ConnectionError, RuntimeError):
            if deflate is None:
                await ws.send_str(text)
            else:
                await ws.send_bytes(
                    deflate.compress(text.encode()) + deflate.flush(zlib.Z_SYNC_FLUSH)
                )

    async def _dispatch_to(self, session: _Session, event: str, data: dict[str, Any]) -> int:
        async with session.lock:
            session.seq += 1
            frame = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
            session.log.append(frame)
            del session.log[: -self.log_size]
            if session.ws is not None and not session.ws.closed:
                await self._send(session.ws, session.deflate, frame)
            return session.seq

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Deliver to every session whose intents ask for it (kept for RESUME if it is away)."""
        for session in list(self.sessions.values()):
            shaped = self._for_intents(session.intents, event, data)
            if shaped is not None:
                await self._dispatch_to(session, event, shaped)

    def _for_intents(self, intents: int, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
        if event != "MESSAGE_CREATE":
            return data
        in_guild = "guild_id" in data
        if not intents & (INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES):
            return None
        mentioned = any(m.get("id") == self.bot.id for m in data.get("mentions", []))
        own = data.get("author", {}).get("id") == self.bot.id
        if in_guild and not (intents & INTENT_MESSAGE_CONTENT or mentioned or own):
            # Without the message content intent Discord sends guild messages with no content.
            return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
        return data

    # -- REST -------------------------------------------------------------------------

    def _token_ok(self, authorization: str | None) -> bool:
        if self.token is None:
            return bool(
                authorization and authorization.startswith("Bot ") and len(authorization) > 4
            )
        return authorization == f"Bot {self.token}"

    def _authorized(self, request: web.Request) -> bool:
        return self._token_ok(request.headers.get("Authorization"))

    async def _not_found(self, request: web.Request) -> web.Response:
        return _error(404, "404: Not Found")

    async def _get_gateway(self, request: web.Request) -> web.Response:
        url = f"ws://{request.host}{PREFIX}/gateway"
        if request.path.endswith("/bot"):
            if not self._authorized(request):
                return _error(401, "401: Unauthorized")
            limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
            return _json({"url": url, "shards": 1, "session_start_limit": limit})
        return _json({"url": url})

    async def _get_me(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        return _json({**self.bot.payload(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_application(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        return _json(
            {
                "id": self.application_id,
                "name": self.bot.name,
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": secrets.token_hex(32),
                "flags": 1 << 19,
                "owner": self.owner.payload(),
                "team": None,
                "summary": "",
                "bot": self.bot.payload(),
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
            }
        )

    async def _get_user(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        user = self._user_by_id(request.match_info["user_id"])
        if user is None:
            return _error(404, "Unknown User", 10013)
        return _json(user.payload())

    async def _get_channel(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        channel = self.channels.get(request.match_info["channel_id"])
        if channel is None:
            return _error(404, "Unknown Channel", 10003)
        return _json(channel.payload())

    async def _create_dm(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        body = await request.json()
        user = self._user_by_id(str(body.get("recipient_id")))
        if user is None or user.bot:
            return _error(400, "Invalid Recipient(s)", 50033)
        for channel in self.channels.values():
            if channel.recipient is user:
                return _json(channel.payload())
        channel = _Channel(self._ids(), user.name, None, recipient=user)
        self.channels[channel.id] = channel
        return _json(channel.payload())

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        channel = self.channels.get(request.match_info["channel_id"])
        if channel is None:
            return _error(404, "Unknown Channel", 10003)
        body = await request.json()
        content = str(body.get("content") or "")
        if not content and not body.get("embeds"):
            return _error(400, "Cannot send an empty message", 50006)
        if len(content) > 2000:
            return _json(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {
                        "content": {
                            "_errors": [
                                {
                                    "code": "BASE_TYPE_MAX_LENGTH",
                                    "message": "Must be 2000 or fewer in length.",
                                }
                            ]
                        }
                    },
                },
                400,
            )
        if channel.recipient is not None and not channel.recipient.dms_open:
            return _error(403, "Cannot send messages to this user", 50007)
        message = self._message(self.bot, channel, content, reference=body.get("message_reference"))
        entry: dict[str, Any] = {
            "kind": "dm" if channel.recipient else "message",
            "channel_id": channel.id,
            "channel": channel.name,
            "content": content,
            "id": message["id"],
        }
        if channel.recipient is not None:
            entry["user"] = channel.recipient.name
        if body.get("message_reference"):
            entry["reply_to"] = str(body["message_reference"].get("message_id"))
        self.sent.append(entry)
        await self.dispatch("MESSAGE_CREATE", {**message, **self._author_member(channel)})
        return _json(message)

    def _author_member(self, channel: _Channel) -> dict[str, Any]:
        if channel.guild_id is None:
            return {}
        return {"member": self._member(self.bot, with_user=False)}

    async def _get_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        return _json(self.commands.get(request.match_info.get("guild_id"), []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "401: Unauthorized")
        if request.match_info["app_id"] != self.application_id:
            return _error(404, "Unknown Application", 10002)
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None and guild_id != self.guild_id:
            return _error(403, "Missing Access", 50001)
        registered = []
        for command in await request.json():
            registered.append(
                {
                    "id": self._ids(),
                    "application_id": self.application_id,
                    "version": self._ids(),
                    "type": 1,
                    "default_member_permissions": None,
                    "nsfw": False,
                    "options": [],
                    **command,
                    **({"guild_id": guild_id} if guild_id else {}),
                }
            )
        self.commands[guild_id] = registered
        return _json(registered)

    # -- interactions -----------------------------------------------------------------

    def _interaction(self, request: web.Request) -> _Interaction | None:
        found = self.interactions.get(request.match_info.get("interaction_id", ""))
        if found is None:
            token = request.match_info["token"]
            found = next((i for i in self.interactions.values() if i.token == token), None)
        if found is None or found.token != request.match_info["token"]:
            return None
        return found

    async def _callback(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None:
            return _error(404, "Unknown interaction", 10062)
        if interaction.response is not None:
            return _error(400, "Interaction has already been acknowledged.", 40060)
        if time.monotonic() - interaction.created > self.interaction_deadline:
            return _error(404, "Unknown interaction", 10062)
        body = await request.json()
        kind, data = int(body.get("type", 0)), body.get("data") or {}
        flags = int(data.get("flags") or 0)
        interaction.response = kind
        resource: dict[str, Any] = {"type": kind}
        message_id: str | None = None
        if kind == 4:
            message = self._message(
                self.bot, interaction.channel, str(data.get("content", "")), flags=flags
            )
            message_id, resource["message"] = message["id"], message
            self._record(interaction, "interaction", data.get("content", ""), flags & EPHEMERAL)
        elif kind == 5:
            message_id = self._ids()
            interaction.deferred_flags, interaction.original_pending = flags, True
            self._record(interaction, "deferred", None, flags & EPHEMERAL)
        elif kind == 8:
            choices = list(data.get("choices") or [])
            self.sent.append(
                {"kind": "autocomplete", "interaction_id": interaction.id, "choices": choices}
            )
            if interaction.choices is not None and not interaction.choices.done():
                interaction.choices.set_result(choices)
        else:
            return _error(400, "Invalid interaction response type", 50035)
        if request.query.get("with_response", "").lower() not in ("1", "true"):
            return web.Response(status=204)
        callback: dict[str, Any] = {"id": interaction.id, "type": interaction.kind}
        if message_id is not None:
            callback |= {
                "response_message_id": message_id,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & EPHEMERAL),
            }
        return _json({"interaction": callback, "resource": resource})

    def _record(self, interaction: _Interaction, kind: str, content: Any, ephemeral: int) -> None:
        self.sent.append(
            {
                "kind": kind,
                "interaction_id": interaction.id,
                "user": interaction.user.name,
                "channel_id": interaction.channel.id,
                "channel": interaction.channel.name,
                "content": content,
                "ephemeral": bool(ephemeral),
            }
        )

    def _live(self, interaction: _Interaction | None) -> bool:
        return (
            interaction is not None
            and interaction.response is not None
            and time.monotonic() - interaction.created < TOKEN_LIFETIME
        )

    async def _followup(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or not self._live(interaction):
            return _error(404, "Unknown Webhook", 10015)
        body = await request.json()
        content = str(body.get("content") or "")
        flags = int(body.get("flags") or 0)
        if interaction.original_pending:
            # The first followup after a deferral edits the loading message, whose
            # ephemeral state was fixed by the deferral.
            interaction.original_pending = False
            flags = interaction.deferred_flags
        message = self._message(
            self.bot, interaction.channel, content, flags=flags, webhook_id=self.application_id
        )
        self._record(interaction, "followup", content, flags & EPHEMERAL)
        return _json(message)

    async def _edit_original(self, request: web.Request) -> web.Response:
        interaction = self._interaction(request)
        if interaction is None or not self._live(interaction):
            return _error(404, "Unknown Webhook", 10015)
        body = await request.json()
        content = str(body.get("content") or "")
        flags = interaction.deferred_flags
        interaction.original_pending = False
        message = self._message(
            self.bot, interaction.channel, content, flags=flags, webhook_id=self.application_id
        )
        self._record(interaction, "followup", content, flags & EPHEMERAL)
        return _json(message)

    # -- what viewers do (also the control API's implementation) ------------------------

    def _speaker(self, body: dict[str, Any]) -> _User:
        user = self._user(str(body.get("user") or "ana"))
        role = str(body.get("role") or "viewer")
        names = {str(n) for n in body.get("roles", [])}
        unknown = names - set(self.roles)
        if unknown:
            raise web.HTTPBadRequest(text=f"unknown roles: {sorted(unknown)}")
        if role == "moderator":
            names.add(next(n for n, r in self.roles.items() if r.permissions & MANAGE_GUILD))
        elif role not in ("viewer", "owner"):
            raise web.HTTPBadRequest(text=f"unknown role {role!r}")
        user.roles = names
        return user

    async def _become_owner(self, user: _User) -> None:
        if self.owner is not user:
            self.owner = user
            await self.dispatch("GUILD_UPDATE", self._guild_base())

    async def say(self, body: dict[str, Any]) -> dict[str, Any]:
        user = self._speaker(body)
        if body.get("role") == "owner":
            await self._become_owner(user)
        channel = self.channel(body.get("channel"))
        message = self._message(user, channel, str(body.get("text", "")))
        await self.dispatch(
            "MESSAGE_CREATE", {**message, "member": self._member(user, with_user=False)}
        )
        return {"id": message["id"], "channel_id": channel.id, "user_id": user.id}

    def _command(self, name: str) -> dict[str, Any]:
        for scope in (self.guild_id, None):
            for command in self.commands.get(scope, []):
                if command["name"] == name:
                    return command
        raise web.HTTPNotFound(text=f"no application command {name!r} is registered")

    async def _interact(self, body: dict[str, Any], kind: int) -> _Interaction:
        user = self._speaker(body)
        if body.get("role") == "owner":
            await self._become_owner(user)
        channel = self.channel(body.get("channel"))
        command = self._command(str(body.get("command", "")))
        declared = {o["name"]: o for o in command.get("options", [])}
        options = []
        for name, value in (body.get("options") or {}).items():
            if name not in declared:
                raise web.HTTPBadRequest(text=f"/{command['name']} has no option {name!r}")
            option: dict[str, Any] = {"name": name, "type": declared[name]["type"], "value": value}
            if kind == 4 and name == body.get("focused"):
                option["focused"] = True
            options.append(option)
        interaction = _Interaction(
            self._ids(), secrets.token_urlsafe(48), user, channel, time.monotonic(), kind
        )
        self.interactions[interaction.id] = interaction
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": options,
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        member = {**self._member(user), "permissions": str(self._permissions(user))}
        payload = {
            "id": interaction.id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "guild": {"id": self.guild_id, "locale": "es-ES", "features": []},
            "guild_id": self.guild_id,
            "channel": channel.payload(),
            "channel_id": channel.id,
            "member": member,
            "token": interaction.token,
            "version": 1,
            "app_permissions": str(ALL_PERMISSIONS),
            "locale": str(body.get("locale") or "es-ES"),
            "guild_locale": "es-ES",
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if kind == 4:
            interaction.choices = asyncio.get_running_loop().create_future()
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    async def slash(self, body: dict[str, Any]) -> dict[str, Any]:
        interaction = await self._interact(body, 2)
        return {"id": interaction.id, "channel_id": interaction.channel.id}

    async def autocomplete(self, body: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        interaction = await self._interact(body, 4)
        assert interaction.choices is not None
        try:
            choices = await asyncio.wait_for(asyncio.shield(interaction.choices), timeout)
        except TimeoutError:
            return {"id": interaction.id, "answered": False, "choices": []}
        return {"id": interaction.id, "answered": True, "choices": choices}

    async def drop(self, code: int = 4000) -> int:
        """Close every gateway socket as a network failure would; sessions stay resumable."""
        dropped = 0
        for session in self.sessions.values():
            ws = session.ws
            if ws is not None and not ws.closed:
                session.ws = None
                await ws.close(code=code, message=b"dropped by the sandbox")
                dropped += 1
        return dropped

    # -- control API --------------------------------------------------------------------

    async def _control_say(self, request: web.Request) -> web.Response:
        return _json(await self.say(await request.json()))

    async def _control_slash(self, request: web.Request) -> web.Response:
        return _json(await self.slash(await request.json()))

    async def _control_autocomplete(self, request: web.Request) -> web.Response:
        return _json(await self.autocomplete(await request.json()))

    async def _control_inject(self, request: web.Request) -> web.Response:
        body = await request.json()
        event = body.get("t")
        if not isinstance(event, str) or not isinstance(body.get("d"), dict):
            raise web.HTTPBadRequest(text='expected a dispatch: {"t": "EVENT_NAME", "d": {...}}')
        await self.dispatch(event, body["d"])
        return _json({"ok": True})

    async def _control_dms(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self._user(str(body["user"]))
        user.dms_open = bool(body.get("open", True))
        return _json({"user": user.name, "id": user.id, "open": user.dms_open})

    async def _control_drop(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        return _json({"dropped": await self.drop(int(body.get("code", 4000)))})

    async def _control_sent(self, request: web.Request) -> web.Response:
        return _json(self.sent)

    async def _control_commands(self, request: web.Request) -> web.Response:
        return _json({str(k) if k else "global": v for k, v in self.commands.items()})

    async def _control_gateway(self, request: web.Request) -> web.Response:
        connected = sum(1 for s in self.sessions.values() if s.ws is not None and not s.ws.closed)
        return _json({**self.counters, "connected": connected, "sessions": len(self.sessions)})
