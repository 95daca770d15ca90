"""The control API under `/_sandbox/youtube/`: how tests and the demo drive the stand-in.

POST `say`, `superchat`, `supersticker`, `member`, `inject` (a raw liveChatMessage as is),
`end`, `live`, `faults`; GET `sent`, `quota`, `faults`. Each handler reads a JSON body and
calls the world; none of this exists on the real YouTube.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.youtube.world import YouTubeWorld

CONTROL = "/_sandbox/youtube"


class ControlApi(YouTubeWorld):
    """The `/_sandbox/youtube/` routes."""

    def _mount_control(self, app: web.Application) -> None:
        r = app.router
        r.add_post(f"{CONTROL}/say", self._control_say)
        r.add_post(f"{CONTROL}/superchat", self._control_superchat)
        r.add_post(f"{CONTROL}/supersticker", self._control_supersticker)
        r.add_post(f"{CONTROL}/member", self._control_member)
        r.add_post(f"{CONTROL}/inject", self._control_inject)
        r.add_get(f"{CONTROL}/sent", self._control_sent)
        r.add_get(f"{CONTROL}/quota", self._control_quota)
        r.add_post(f"{CONTROL}/end", self._control_end)
        r.add_post(f"{CONTROL}/live", self._control_live)
        r.add_get(f"{CONTROL}/faults", self._control_get_faults)
        r.add_post(f"{CONTROL}/faults", self._control_set_faults)

    async def _control_say(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        try:
            item = self.say(str(body["user"]), str(body["text"]), str(body.get("role", "viewer")))
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"bad say: {exc}"}, status=400)
        return web.json_response(item, status=201)

    async def _control_superchat(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        try:
            item = self.superchat(
                str(body["user"]),
                int(body["amount_micros"]),
                str(body.get("currency", "USD")),
                str(body.get("comment", "")),
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"bad superchat: {exc}"}, status=400)
        return web.json_response(item, status=201)

    async def _control_supersticker(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        try:
            item = self.supersticker(
                str(body["user"]), int(body["amount_micros"]), str(body.get("currency", "USD"))
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": f"bad supersticker: {exc}"}, status=400)
        return web.json_response(item, status=201)

    async def _control_member(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if "user" not in body:
            return web.json_response({"error": "user is required"}, status=400)
        item = self.member(str(body["user"]), str(body.get("level", "Miembro")))
        return web.json_response(item, status=201)

    async def _control_inject(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if not body:
            return web.json_response(
                {"error": "a liveChatMessage resource is required"}, status=400
            )
        return web.json_response(self.inject(body), status=201)

    async def _control_sent(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.sent)

    async def _control_quota(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.meter.report())

    async def _control_end(self, request: web.Request) -> web.StreamResponse:
        self.end()
        return web.json_response({"ended_at": self.ended_at})

    async def _control_live(self, request: web.Request) -> web.StreamResponse:
        """Go live: the upcoming broadcast starts, or a new one after the last ended."""
        body = await _body(request)
        try:
            broadcast = self.go_live(str(body["video_id"]) if body.get("video_id") else None)
        except ValueError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        return web.json_response(self.broadcast_resource(broadcast), status=201)

    async def _control_get_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.faults.as_dict())

    async def _control_set_faults(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        for key in ("list", "insert"):
            if key in body:
                getattr(self.faults, key).extend(str(reason) for reason in body[key])
        if "latency_ms" in body:
            self.faults.latency_ms = int(body["latency_ms"])
        return web.json_response(self.faults.as_dict())


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
