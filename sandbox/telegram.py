"""Telegram's Bot API, played on loopback well enough for python-telegram-bot to run against it.

API (under `/telegram/bot<token>/<method>`, as PTB calls it with `base_url=…/telegram/bot`):
`getMe`, `getUpdates` (long poll, offsets, `allowed_updates`), `setWebhook` / `deleteWebhook` /
`getWebhookInfo` (updates then go out as POSTs carrying `X-Telegram-Bot-Api-Secret-Token`),
`sendMessage`, `editMessageText`, `answerCallbackQuery`, `getChatMember`,
`getChatAdministrators`, `setMyCommands` / `getMyCommands`. Parameters come form-encoded (objects
as JSON text), as JSON, or in the query string; answers are `{"ok": true, "result": …}` or
Telegram's error shape, 429 with `retry_after` when the documented send limits are exceeded.

Users, chats and updates are built from the Bot API documentation's object definitions.
Privacy mode is on by default, as for a new BotFather bot: in groups the bot then only hears
`/commands`, replies to it and mentions of it.

The control API (under `/_sandbox/telegram`): `say`, `inject`, `press`, `open`, `sent`,
`calls`, `commands`, `faults`, `privacy`, `block`, `members`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
from aiohttp import web

PREFIX = "/telegram"
CONTROL = "/_sandbox/telegram"
DEFAULT_TOKEN = "7000000001:AAH-sandbox-telegram-token"
DEFAULT_GROUP_ID = -1001234567890
MAX_TEXT = 4096
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The update types delivered when allowed_updates is empty or was never given.
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}")
_BOT_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class ApiError(Exception):
    """A Bot API refusal, rendered in Telegram's error shape."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, as the Bot API documents."""
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[dict[str, Any]]:
    """The `bot_command` and `mention` entities Telegram's clients attach to typed text."""
    found: list[dict[str, Any]] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            offset = _utf16_len(text[: match.start()])
            found.append({"offset": offset, "length": _utf16_len(match.group()), "type": kind})
    found.sort(key=lambda e: e["offset"])
    return found


@dataclass
class Window:
    """At most `count` sends in any `seconds`-long interval (the documented send limits)."""

    count: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        while self.stamps and now - self.stamps[0] >= self.seconds:
            self.stamps.popleft()
        if len(self.stamps) < self.count:
            return 0.0
        return self.seconds - (now - self.stamps[0])


@dataclass
class Faults:
    rate_limit_count: int = 0  # the next N sends get a 429 regardless of pace
    rate_limit_retry_after: int = 1
    drop_polls: int = 0  # the next N getUpdates lose their connection after picking updates
    server_errors: int = 0  # the next N API calls answer 502 Bad Gateway

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate_limit": {
                "count": self.rate_limit_count,
                "retry_after": self.rate_limit_retry_after,
            },
            "drop_polls": self.drop_polls,
            "server_errors": self.server_errors,
        }


@dataclass
class Limits:
    per_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)


