"""Twitch, played on loopback well enough for twitchio to run unmodified against it.

API (under `/twitch`, Twitch's own paths): OAuth (`/oauth2/token` for client credentials,
refresh and device-code grants, `/oauth2/validate`, `/oauth2/device`), Helix (`/helix/users`,
`/helix/eventsub/subscriptions`, `/helix/chat/messages`, `/helix/moderation/moderators`) and
the EventSub websocket (`/twitch/ws`: welcome, keepalive, notification, reconnect). Payloads
follow Twitch's developer documentation.

Chat limits are enforced the way Twitch does: 20 messages per 30 seconds per sender and
channel, 100 when the sender is the broadcaster or a moderator. A message over the limit is
dropped (`is_sent: false`, `msg_ratelimit`), recorded as a violation, and the sender is
blocked for `block_seconds`. The control API (under `/_sandbox/twitch`) makes viewers speak
and cheer, injects raw notifications, forces reconnects (optionally holding the new
connections' welcome until `release`, so events meanwhile go to the old ones) and drops,
mints tokens, approves device codes and reports what the bot sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

PREFIX = "/twitch"
CONTROL = "/_sandbox/twitch"
CHAT_LIMIT = 20
ELEVATED_CHAT_LIMIT = 100
MAX_MESSAGE_LENGTH = 500
USER_TOKEN_SECONDS = 4 * 3600
APP_TOKEN_SECONDS = 60 * 24 * 3600
DEVICE_CODE_SECONDS = 1800
RECONNECT_GRACE_SECONDS = 30.0
ROLE_BADGES: dict[str, list[dict[str, str]]] = {
    "viewer": [],
    "subscriber": [{"set_id": "subscriber", "id": "3", "info": "3"}],
    "vip": [{"set_id": "vip", "id": "1", "info": ""}],
    "moderator": [{"set_id": "moderator", "id": "1", "info": ""}],
    "lead_moderator": [{"set_id": "lead_moderator", "id": "1", "info": ""}],
    "broadcaster": [{"set_id": "broadcaster", "id": "1", "info": ""}],
}
# What each subscription type needs from the token's user, as the EventSub docs list it.
SUBSCRIPTION_SCOPES: dict[str, tuple[str, ...]] = {
    "channel.chat.message": ("user:read:chat",),
    "channel.cheer": ("bits:read",),
}
_MENTION = re.compile(r"@(\w+)")


def _now_iso() -> str:
    """RFC 3339 with nanoseconds, as Twitch stamps EventSub messages."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def _error(status: int, message: str) -> web.Response:
    reasons = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    body = {"error": reasons.get(status, "Error"), "status": status, "message": message}
    return web.json_response(body, status=status)


def _oauth_error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


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


