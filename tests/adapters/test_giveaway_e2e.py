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
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bots.testing import until
from commerce import giveaways
from commerce.views import OrderStatus
from tests.adapters.two_chats import TwoChats, two_chats


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TwoChats]:
    async with two_chats(tmp_path, questions=True) as whole:  # the prize asks for details
        yield whole


async def test_a_giveaway_across_twitch_and_telegram(stage: TwoChats) -> None:
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

    await stage.twitch("ana", "!participo")
    await until(lambda: stage.twitch_said("@ana", "participando"))
    await stage.twitch("ana", "!participo")  # at once: the router's cooldown says wait
    await until(lambda: stage.twitch_said("@ana", "espera"))
    await asyncio.sleep(stage.config.settings.cooldown_seconds + 0.2)
    await stage.twitch("ana", "!participo")  # later: told kindly she is already in
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

    await stage.twitch("carla", "!participo")
    await until(lambda: stage.twitch_said("@carla", "ya cerró"))
    assert await stage.rig.violations() == []
