"""The control API under `/_sandbox/twitch/`: how tests and the demo drive the stand-in.

Viewers speak and cheer, raw notifications are injected, reconnects are forced (and their
welcome held until `release`), connections dropped, tokens minted, device codes approved,
moderators set, tokens expired; `sent`, `violations` and `subscriptions` report. None of
this exists on the real Twitch.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.twitch.eventsub import EventSub
from sandbox.twitch.payloads import ROLE_BADGES

CONTROL = "/_sandbox/twitch"


class Control(EventSub):
    """The `/_sandbox/twitch/` handlers."""

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
