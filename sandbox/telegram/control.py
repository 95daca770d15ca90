"""The control API under `/_sandbox/telegram/`: how tests and the demo drive the stand-in.

`say`, `inject`, `press`, `open`, `faults`, `privacy`, `block`, `members` (POST) and `sent`,
`calls`, `commands`, `faults`, `webhook` (GET). Each handler reads a JSON body and calls the
world; none of this exists on the real Telegram.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.telegram.world import TelegramWorld

CONTROL = "/_sandbox/telegram"


class ControlApi(TelegramWorld):
    """The `/_sandbox/telegram/` routes."""

    def _mount_control(self, app: web.Application) -> None:
        control: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
            "say": self._control_say,
            "inject": self._control_inject,
            "press": self._control_press,
            "open": self._control_open,
            "faults": self._control_faults,
            "privacy": self._control_privacy,
            "block": self._control_block,
            "members": self._control_members,
        }
        for name, handler in control.items():
            app.router.add_post(f"{CONTROL}/{name}", handler)
        app.router.add_get(f"{CONTROL}/sent", self._control_sent)
        app.router.add_get(f"{CONTROL}/calls", self._control_calls)
        app.router.add_get(f"{CONTROL}/commands", self._control_commands)
        app.router.add_get(f"{CONTROL}/faults", self._control_get_faults)
        app.router.add_get(f"{CONTROL}/webhook", self._control_webhook)

    async def _control_say(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        try:
            result = self.say(
                str(body.get("user", "ana")),
                str(body.get("text", "")),
                chat=str(body.get("chat", "group")),
                chat_id=_opt_int(body.get("chat_id")),
                role=body.get("role"),
                reply_to=_opt_int(body.get("reply_to")),
                language_code=body.get("language_code", "es"),
            )
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(result)

    async def _control_inject(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        query = body.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self.callback_queries.setdefault(str(query["id"]), False)
        for part in body.values():
            if isinstance(part, dict):
                self._learn(part)
        update = self.push_update(body)
        return web.json_response({"update": update, "delivered": update is not None})

    async def _control_press(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        try:
            result = self.press(
                str(body.get("user", "ana")),
                chat_id=_opt_int(body.get("chat_id")),
                message_id=_opt_int(body.get("message_id")),
                button=body.get("button"),
                data=body.get("data"),
            )
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(result)

    async def _control_open(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        try:
            result = self.open(str(body.get("user", "ana")), str(body.get("url", "")))
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(result)

    async def _control_sent(self, request: web.Request) -> web.StreamResponse:
        chat = request.query.get("chat_id")
        sent = [e for e in self.sent if chat is None or str(e.get("chat_id")) == chat]
        return web.json_response(sent)

    async def _control_calls(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.calls)

    async def _control_commands(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            [
                {"scope": scope, "language_code": language, "commands": commands}
                for (scope, language), commands in self.commands.items()
            ]
        )

    async def _control_get_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.faults.as_dict())

    async def _control_faults(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        rate = body.get("rate_limit")
        if rate is True:
            self.faults.rate_limit_count = 1
        elif isinstance(rate, dict):
            self.faults.rate_limit_count = int(rate.get("count", 1))
            self.faults.rate_limit_retry_after = int(rate.get("retry_after", 1))
        elif rate is False:
            self.faults.rate_limit_count = 0
        if "drop_polls" in body:
            self.faults.drop_polls = int(body["drop_polls"])
        if "server_errors" in body:
            self.faults.server_errors = int(body["server_errors"])
        return web.json_response(self.faults.as_dict())

    async def _control_privacy(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        self.privacy_mode = bool(body.get("enabled", True))
        return web.json_response({"privacy_mode": self.privacy_mode})

    async def _control_block(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        user = self.user(str(body.get("user", "ana")))
        if body.get("blocked", True):
            self.blocked.add(user["id"])
        else:
            self.blocked.discard(user["id"])
        return web.json_response({"user": user, "blocked": user["id"] in self.blocked})

    async def _control_members(self, request: web.Request) -> web.StreamResponse:
        body = await _control_body(request)
        try:
            user = self.user(str(body.get("user", "ana")))
            chat = self.group(_opt_int(body.get("chat_id")))
            self.set_status(chat["id"], user["id"], str(body.get("status", "member")))
        except ValueError as error:
            return web.json_response({"error": str(error)}, status=400)
        return web.json_response(self._member(chat["id"], user["id"]))

    async def _control_webhook(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"webhook": self.webhook, "deliveries": self.webhook_deliveries})


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


async def _control_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError as error:
        raise web.HTTPBadRequest(text="the control API takes JSON") from error
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the control API takes a JSON object")
    return body
