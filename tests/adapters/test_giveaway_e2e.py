"""One giveaway across two platforms, end to end: real twitchio and real PTB against the
stand-ins, the router, the store, the giveaway clock duty and the public draw page.

The owner opens it from the Telegram group; both chats hear the seed's commitment; a Twitch
viewer and a Telegram viewer enter (the Twitch one twice: told kindly, counted once);
`/sorteo fin` draws; both chats hear the winner and the revealed seed, the winner is
mentioned (and, on Telegram, told privately with their prize order's code); the order is
paid at no price with no payment; the public page lets anyone recompute the draw.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.base import Adapter
from adapters.telegram import TelegramAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce import giveaways
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox
from tests.adapters.twitch_support import Rig


@dataclass
class GiveawayStage(Stage):
    rig: Rig

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


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[GiveawayStage]:
    async with aiohttp.ClientSession() as http:

        async def both(config: Config, store: Store, sandbox: Sandbox) -> list[Adapter]:
            twitch = await Rig(sandbox.twitch, sandbox.url, http).adapter()
            telegram = TelegramAdapter(
                sandbox.telegram.token, endpoint=f"{sandbox.url}/telegram", poll_timeout=1.0
            )
            return [twitch, telegram]

        async with open_stage(tmp_path, both) as whole:
            rig = Rig(whole.sandbox.twitch, whole.sandbox.url, http)
            yield GiveawayStage(**vars(whole), rig=rig)


async def _twitch(stage: GiveawayStage, user: str, text: str) -> None:
    await stage.rig.control("POST", "say", {"user": user, "text": text})


async def test_a_giveaway_across_twitch_and_telegram(stage: GiveawayStage) -> None:
    telegram: Any = stage.sandbox.telegram
    group = telegram.group_id
    before = stage.store.get_product("TAZA-01").available
    telegram.say("beto", "/start", chat="private")  # beto has opened the bot before
    beto = telegram.user("beto")

    telegram.say("lu", "/sorteo taza 5m", role="creator")
    [started] = await until(lambda: stage.telegram_said(group, "Sorteo", "Taza del stream"))
    shown = stage.store.current_giveaway()
    assert shown is not None and shown.commitment in started
    assert stage.store.get_product("TAZA-01").available == before - 1
    # Twitch's one channel hears it too, before anyone there typed a command.
    [on_twitch] = await until(lambda: stage.twitch_said("Sorteo", shown.commitment))
    assert "!participo" in on_twitch

    await _twitch(stage, "ana", "!participo")
    await until(lambda: stage.twitch_said("@ana", "participando"))
    await _twitch(stage, "ana", "!participo")  # at once: the router's cooldown says wait
    await until(lambda: stage.twitch_said("@ana", "espera"))
    await asyncio.sleep(stage.config.settings.cooldown_seconds + 0.2)
    await _twitch(stage, "ana", "!participo")  # later: told kindly she is already in
    await until(lambda: stage.twitch_said("@ana", "ya estás participando"))
    telegram.say("beto", "/participo")
    await until(lambda: stage.telegram_said(group, "participando", "Taza"))
    await until(lambda: (g := stage.store.current_giveaway()) is not None and g.entries == 2)

    telegram.say("lu", "/sorteo fin", role="creator")
    drawn = await until(
        lambda: (
            (g := stage.store.current_giveaway()) is not None and g.status == giveaways.DRAWN and g
        )
    )
    assert drawn and drawn.winner is not None and drawn.seed_hex is not None
    seed, winner = drawn.seed_hex, drawn.winner
    assert hashlib.sha256(bytes.fromhex(seed)).hexdigest() == shown.commitment
    await until(lambda: stage.twitch_said(winner.name, "gana", seed))
    await until(lambda: stage.telegram_said(group, winner.name, "gana", seed))
    [order] = stage.store.viewer_orders(winner.platform, winner.user_id)
    assert order.status is OrderStatus.PAID and order.total.amount == 0
    assert stage.store.payments_for(order.code) == []
    if winner.platform == "telegram":
        [private] = await until(lambda: stage.telegram_said(beto["id"], "ganaste", order.code))
        assert "/entrega" in private or "!entrega" in private
    else:
        assert stage.twitch_said(f"@{winner.name}", "gana")  # mentioned in chat
    assert stage.store.get_product("TAZA-01").available == before - 1  # one unit, given

    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stage.web_url}/giveaways/{drawn.id}") as response,
    ):
        body = await response.json()
    assert body["seed"] == seed and body["commitment_matches"] is True
    entries = [(e["platform"], e["user_id"]) for e in body["entries"]]
    assert entries == [("twitch", entries[0][1]), ("telegram", str(beto["id"]))]
    assert entries[giveaways.winner_index(bytes.fromhex(seed), entries)][1] == winner.user_id

    await _twitch(stage, "carla", "!participo")
    await until(lambda: stage.twitch_said("@carla", "ya cerró"))
    assert await stage.rig.violations() == []
