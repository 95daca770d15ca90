"""The Telegram a bot lives in: users, chats, memberships, messages and pending updates.

`TelegramWorld` holds every piece of the stand-in's state (its constructor is the stand-in's)
and what people do in it: typing (`say`), tapping inline buttons (`press`), opening t.me links
(`open`). Privacy mode is decided here, when a message becomes an update or not. The HTTP
sides (`api`, `control`) build on it.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp

from sandbox.telegram.errors import _bad
from sandbox.telegram.faults import Faults
from sandbox.telegram.limits import Limits, Window
from sandbox.telegram.payloads import DEFAULT_UPDATE_TYPES, _entities, chat_member

DEFAULT_TOKEN = "7000000001:AAH-sandbox-telegram-token"
DEFAULT_GROUP_ID = -1001234567890
_START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class TelegramWorld:
    """The state behind the stand-in, and the people acting in it."""

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

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        user = self.bot_user if user_id == self.bot_id else self.users.get(user_id)
        if user is None:
            raise _bad("PARTICIPANT_ID_INVALID")
        status = self.members.get((chat_id, user_id), "left")
        if user_id == self.bot_id:
            status = "member"
        return chat_member(user, status)
