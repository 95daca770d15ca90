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

The pieces live in sibling modules; this one puts them together and mounts them.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from sandbox.telegram.api import BotApi
from sandbox.telegram.control import ControlApi


class TelegramStandIn(ControlApi, BotApi):
    name = "telegram"

    def setup(self, app: web.Application) -> None:
        self._mount_api(app)
        self._mount_control(app)

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