class TwitchStandIn:
    """Start it inside `sandbox.app.Sandbox`, or mount it with `setup(app)` on any aiohttp app."""

    name = "twitch"

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

    # -- users and tokens --------------------------------------------------------------

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

    # -- routes ------------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        r = app.router
        r.add_post(f"{PREFIX}/oauth2/token", self._token)
        r.add_get(f"{PREFIX}/oauth2/validate", self._validate)
        r.add_post(f"{PREFIX}/oauth2/device", self._device)
        r.add_post(f"{PREFIX}/oauth2/revoke", self._revoke)
        r.add_get(f"{PREFIX}/activate", self._activate_page)
        r.add_post(f"{PREFIX}/activate", self._activate_form)
        r.add_get(f"{PREFIX}/helix/users", self._users)
        r.add_post(f"{PREFIX}/helix/eventsub/subscriptions", self._subscribe)
        r.add_get(f"{PREFIX}/helix/eventsub/subscriptions", self._list_subscriptions)
        r.add_delete(f"{PREFIX}/helix/eventsub/subscriptions", self._unsubscribe)
        r.add_post(f"{PREFIX}/helix/chat/messages", self._chat_message)
        r.add_get(f"{PREFIX}/helix/moderation/moderators", self._moderators)
        r.add_get(f"{PREFIX}/ws", self._websocket)
        r.add_post(f"{CONTROL}/say", self._control_say)
        r.add_post(f"{CONTROL}/cheer", self._control_cheer)
        r.add_post(f"{CONTROL}/inject", self._control_inject)
        r.add_get(f"{CONTROL}/sent", self._control_sent)
        r.add_get(f"{CONTROL}/violations", self._control_violations)
        r.add_get(f"{CONTROL}/subscriptions", self._control_subscriptions)
        r.add_post(f"{CONTROL}/reconnect", self._control_reconnect)
        r.add_post(f"{CONTROL}/release", self._control_release)
        r.add_post(f"{CONTROL}/drop", self._control_drop)
        r.add_post(f"{CONTROL}/token", self._control_token)
        r.add_post(f"{CONTROL}/activate", self._control_activate)
        r.add_post(f"{CONTROL}/moderator", self._control_moderator)
        r.add_post(f"{CONTROL}/expire", self._control_expire)

    async def close(self) -> None:
        self.release_welcome()
        for session in list(self.sessions.values()):
            await self._close_session(session, 1001, "sandbox stopping")
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- OAuth -------------------------------------------------------------------------

    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        """OAuth endpoints take their parameters in the query string or a form body."""
        params = dict(request.query)
        if request.can_read_body:
            params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    async def _token(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        grant = params.get("grant_type", "")
        if params.get("client_id") != self.client_id:
            return _oauth_error(400, "invalid client")
        if grant == "client_credentials":
            if params.get("client_secret") != self.client_secret:
                return _oauth_error(403, "invalid client secret")
            token = self.mint(None)
            return web.json_response(
                {
                    "access_token": token.access,
                    "expires_in": token.expires_in(),
                    "token_type": "bearer",
                }
            )
        if grant == "refresh_token":
            secret = params.get("client_secret")
            if secret is not None and secret != self.client_secret:
                return _oauth_error(403, "invalid client secret")
            old = self.refresh_tokens.pop(params.get("refresh_token", ""), None)
            if old is None or old.user_id is None:
                return _oauth_error(400, "Invalid refresh token")
            old.valid = False
            login = self._user_by_id(old.user_id)
            assert login is not None
            return self._user_token_response(self.mint(login.login, old.scopes))
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            device = self.devices.get(params.get("device_code", ""))
            if device is None:
                return _oauth_error(400, "invalid device code")
            if time.monotonic() > device.expires_at:
                return _oauth_error(400, "expired_token")
            if device.user_id is None:
                return _oauth_error(400, "authorization_pending")
            del self.devices[device.device_code]
            owner = self._user_by_id(device.user_id)
            assert owner is not None
            return self._user_token_response(self.mint(owner.login, device.scopes))
        return _oauth_error(400, "Invalid grant type")

    @staticmethod
    def _user_token_response(token: Token) -> web.Response:
        return web.json_response(
            {
                "access_token": token.access,
                "expires_in": token.expires_in(),
                "refresh_token": token.refresh,
                "scope": list(token.scopes),
                "token_type": "bearer",
            }
        )

    async def _validate(self, request: web.Request) -> web.Response:
        token = self._bearer(request, helix=False)
        if isinstance(token, web.Response):
            return _oauth_error(401, "invalid access token")
        body: dict[str, Any] = {
            "client_id": token.client_id,
            "scopes": list(token.scopes) if token.user_id else [],
            "expires_in": token.expires_in(),
        }
        owner = self._user_by_id(token.user_id) if token.user_id else None
        if owner is not None:
            body.update({"login": owner.login, "user_id": owner.id})
        return web.json_response(body)

    async def _revoke(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        token = self.tokens.get(params.get("token", ""))
        if token is not None:
            token.valid = False
        return web.Response(status=200)

    async def _device(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        if params.get("client_id") != self.client_id:
            return _oauth_error(400, "invalid client")
        scopes = tuple(params.get("scopes", "").replace("+", " ").split())
        grant = DeviceGrant(
            device_code=secrets.token_urlsafe(30),
            user_code="".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8)),
            client_id=self.client_id,
            scopes=scopes,
            expires_at=time.monotonic() + DEVICE_CODE_SECONDS,
        )
        self.devices[grant.device_code] = grant
        base = f"{request.scheme}://{request.host}{PREFIX}"
        return web.json_response(
            {
                "device_code": grant.device_code,
                "expires_in": DEVICE_CODE_SECONDS,
                "interval": self.device_interval,
                "user_code": grant.user_code,
                "verification_uri": f"{base}/activate?public=true&device-code={grant.user_code}",
            }
        )

    def activate(self, user_code: str, login: str) -> bool:
        """The person at the browser signs in as `login` and approves `user_code`."""
        for grant in self.devices.values():
            if grant.user_code == user_code.strip().upper():
                grant.user_id = self.user(login).id
                return True
        return False

    async def _activate_page(self, request: web.Request) -> web.Response:
        code = html.escape(request.query.get("device-code", ""))
        page = (
            "<!doctype html><meta charset=utf-8><title>Twitch (sandbox)</title>"
            "<h1>Activar dispositivo</h1>"
            f'<form method=post><label>Código <input name=user_code value="{code}"></label>'
            '<label> Cuenta <input name=login placeholder="vivobot"></label>'
            "<button>Autorizar</button></form>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _activate_form(self, request: web.Request) -> web.Response:
        form = await request.post()
        ok = self.activate(str(form.get("user_code", "")), str(form.get("login", "")))
        text = "Listo: podés volver a la terminal." if ok else "Código desconocido."
        return web.Response(text=text, status=200 if ok else 404)

    # -- Helix -------------------------------------------------------------------------

    async def _users(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        ids = request.query.getall("id", [])
        logins = request.query.getall("login", [])
        if not ids and not logins:
            if token.user_id is None:
                return _error(400, "Must provide an ID, Login or OAuth Token")
            ids = [token.user_id]
        found = [u for u in self.users.values() if u.id in ids or u.login in logins]
        return web.json_response({"data": [self._user_json(u) for u in found]})

    def _user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id,
            "login": user.login,
            "display_name": user.display_name,
            "type": "",
            "broadcaster_type": "affiliate" if user is self.broadcaster else "",
            "description": "",
            "profile_image_url": f"https://static-cdn.jtvnw.net/user-default-pictures/{user.id}.png",
            "offline_image_url": "",
            "view_count": 0,
            "created_at": user.created_at,
        }

    async def _subscribe(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        body = await request.json()
        kind, version = body.get("type", ""), str(body.get("version", ""))
        condition = {k: str(v) for k, v in (body.get("condition") or {}).items()}
        transport = body.get("transport") or {}
        if transport.get("method") != "websocket":
            return _error(400, "this sandbox only speaks the websocket transport")
        if token.user_id is None:
            return _error(400, "websocket transports require a user access token")
        session = self.sessions.get(str(transport.get("session_id", "")))
        if session is None or not session.open:
            return _error(400, "websocket transport session does not exist or has disconnected")
        if kind not in SUBSCRIPTION_SCOPES or version != "1":
            return _error(400, f"unsupported subscription type {kind} v{version}")
        missing = [s for s in SUBSCRIPTION_SCOPES[kind] if s not in token.scopes]
        if missing:
            return _error(403, f"subscription missing proper authorization: {' '.join(missing)}")
        owner = condition.get("user_id") if kind == "channel.chat.message" else None
        owner = owner or condition.get("broadcaster_user_id")
        if owner != token.user_id:
            return _error(403, "subscription missing proper authorization")
        for existing in self.subscriptions.values():
            if (
                existing.status == "enabled"
                and existing.type == kind
                and existing.condition == condition
            ):
                return _error(409, f"subscription already exists id={existing.id}")
        subscription = Subscription(
            id=str(uuid.uuid4()),
            type=kind,
            version=version,
            condition=condition,
            session_id=session.id,
            user_id=token.user_id,
        )
        self.subscriptions[subscription.id] = subscription
        enabled = sum(1 for s in self.subscriptions.values() if s.status == "enabled")
        return web.json_response(
            {
                "data": [subscription.as_json()],
                "total": enabled,
                "total_cost": 0,
                "max_total_cost": 10,
            },
            status=202,
        )

    async def _list_subscriptions(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        mine = [s.as_json() for s in self.subscriptions.values() if s.user_id == token.user_id]
        return web.json_response(
            {
                "data": mine,
                "total": len(mine),
                "total_cost": 0,
                "max_total_cost": 10,
                "pagination": {},
            }
        )

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        if self.subscriptions.pop(request.query.get("id", ""), None) is None:
            return _error(404, "subscription not found")
        return web.Response(status=204)

    async def _moderators(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        broadcaster_id = request.query.get("broadcaster_id", "")
        if token.user_id != broadcaster_id:
            return _error(403, "the token must belong to the broadcaster")
        if not {"moderation:read", "channel:manage:moderators"} & set(token.scopes):
            return _error(401, "Missing scope: moderation:read")
        wanted = set(request.query.getall("user_id", []))
        data = []
        for user_id in sorted(self.moderators):
            user = self._user_by_id(user_id)
            if user is not None and (not wanted or user_id in wanted):
                data.append(
                    {"user_id": user.id, "user_login": user.login, "user_name": user.display_name}
                )
        return web.json_response({"data": data, "pagination": {}})

    async def _chat_message(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        body = await request.json()
        broadcaster_id = str(body.get("broadcaster_id", ""))
        sender_id = str(body.get("sender_id", ""))
        text = str(body.get("message", ""))
        if token.user_id is not None and token.user_id != sender_id:
            return _error(403, "The sender must be the user in the token")
        if token.user_id is not None and "user:write:chat" not in token.scopes:
            return _error(401, "Missing scope: user:write:chat")
        sender = self._user_by_id(sender_id)
        if broadcaster_id != self.broadcaster.id or sender is None:
            return _error(400, "unknown broadcaster_id or sender_id")
        if not text or len(text) > MAX_MESSAGE_LENGTH:
            return _error(400, "The message must be 1 to 500 characters")
        message_id = str(uuid.uuid4())
        record: dict[str, Any] = {
            "message_id": message_id,
            "sender_id": sender_id,
            "sender": sender.login,
            "broadcaster_id": broadcaster_id,
            "message": text,
            "reply_parent_message_id": body.get("reply_parent_message_id"),
            "sent_at": _now_iso(),
            "t": self.elapsed(),
            "is_sent": True,
        }
        drop = self._rate_check(sender_id, broadcaster_id, record)
        if drop is not None:
            record.update(is_sent=False, drop_reason=drop)
        self.sent.append(record)
        if drop is None:
            role = "broadcaster" if sender_id == self.broadcaster.id else None
            if role is None and sender_id in self.moderators:
                role = "moderator"
            event = self.chat_event(sender, text, role or "viewer", message_id=message_id)
            await self.deliver("channel.chat.message", event)
        return web.json_response(
            {
                "data": [
                    {
                        "message_id": message_id if drop is None else "",
                        "is_sent": drop is None,
                        "drop_reason": drop,
                    }
                ]
            }
        )

    def _rate_check(
        self, sender_id: str, broadcaster_id: str, record: dict[str, Any]
    ) -> dict[str, str] | None:
        now = time.monotonic()
        key = (sender_id, broadcaster_id)
        if self._blocked_until.get(key, 0.0) > now:
            return {"code": "msg_ratelimit", "message": "You are blocked from sending messages."}
        recent = self._recent.setdefault(key, deque())
        while recent and now - recent[0] >= self.window_seconds:
            recent.popleft()
        limit = ELEVATED_CHAT_LIMIT if self.is_elevated(sender_id) else CHAT_LIMIT
        if len(recent) >= limit:
            self.violations.append(
                {
                    "sender_id": sender_id,
                    "broadcaster_id": broadcaster_id,
                    "limit": limit,
                    "window_seconds": self.window_seconds,
                    "in_window": len(recent),
                    "message": record["message"],
                    "t": record["t"],
                }
            )
            self._blocked_until[key] = now + self.block_seconds
            return {
                "code": "msg_ratelimit",
                "message": "Your message was not sent because you are sending too quickly.",
            }
        recent.append(now)
        return None

    # -- EventSub payloads -------------------------------------------------------------

    def chat_event(
        self,
        chatter: User,
        text: str,
        role: str = "viewer",
        *,
        message_id: str | None = None,
        bits: int | None = None,
        reply_to: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A `channel.chat.message` event body, in the documented shape."""
        return {
            **self.broadcaster.ref("broadcaster_user"),
            **chatter.ref("chatter_user"),
            "message_id": message_id or str(uuid.uuid4()),
            "message": {"text": text, "fragments": self._fragments(text, bits)},
            "color": "#9146FF",
            "badges": ROLE_BADGES.get(role, []),
            "message_type": "text",
            "cheer": {"bits": bits} if bits else None,
            "reply": reply_to,
            "channel_points_custom_reward_id": None,
            "channel_points_animation_id": None,
            "source_broadcaster_user_id": None,
            "source_broadcaster_user_login": None,
            "source_broadcaster_user_name": None,
            "source_message_id": None,
            "source_badges": None,
            "is_source_only": None,
        }

    def _fragments(self, text: str, bits: int | None) -> list[dict[str, Any]]:
        fragments: list[dict[str, Any]] = []
        rest = text
        if bits and text.lower().startswith(f"cheer{bits}"):
            word = text[: len(f"cheer{bits}")]
            fragments.append(
                {
                    "type": "cheermote",
                    "text": word,
                    "cheermote": {"prefix": "cheer", "bits": bits, "tier": 1},
                    "emote": None,
                    "mention": None,
                }
            )
            rest = text[len(word) :]
        position = 0
        for match in _MENTION.finditer(rest):
            mentioned = self.users.get(match.group(1).lower())
            if mentioned is None:
                continue
            if match.start() > position:
                fragments.append(self._text_fragment(rest[position : match.start()]))
            fragments.append(
                {
                    "type": "mention",
                    "text": match.group(0),
                    "cheermote": None,
                    "emote": None,
                    "mention": mentioned.ref("user"),
                }
            )
            position = match.end()
        if position < len(rest):
            fragments.append(self._text_fragment(rest[position:]))
        return fragments

    @staticmethod
    def _text_fragment(text: str) -> dict[str, Any]:
        return {"type": "text", "text": text, "cheermote": None, "emote": None, "mention": None}

    def cheer_event(self, cheerer: User | None, bits: int, message: str) -> dict[str, Any]:
        """A `channel.cheer` event body, in the documented shape."""
        who = (
            cheerer.ref("user")
            if cheerer
            else {"user_id": None, "user_login": None, "user_name": None}
        )
        return {
            "is_anonymous": cheerer is None,
            **who,
            **self.broadcaster.ref("broadcaster_user"),
            "message": message,
            "bits": bits,
        }

    def _matches(self, subscription: Subscription, event: dict[str, Any]) -> bool:
        wanted = subscription.condition.get("broadcaster_user_id")
        return wanted is None or wanted == event.get("broadcaster_user_id")

    async def deliver(self, kind: str, event: dict[str, Any]) -> int:
        """Send one notification per matching subscription; returns how many went out."""
        delivered = 0
        for subscription in list(self.subscriptions.values()):
            if subscription.type != kind or not self._matches(subscription, event):
                continue
            session = self.sessions.get(subscription.session_id)
            if subscription.status != "enabled" or session is None or not session.open:
                continue
            message = {
                "metadata": {
                    "message_id": str(uuid.uuid4()),
                    "message_type": "notification",
                    "message_timestamp": _now_iso(),
                    "subscription_type": kind,
                    "subscription_version": subscription.version,
                },
                "payload": {"subscription": subscription.as_json(), "event": event},
            }
            if await self._send(session, message):
                delivered += 1
        if not delivered:
            self.undelivered.append({"type": kind, "event": event})
        return delivered

    # -- the EventSub websocket --------------------------------------------------------

    async def _send(self, session: Session, message: dict[str, Any]) -> bool:
        async with session.lock:
            return await self._write(session, message)

    async def _write(self, session: Session, message: dict[str, Any]) -> bool:
        """Send on the socket; the caller holds `session.lock`."""
        if not session.open or session.ws.closed:
            return False
        try:
            await session.ws.send_str(json.dumps(message))
        except (ConnectionError, RuntimeError):
            return False
        session.last_sent = time.monotonic()
        return True

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            keepalive = min(600, max(10, int(request.query.get("keepalive_timeout_seconds", 10))))
        except ValueError:
            keepalive = 10
        scheme = "wss" if request.secure else "ws"
        session = Session(
            id=uuid.uuid4().hex,
            ws=ws,
            transport=request.transport,
            reconnect_url_base=f"{scheme}://{request.host}{PREFIX}/ws",
            keepalive=keepalive,
            connected_at=_now_iso(),
        )
        self.sessions[session.id] = session
        old = self.sessions.get(request.query.get("reconnect_id", ""))
        if old is not None and self._welcome_hold is not None:
            await self._welcome_hold.wait()
        async with session.lock:
            # Twitch sends events on the old connection up to the welcome on the new one:
            # moving the subscriptions under the new session's lock means no event reaches
            # the new connection before its welcome, and none goes to the old one after it.
            if old is not None:
                for subscription in self.subscriptions.values():
                    if subscription.session_id == old.id:
                        subscription.session_id = session.id
            await self._write(session, self._session_message("session_welcome", session))
        session.tasks.append(asyncio.get_running_loop().create_task(self._keepalive(session)))
        try:
            async for frame in ws:
                if frame.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await ws.close(code=4001, message=b"Client sent inbound traffic")
                    break
        finally:
            await self._close_session(session, None, "")
        return ws

    def _session_message(self, kind: str, session: Session) -> dict[str, Any]:
        reconnecting = kind == "session_reconnect"
        return {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": kind,
                "message_timestamp": _now_iso(),
            },
            "payload": {
                "session": {
                    "id": session.id,
                    "status": "reconnecting" if reconnecting else "connected",
                    "keepalive_timeout_seconds": None if reconnecting else session.keepalive,
                    "reconnect_url": (
                        f"{session.reconnect_url_base}?reconnect_id={session.id}"
                        if reconnecting
                        else None
                    ),
                    "connected_at": session.connected_at,
                }
            },
        }

    async def _keepalive(self, session: Session) -> None:
        while session.open:
            await asyncio.sleep(session.keepalive / 2)
            if time.monotonic() - session.last_sent >= session.keepalive / 2:
                keepalive = {
                    "metadata": {
                        "message_id": str(uuid.uuid4()),
                        "message_type": "session_keepalive",
                        "message_timestamp": _now_iso(),
                    },
                    "payload": {},
                }
                await self._send(session, keepalive)

    async def _close_session(self, session: Session, code: int | None, reason: str) -> None:
        if session.open:
            session.open = False
            for subscription in self.subscriptions.values():
                if subscription.session_id == session.id:
                    subscription.status = "websocket_disconnected"
        for task in session.tasks:
            if task is not asyncio.current_task():
                task.cancel()
        if code is not None and not session.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.close(code=code, message=reason.encode())
        self.sessions.pop(session.id, None)

    async def reconnect(self, *, hold_welcome: bool = False) -> int:
        """Ask every client to move to a new connection, as Twitch does before maintenance.

        With `hold_welcome`, the new connections get their welcome only at `release_welcome()`;
        until then events keep going to the old ones, as they do on Twitch while a slow
        reconnect is in progress.
        """
        if hold_welcome and self._welcome_hold is None:
            self._welcome_hold = asyncio.Event()
        count = 0
        for session in list(self.sessions.values()):
            if session.open and await self._send(
                session, self._session_message("session_reconnect", session)
            ):
                count += 1
                self._spawn(self._expire_old(session))
        return count

    def release_welcome(self) -> None:
        """Welcome the connections a `reconnect(hold_welcome=True)` kept waiting."""
        if self._welcome_hold is not None:
            self._welcome_hold.set()
            self._welcome_hold = None

    async def _expire_old(self, session: Session) -> None:
        await asyncio.sleep(RECONNECT_GRACE_SECONDS)
        if session.open:
            await self._close_session(session, 4004, "Reconnect grace time expired")

    async def drop(self) -> int:
        """Cut every connection without a close handshake, like a network failure."""
        count = 0
        for session in list(self.sessions.values()):
            transport = session.transport
            session.open = False
            for subscription in self.subscriptions.values():
                if subscription.session_id == session.id:
                    subscription.status = "websocket_disconnected"
            if isinstance(transport, asyncio.Transport):
                transport.abort()
                count += 1
        return count

    # -- control API -------------------------------------------------------------------

    async def _control_say(self, request: web.Request) -> web.Response:
        body = await request.json()
        role = str(body.get("role", "viewer"))
        if role not in ROLE_BADGES:
            return web.json_response({"error": f"unknown role {role}"}, status=400)
        chatter = self.broadcaster if role == "broadcaster" else self.user(str(body["user"]))
        if role in ("moderator", "lead_moderator"):
            self.moderators.add(chatter.id)
        event = self.chat_event(chatter, str(body["text"]), role)
        delivered = await self.deliver("channel.chat.message", event)
        return web.json_response({"message_id": event["message_id"], "delivered": delivered})

    async def _control_cheer(self, request: web.Request) -> web.Response:
        body = await request.json()
        bits = int(body["bits"])
        if bits < 1:
            return web.json_response({"error": "bits must be positive"}, status=400)
        anonymous = bool(body.get("anonymous", False))
        cheerer = None if anonymous else self.user(str(body["user"]))
        message = str(body.get("message", ""))
        text = f"Cheer{bits} {message}".strip()
        event = self.cheer_event(cheerer, bits, text)
        delivered = await self.deliver("channel.cheer", event)
        if cheerer is not None:
            chat = self.chat_event(cheerer, text, "viewer", bits=bits)
            await self.deliver("channel.chat.message", chat)
        return web.json_response({"delivered": delivered})

    async def _control_inject(self, request: web.Request) -> web.Response:
        """Raw: `{"metadata", "payload"}` delivered as is, or `{"subscription_type", "event"}`."""
        body = await request.json()
        if "metadata" in body:
            kind = body["metadata"].get("subscription_type", "")
            delivered = 0
            for subscription in list(self.subscriptions.values()):
                session = self.sessions.get(subscription.session_id)
                if subscription.type == kind and session is not None and session.open:
                    delivered += int(await self._send(session, body))
            return web.json_response({"delivered": delivered})
        delivered = await self.deliver(str(body["subscription_type"]), body["event"])
        return web.json_response({"delivered": delivered})

    async def _control_sent(self, request: web.Request) -> web.Response:
        return web.json_response({"messages": self.sent})

    async def _control_violations(self, request: web.Request) -> web.Response:
        return web.json_response({"violations": self.violations})

    async def _control_subscriptions(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "data": [s.as_json() for s in self.subscriptions.values()],
                "sessions": [s.id for s in self.sessions.values() if s.open],
            }
        )

    async def _control_reconnect(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        hold = bool(body.get("hold_welcome", False))
        return web.json_response({"sessions": await self.reconnect(hold_welcome=hold)})

    async def _control_release(self, request: web.Request) -> web.Response:
        self.release_welcome()
        return web.json_response({"released": True})

    async def _control_drop(self, request: web.Request) -> web.Response:
        return web.json_response({"sessions": await self.drop()})

    async def _control_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = self.mint(str(body["user"]), tuple(body.get("scopes", ())))
        owner = self._user_by_id(token.user_id or "")
        assert owner is not None
        return web.json_response(
            {
                "access_token": token.access,
                "refresh_token": token.refresh,
                "user_id": owner.id,
                "login": owner.login,
                "scope": list(token.scopes),
            }
        )

    async def _control_activate(self, request: web.Request) -> web.Response:
        body = await request.json()
        ok = self.activate(str(body["user_code"]), str(body["user"]))
        return web.json_response({"ok": ok}, status=200 if ok else 404)

    async def _control_moderator(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.user(str(body["user"]))
        if body.get("moderator", True):
            self.moderators.add(user.id)
        else:
            self.moderators.discard(user.id)
        return web.json_response({"user_id": user.id, "moderator": user.id in self.moderators})

    async def _control_expire(self, request: web.Request) -> web.Response:
        """Invalidate a user's access tokens (refresh tokens keep working)."""
        body = await request.json()
        user = self.user(str(body["user"]))
        count = 0
        for token in self.tokens.values():
            if token.user_id == user.id and token.valid:
                token.valid = False
                count += 1
        return web.json_response({"expired": count})
