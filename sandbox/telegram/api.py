"""The Bot API under `/telegram/bot<token>/<method>`, as python-telegram-bot calls it.

Dispatch (token check, injected 502s, the `{"ok": true, "result": …}` envelope), `getMe`,
`getUpdates` long polling, sending and editing messages within the send limits, callback
answers, chat members and bot commands. Webhook methods come from `webhook`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.telegram.errors import ApiError, _bad, _too_many
from sandbox.telegram.formatting import formatted
from sandbox.telegram.limits import Window
from sandbox.telegram.params import _bool, _int, _json_param, _markup, _params, _str
from sandbox.telegram.payloads import DEFAULT_UPDATE_TYPES
from sandbox.telegram.webhook import WebhookMethods

PREFIX = "/telegram"
MAX_TEXT = 4096
_BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class BotApi(WebhookMethods):
    """The Bot API's HTTP endpoints, answering from and changing the world."""

    def _mount_api(self, app: web.Application) -> None:
        app.router.add_route("*", f"{PREFIX}/bot{{token}}/{{method}}", self._api)
        app.router.add_route("*", f"{PREFIX}/file/bot{{token}}/{{path:.*}}", self._file)

    def _methods(self) -> dict[str, Handler]:
        return {
            "getme": self._get_me,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._answer_callback_query,
            "getchatmember": self._get_chat_member,
            "getchatadministrators": self._get_chat_administrators,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
        }

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        call: dict[str, Any] = {"method": method, "at": time.time()}
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods().get(method.lower())
            if handler is None and method.lower() != "getupdates":
                raise ApiError(404, "Not Found")
            if self.faults.server_errors > 0:
                self.faults.server_errors -= 1
                raise ApiError(502, "Bad Gateway")
            params = await _params(request)
            call["params"] = params
            if method.lower() == "getupdates":
                return await self._poll(request, params, call)
            assert handler is not None
            result = await handler(params)
        except ApiError as error:
            call["status"] = error.code
            call["description"] = error.description
            return web.json_response(error.body(), status=error.code)
        call["status"] = 200
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _poll(
        self, request: web.Request, params: dict[str, Any], call: dict[str, Any]
    ) -> web.StreamResponse:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params, "offset")
        limit = _int(params, "limit") or 100
        if not 1 <= limit <= 100:
            limit = 100
        timeout = max(0, _int(params, "timeout") or 0)
        if "allowed_updates" in params:
            kinds = _json_param(params, "allowed_updates")
            if not isinstance(kinds, list):
                raise _bad("can't parse allowed updates")
            self.allowed_updates = frozenset(kinds) or DEFAULT_UPDATE_TYPES
        if offset is not None:
            self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._new_update.set()  # wakes an older poll, which then answers 409
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.updates:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._new_update.wait()
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
        batch = self.updates[:limit]
        if batch and self.faults.drop_polls > 0:
            self.faults.drop_polls -= 1
            call["status"] = "dropped"
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPBadGateway()
        call["status"] = 200
        return web.json_response({"ok": True, "result": batch})

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    def _chat(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("chat_id")
        try:
            chat_id = int(raw) if raw is not None else None
        except (TypeError, ValueError):
            chat_id = None
        if chat_id is None:
            raise _bad("chat_id is empty" if raw in (None, "") else "chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _check_can_send(self, chat: dict[str, Any]) -> None:
        if chat["type"] == "private":
            if chat["id"] in self.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat["id"] not in self.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _check_rate(self, chat: dict[str, Any]) -> None:
        now = time.monotonic()
        blocked = self._blocked_until.get(chat["id"], 0.0)
        if now < blocked:
            raise _too_many(blocked - now)
        if self.faults.rate_limit_count > 0:
            self.faults.rate_limit_count -= 1
            wait = float(self.faults.rate_limit_retry_after)
            self._blocked_until[chat["id"]] = now + wait
            raise _too_many(wait)
        windows = [self._window(("chat", chat["id"]), self.limits.per_chat)]
        windows.append(self._window(("all", 0), self.limits.overall))
        if chat["type"] != "private":
            windows.append(self._window(("group", chat["id"]), self.limits.per_group))
        wait = max(w.wait(now) for w in windows)
        if wait > 0:
            self._blocked_until[chat["id"]] = now + math.ceil(wait)
            raise _too_many(wait)
        for w in windows:
            w.stamps.append(now)

    def _window(self, key: tuple[str, int], limit: tuple[int, float]) -> Window:
        if key not in self._windows:
            self._windows[key] = Window(*limit)
        return self._windows[key]

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text, entities = formatted(
            _str(params, "text") or "", _str(params, "parse_mode"), _json_param(params, "entities")
        )
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("message is too long")
        markup = _markup(params)
        reply_to: int | None = None
        reply = _json_param(params, "reply_parameters")
        if isinstance(reply, dict):
            reply_to = int(reply.get("message_id", 0))
            if (chat["id"], reply_to) not in self.messages:
                if not reply.get("allow_sending_without_reply"):
                    raise _bad("message to be replied not found")
                reply_to = None
        self._check_can_send(chat)
        self._check_rate(chat)
        message = self._message(chat, self.bot_user, text, reply_to=reply_to, entities=entities)
        if markup is not None:
            message["reply_markup"] = markup
        self._record("sendMessage", message, params)
        return message

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            raise _bad("message to edit not found")
        chat = self._chat(params)
        message_id = _int(params, "message_id")
        message = self.messages.get((chat["id"], message_id or 0))
        if message is None:
            raise _bad("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        text, entities = formatted(
            _str(params, "text") or "", _str(params, "parse_mode"), _json_param(params, "entities")
        )
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("MESSAGE_TOO_LONG")
        markup = _markup(params)
        if (
            text == message.get("text")
            and markup == message.get("reply_markup")
            and (entities or None) == message.get("entities")
        ):
            raise _bad(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        message["text"] = text
        message["edit_date"] = int(time.time())
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        self._record("editMessageText", message, params)
        return message

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = _str(params, "callback_query_id") or ""
        if self.callback_queries.get(query_id, True):
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self.callback_queries[query_id] = True
        entry: dict[str, Any] = {"method": "answerCallbackQuery", "callback_query_id": query_id}
        for key in ("text", "url"):
            if params.get(key):
                entry[key] = params[key]
        entry["show_alert"] = _bool(params, "show_alert")
        self.sent.append(entry)
        return True

    def _record(self, method: str, message: dict[str, Any], params: dict[str, Any]) -> None:
        entry = {
            "method": method,
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "text": message["text"],
            "message": json.loads(json.dumps(message)),
        }
        if "reply_markup" in message:
            entry["reply_markup"] = message["reply_markup"]
        if "entities" in message:
            entry["entities"] = message["entities"]
        self.sent.append(entry)

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        user_id = _int(params, "user_id")
        if user_id is None:
            raise _bad("user_id is empty")
        if chat["type"] == "private":
            if user_id != chat["id"] and user_id != self.bot_id:
                raise _bad("user not found")
            return {"status": "member", "user": dict(self._member(chat["id"], user_id)["user"])}
        return self._member(chat["id"], user_id)

    async def _get_chat_administrators(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._chat(params)
        if chat["type"] == "private":
            raise _bad("there are no administrators in the private chat")
        return [
            self._member(chat["id"], user_id)
            for (chat_id, user_id), status in self.members.items()
            if chat_id == chat["id"] and status in ("creator", "administrator")
        ]

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = _json_param(params, "commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _BOT_COMMAND_NAME.match(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        scope = _json_param(params, "scope")
        kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
        language = _str(params, "language_code") or ""
        self.commands[(kind, language)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        scope = _json_param(params, "scope")
        kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
        return self.commands.get((kind, _str(params, "language_code") or ""), [])
