"""A whole bot on Twitch and Telegram at once, both through their official SDKs against the
stand-ins: the stage the live-selling tests (auctions, claim words, giveaways) play on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from adapters.base import Adapter
from adapters.telegram import TelegramAdapter
from bots.config import Config
from bots.testing import Stage, open_stage
from commerce.store import Store
from sandbox.app import Sandbox
from tests.adapters.twitch_support import Rig


@dataclass
class TwoChats(Stage):
    rig: Rig

    async def twitch(self, user: str, text: str) -> None:
        """`user` says `text` in the Twitch channel."""
        await self.rig.control("POST", "say", {"user": user, "text": text})

    def twitch_said(self, *words: str) -> list[str]:
        return [
            m["message"]
            for m in self.rig.twitch.sent
            if m["is_sent"] and all(w.lower() in m["message"].lower() for w in words)
        ]

    def telegram_said(self, chat_id: int, *words: str) -> list[str]:
        return [
            e["text"]
            for e in self.sandbox.telegram.sent
            if e["method"] == "sendMessage"
            and e["chat_id"] == chat_id
            and all(w.lower() in e["text"].lower() for w in words)
        ]


@asynccontextmanager
async def two_chats(
    tmp_path: Path, *, questions: bool = False, **stage_options: Any
) -> AsyncIterator[TwoChats]:
    """The bot on both platforms. Without `questions` a payment link follows a purchase at
    once (the delivery questions have their own tests)."""
    async with aiohttp.ClientSession() as http:

        async def both(config: Config, store: Store, sandbox: Sandbox) -> list[Adapter]:
            twitch = await Rig(sandbox.twitch, sandbox.url, http).adapter()
            telegram = TelegramAdapter(
                sandbox.telegram.token, endpoint=f"{sandbox.url}/telegram", poll_timeout=1.0
            )
            return [twitch, telegram]

        async with open_stage(tmp_path, both, **stage_options) as whole:
            if not questions:
                whole.bot.services.conversations = None
            rig = Rig(whole.sandbox.twitch, whole.sandbox.url, http)
            yield TwoChats(**vars(whole), rig=rig)
