"""Helix, Twitch's REST API under `/twitch/helix/`, as twitchio calls it.

`users`, `eventsub/subscriptions` (create, list, delete, with the scopes each type needs),
`chat/messages` (within the chat limits) and `moderation/moderators`. A POST's parameters may
come in a JSON body or in the query string (twitchAPI sends Send Chat Message's that way); a
body that is not a JSON object is a 400 in Helix's envelope, never a crash.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

from sandbox.twitch.errors import _error
from sandbox.twitch.eventsub import EventSub
from sandbox.twitch.limits import ChatLimits
from sandbox.twitch.models import Subscription, _now_iso

MAX_MESSAGE_LENGTH = 500
# What each subscription type needs from the token's user, as the EventSub docs list it.
SUBSCRIPTION_SCOPES: dict[str, tuple[str, ...]] = {
    "channel.chat.message": ("user:read:chat",),
    "channel.cheer": ("bits:read",),
}


class Helix(EventSub, ChatLimits):
    """The Helix handlers."""

    @staticmethod
    async def _helix_body(request: web.Request) -> dict[str, Any] | web.Response:
        """The request's JSON object, or `{}` when it has no body; a 400 when it is not one."""
        if not request.can_read_body:
            return {}
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            return _error(400, "The request body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object")
        return body

    async def _helix_params(self, request: web.Request) -> dict[str, Any] | web.Response:
        """Query parameters, overridden by the JSON body's fields of the same name."""
        body = await self._helix_body(request)
        if isinstance(body, web.Response):
            return body
        return {**dict(request.query), **body}

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

    async def _subscribe(self, request: web.Request) -> web.Response:
        token = self._bearer(request)
        if isinstance(token, web.Response):
            return token
        body = await self._helix_body(request)
        if isinstance(body, web.Response):
            return body
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
        body = await self._helix_params(request)
        if isinstance(body, web.Response):
            return body
        for required in ("broadcaster_id", "sender_id", "message"):
            if body.get(required) in (None, ""):
                return _error(400, f"Missing required parameter {required}")
        broadcaster_id = str(body["broadcaster_id"])
        sender_id = str(body["sender_id"])
        text = str(body["message"])
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