class TelegramStandIn:
    name = "telegram"

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "vivo_sandbox_bot",
        bot_first_name: str = "Vivo",
        group_id: int = DEFAULT_GROUP_ID,
        group_title: str = "Vivo en vivo",
        privacy_mode: bool = True,
        limits: Limits | None = None,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.group_id = group_id
        self.privacy_mode = privacy_mode
        self.limits = limits or Limits()
        self.webhook_attempts = max(1, webhook_attempts)
        self.webhook_retry_delay = webhook_retry_delay
        self.faults = Faults()
        self.users: dict[int, dict[str, Any]] = {}
        self._user_by_name: dict[str, int] = {}
        self._user_ids = itertools.count(100000001)
        self.chats: dict[int, dict[str, Any]] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.started: set[int] = set()
        self.blocked: set[int] = set()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(500000001)
        self._new_update = asyncio.Event()
        self._poll_generation = 0
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.webhook: dict[str, Any] | None = None
        self._webhook_queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.webhook_deliveries: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.callback_queries: dict[str, bool] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._windows: dict[tuple[str, int], Window] = {}
        self._blocked_until: dict[int, float] = {}
        self._chat_instances: dict[int, str] = {}
        self._add_chat(
            {"id": group_id, "type": "supergroup" if group_id < -(10**12) else "group"}
            | {"title": group_title}
        )

    # -- the world: users, chats, messages ---------------------------------------------

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def user(self, name: str, *, language_code: str | None = "es") -> dict[str, Any]:
        """The user called `name`, created on first use with a stable id."""
        if name not in self._user_by_name:
            user_id = next(self._user_ids)
            user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": name}
            user["username"] = re.sub(r"\W", "", name.lower()) or f"user{user_id}"
            if language_code:
                user["language_code"] = language_code
            self.users[user_id] = user
            self._user_by_name[name] = user_id
            self._add_chat(
                {"id": user_id, "type": "private", "first_name": name, "username": user["username"]}
            )
        return self.users[self._user_by_name[name]]

    def _add_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        self.chats.setdefault(chat["id"], chat)
        self._message_ids.setdefault(chat["id"], itertools.count(1))
        return self.chats[chat["id"]]

    def group(self, chat_id: int | None = None, title: str | None = None) -> dict[str, Any]:
        chat_id = self.group_id if chat_id is None else chat_id
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if chat_id < -(10**12) else "group"
        return self._add_chat({"id": chat_id, "type": kind, "title": title or f"Grupo {-chat_id}"})

    def set_status(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in ("creator", "administrator", "member", "restricted", "left", "kicked"):
            raise ValueError(f"unknown chat member status {status!r}")
        if status == "creator":
            for (chat, user), old in list(self.members.items()):
                if chat == chat_id and old == "creator" and user != user_id:
                    self.members[(chat, user)] = "member"
        self.members[(chat_id, user_id)] = status

    def _message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any] | None,
        text: str,
        *,
        reply_to: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[chat["id"]]),
            "date": int(time.time()),
            "chat": dict(chat),
        }
        if sender is not None:
            message["from"] = dict(sender)
        message["text"] = text
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            original = self.messages.get((chat["id"], reply_to))
            if original is not None:
                message["reply_to_message"] = {
                    k: v for k, v in original.items() if k != "reply_to_message"
                }
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _bot_hears(self, message: dict[str, Any]) -> bool:
        """Privacy mode: what a group delivers to a bot that may not read everything."""
        if message["chat"]["type"] == "private" or not self.privacy_mode:
            return True
        text = message.get("text", "")
        me = f"@{self.bot_username}".lower()
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                word = text[: entity["length"]]
                _, _, target = word.partition("@")
                return not target or target.lower() == self.bot_username.lower()
        if me in text.lower():
            return True
        replied = message.get("reply_to_message")
        return bool(replied and replied.get("from", {}).get("id") == self.bot_id)

    # -- updates -------------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update (assigning `update_id` if it has none); None if filtered out.

        As documented, `allowed_updates` decides at creation time: updates of other types
        are never stored.
        """
        kinds = [key for key in update if key != "update_id"]
        if not kinds or kinds[0] not in self.allowed_updates:
            return None
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        else:
            following = max(int(update["update_id"]) + 1, next(self._update_ids))
            self._update_ids = itertools.count(following)
        if self.webhook is not None:
            self._webhook_queue.put_nowait(update)
        else:
            self.updates.append(update)
            self._new_update.set()
        return update

    def say(
        self,
        name: str,
        text: str,
        *,
        chat: str = "group",
        chat_id: int | None = None,
        role: str | None = None,
        reply_to: int | None = None,
        language_code: str | None = "es",
    ) -> dict[str, Any]:
        """`name` types `text` in the group (or privately); returns what happened."""
        user = self.user(name, language_code=language_code)
        if chat == "private":
            where = self.chats[user["id"]]
            self.started.add(user["id"])
            self.blocked.discard(user["id"])
        else:
            where = self.group(chat_id)
            current = self.members.get((where["id"], user["id"]))
            if role is not None:
                self.set_status(where["id"], user["id"], role)
            elif current in (None, "left", "kicked"):
                self.set_status(where["id"], user["id"], "member")
        message = self._message(where, user, text, reply_to=reply_to, entities=_entities(text))
        update = self.push_update({"message": message}) if self._bot_hears(message) else None
        return {"message": message, "update": update, "delivered": update is not None}

    def press(
        self,
        name: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
        button: str | None = None,
        data: str | None = None,
    ) -> dict[str, Any]:
        """`name` taps an inline button under one of the bot's messages."""
        user = self.user(name)
        message = self._find_keyboard_message(chat_id, message_id)
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row]
        chosen = next(
            (
                b
                for b in buttons
                if (button is not None and b.get("text") == button)
                or (data is not None and b.get("callback_data") == data)
            ),
            None,
        )
        if chosen is None:
            raise ValueError(f"no button {button or data!r} under message {message['message_id']}")
        if "url" in chosen:
            return self.open(name, chosen["url"])
        chat_id = message["chat"]["id"]
        instance = self._chat_instances.setdefault(chat_id, str(secrets.randbits(62)))
        query_id = str(secrets.randbits(63))
        self.callback_queries[query_id] = False
        query = {
            "id": query_id,
            "from": dict(user),
            "message": message,
            "chat_instance": instance,
            "data": chosen["callback_data"],
        }
        update = self.push_update({"callback_query": query})
        return {"callback_query": query, "update": update, "delivered": update is not None}

    def _find_keyboard_message(self, chat_id: int | None, message_id: int | None) -> dict[str, Any]:
        for entry in reversed(self.sent):
            message = entry.get("message")
            if message is None or "reply_markup" not in message:
                continue
            if chat_id is not None and message["chat"]["id"] != chat_id:
                continue
            if message_id is not None and message["message_id"] != message_id:
                continue
            stored: dict[str, Any] = self.messages.get(
                (message["chat"]["id"], message["message_id"]), message
            )
            return stored
        raise ValueError("the bot sent no message with inline buttons there")

    def open(self, name: str, url: str) -> dict[str, Any]:
        """`name` opens a t.me link to the bot: the client shows the chat and sends /start."""
        parsed = urlparse(url)
        if parsed.netloc not in ("t.me", "telegram.me"):
            raise ValueError(f"{url} is not a t.me link")
        if parsed.path.strip("/").lower() != self.bot_username.lower():
            raise ValueError(f"{url} does not lead to @{self.bot_username}")
        start = parse_qs(parsed.query).get("start", [""])[0]
        if start and not _START_PARAMETER.match(start):
            raise ValueError(f"{start!r} is not a valid start parameter")
        return self.say(name, f"/start {start}" if start else "/start", chat="private")

    # -- API plumbing --------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        app.router.add_route("*", f"{PREFIX}/bot{{token}}/{{method}}", self._api)
        app.router.add_route("*", f"{PREFIX}/file/bot{{token}}/{{path:.*}}", self._file)
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

    mount = setup

    async def close(self) -> None:
        self._poll_generation += 1
        self._new_update.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

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

    # -- getMe, updates and webhooks -----------------------------------------------------

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
                await asyncio.wait_for(self._new_update.wait(), remaining)
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

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = _str(params, "url")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = _str(params, "secret_token")
        if secret is not None and not _SECRET_TOKEN.match(secret):
            raise _bad("secret token contains unallowed characters")
        if "allowed_updates" in params:
            kinds = _json_param(params, "allowed_updates")
            if isinstance(kinds, list):
                self.allowed_updates = frozenset(kinds) or DEFAULT_UPDATE_TYPES
        if _bool(params, "drop_pending_updates"):
            self.updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": _int(params, "max_connections") or 40,
        }
        for update in self.updates:
            self._webhook_queue.put_nowait(update)
        self.updates.clear()
        if self._webhook_task is None:
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_forever())
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if self.webhook is not None:
            self.webhook = None
            while not self._webhook_queue.empty():
                self.updates.append(self._webhook_queue.get_nowait())
        if _bool(params, "drop_pending_updates"):
            self.updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates) + self._webhook_queue.qsize(),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            info["allowed_updates"] = sorted(self.allowed_updates)
        return info

    async def _deliver_forever(self) -> None:
        """POST each update to the webhook, in order, retrying as Telegram does on failure."""
        while True:
            update = await self._webhook_queue.get()
            hook = self.webhook
            if hook is None:
                self.updates.append(update)
                continue
            headers = {"Content-Type": "application/json"}
            if hook["secret_token"]:
                headers[SECRET_HEADER] = hook["secret_token"]
            for attempt in range(1, self.webhook_attempts + 1):
                status = await self._post(hook["url"], update, headers)
                self.webhook_deliveries.append(
                    {"update_id": update["update_id"], "attempt": attempt, "status": status}
                )
                if status is not None and 200 <= status < 300:
                    break
                await asyncio.sleep(self.webhook_retry_delay * attempt)

    async def _post(self, url: str, update: dict[str, Any], headers: dict[str, str]) -> int | None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(url, data=json.dumps(update), headers=headers) as resp:
                await resp.read()
                return resp.status
        except aiohttp.ClientError:
            return None

    # -- sending -------------------------------------------------------------------------

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
        text = _str(params, "text") or ""
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("message is too long")
        markup = _markup(params)
        entities = _json_param(params, "entities")
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
        text = _str(params, "text") or ""
        if not text.strip():
            raise _bad("message text is empty")
        if len(text) > MAX_TEXT:
            raise _bad("MESSAGE_TOO_LONG")
        markup = _markup(params)
        entities = _json_param(params, "entities")
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

    # -- members and commands ------------------------------------------------------------

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        user = self.bot_user if user_id == self.bot_id else self.users.get(user_id)
        if user is None:
            raise _bad("PARTICIPANT_ID_INVALID")
        status = self.members.get((chat_id, user_id), "left")
        if user_id == self.bot_id:
            status = "member"
        member: dict[str, Any] = {"status": status, "user": dict(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
                can_manage_topics=False,
            )
        return member

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

    # -- control API ---------------------------------------------------------------------

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

    def _learn(self, obj: dict[str, Any]) -> None:
        """Remember the users and chats an injected update mentions, so replies can reach them."""
        for key in ("from", "sender_chat"):
            sender = obj.get(key)
            if isinstance(sender, dict) and "id" in sender and key == "from":
                self.users.setdefault(sender["id"], sender)
        chat = obj.get("chat")
        if isinstance(chat, dict) and "id" in chat and "type" in chat:
            self._add_chat(chat)
            if chat["type"] == "private":
                self.started.add(chat["id"])
            sender = obj.get("from")
            if isinstance(sender, dict) and chat["type"] != "private":
                self.members.setdefault((chat["id"], sender["id"]), "member")
            if "message_id" in obj:
                self.messages.setdefault((chat["id"], obj["message_id"]), obj)
        message = obj.get("message")
        if isinstance(message, dict):
            self._learn(message)

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


# -- parameters --------------------------------------------------------------------------


async def _params(request: web.Request) -> dict[str, Any]:
    """Bot API parameters from the query string, a form or a JSON body, as Telegram accepts."""
    params: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise _bad("can't parse JSON object") from error
            if isinstance(body, dict):
                params.update(body)
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _str(params: dict[str, Any], key: str) -> str | None:
    value = params.get(key)
    return None if value is None else str(value)


def _int(params: dict[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise _bad(f"invalid {key} specified") from error


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _bool(params: dict[str, Any], key: str) -> bool:
    value = params.get(key)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1")


def _json_param(params: dict[str, Any], key: str) -> Any:
    """A parameter of an object type: JSON text in forms, already decoded in JSON bodies."""
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise _bad(f"can't parse {key} JSON object") from error
    return value


def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = _json_param(params, "reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad("can't parse inline keyboard button: Text buttons are unallowed")
            kinds = [k for k in ("callback_data", "url") if k in button]
            if len(kinds) != 1:
                raise _bad("can't parse inline keyboard button: a button must have one action")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)


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
