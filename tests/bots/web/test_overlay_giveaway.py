"""The overlay's giveaway card state and the public draw page, without a browser (the
browser test draws the card)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bots.chat.i18n import Messages
from bots.runtime.events import GiveawayChanged
from bots.runtime.giveaways import drawn_events
from bots.web import giveaways as giveaway_pages
from bots.web.overlay import Overlay
from commerce import giveaways
from commerce.views import ViewerRef


async def test_the_card_follows_the_giveaway(store: Any) -> None:
    overlay = Overlay(store, Messages(), locale="es")
    now = datetime.now(UTC)
    started = store.giveaway_start(
        "TAZA", None, timedelta(minutes=5), platform="twitch", channel_id="c"
    )
    await overlay.on_event(GiveawayChanged(started, "started"))
    card = overlay.state("http://x")["giveaway"]
    assert card["product"] == "Taza" and card["status"] == "open"
    assert card["entries_label"] == "0 participantes" and card["hint"] == "!participo"
    assert card["commitment"] == started.commitment
    assert card["commitment_short"] == started.commitment[:12]
    assert card["seed"] is None and card["winner"] is None and card["hide_at"] is None
    assert datetime.fromisoformat(card["ends_at"]) >= now + timedelta(minutes=5)
    one = store.giveaway_enter(ViewerRef("discord", "d1", "beto"), "c2")
    two = store.giveaway_enter(ViewerRef("telegram", "t1", "carla"), "c3")
    await overlay.on_event(GiveawayChanged(two.giveaway, "entry"))
    await overlay.on_event(GiveawayChanged(one.giveaway, "entry"))  # late: fewer entries
    card = overlay.state("http://x")["giveaway"]
    assert card["entries"] == 2 and card["entries_label"] == "2 participantes"
    for event in drawn_events(store.giveaway_draw()):
        await overlay.on_event(event)
    await overlay.on_event(GiveawayChanged(two.giveaway, "entry"))  # an open view, too late
    card = overlay.state("http://x")["giveaway"]
    assert card["status"] == "drawn" and card["result_label"] == "¡Ganó!"
    assert card["winner"] in ("beto", "carla")
    assert card["platform"] == {"beto": "discord", "carla": "telegram"}[card["winner"]]
    seed = bytes.fromhex(card["seed"])
    assert hashlib.sha256(seed).hexdigest() == started.commitment
    assert card["hide_at"] is not None


async def test_a_fresh_overlay_reads_the_running_giveaway(store: Any) -> None:
    store.giveaway_start("TAZA", None, timedelta(minutes=5), platform="twitch", channel_id="c")
    overlay = Overlay(store, Messages(), locale="en", prefix="?")
    await overlay._read_giveaway()
    assert overlay.state("http://x")["giveaway"]["hint"] == "?enter"


async def test_the_public_page_of_a_draw(store: Any) -> None:
    app = web.Application()
    giveaway_pages.setup(app, store)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/giveaways/1")).status == 404
        assert (await client.get("/giveaways/x")).status == 404
        shown = store.giveaway_start(
            "TAZA", None, timedelta(minutes=5), platform="twitch", channel_id="c"
        )
        store.giveaway_enter(ViewerRef("twitch", "u1", "ana"), "c")
        store.giveaway_enter(ViewerRef("discord", "d9", "beto"), "c2")
        body = await (await client.get(f"/giveaways/{shown.id}")).json()
        assert body["seed"] is None and body["commitment"] == shown.commitment
        assert body["entries_text"] == "twitch:u1\ndiscord:d9"
        drawn = store.giveaway_draw().changed[0]
        body = await (await client.get(f"/giveaways/{shown.id}")).json()
        assert body["status"] == giveaways.DRAWN and body["commitment_matches"] is True
        assert body["seed"] == drawn.seed_hex
        assert body["winner"]["user_id"] == drawn.winner.user_id
        assert body["entries"][body["recomputed_index"]]["user_id"] == drawn.winner.user_id
        assert set(body["entries"][0]) == {"number", "platform", "user_id", "name"}
        text = await (await client.get(f"/giveaways/{shown.id}/entries.txt")).text()
        assert text == "twitch:u1\ndiscord:d9"
