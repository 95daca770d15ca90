"""The control API under `/_sandbox/discord/`: how tests and the demo drive the stand-in.

`say`, `slash`, `autocomplete`, `press`, `submit` (a modal), `inject`, `dms`, `drop`,
`ratelimit` (POST) and `sent`, `commands`, `gateway` (GET). None of this exists on the real Discord.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.discord.responses import _json
from sandbox.discord.viewers import Viewers

CONTROL = "/_sandbox/discord"


class Control(Viewers):
    """The `/_sandbox/discord/` handlers."""

    async def _control_say(self, request: web.Request) -> web.Response:
        return _json(await self.say(await request.json()))

    async def _control_slash(self, request: web.Request) -> web.Response:
        return _json(await self.slash(await request.json()))

    async def _control_press(self, request: web.Request) -> web.Response:
        return _json(await self.press(await request.json()))

    async def _control_submit(self, request: web.Request) -> web.Response:
        return _json(await self.submit(await request.json()))

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

    async def _control_ratelimit(self, request: web.Request) -> web.Response:
        """`{"limit": 5, "window": 5.0}`: every REST route allows `limit` requests a window."""
        body = await request.json()
        try:
            self.rate_limits.set(int(body.get("limit", 50)), float(body.get("window", 1.0)))
        except (TypeError, ValueError) as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        return _json({"limit": self.rate_limits.limit, "window": self.rate_limits.window})

    async def _control_sent(self, request: web.Request) -> web.Response:
        return _json(self.sent)

    async def _control_commands(self, request: web.Request) -> web.Response:
        return _json({str(k) if k else "global": v for k, v in self.commands.items()})

    async def _control_gateway(self, request: web.Request) -> web.Response:
        connected = sum(1 for s in self.sessions.values() if s.ws is not None and not s.ws.closed)
        return _json({**self.counters, "connected": connected, "sessions": len(self.sessions)})
