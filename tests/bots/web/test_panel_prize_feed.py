"""The panel's live feed shows a giveaway's prize (GiveawayWon) as won, at no price."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from panel_helpers import Browser, Served, serve_panel
from test_panel_live import events

from bots.runtime.events import GiveawayWon
from bots.runtime.services import Settings
from commerce.views import ViewerRef


@pytest.fixture
async def served(store: Any, settings: Settings) -> AsyncIterator[Served]:
    async with serve_panel(store, settings, low_stock=5) as found:
        yield found


async def test_the_feed_shows_the_prize(owner: Browser, served: Served, store: Any) -> None:
    store.giveaway_start("TAZA", None, timedelta(minutes=5), platform="twitch", channel_id="c")
    store.giveaway_enter(ViewerRef("twitch", "u1", "ana"), "c")
    drawn = store.giveaway_draw()
    async with owner.http.get(f"{served.url}/panel/vivo/eventos") as stream:
        [ready] = await events(stream, 1)
        assert ready["event"] == "ready"
        await served.bus.publish(GiveawayWon(drawn.order, drawn.changed[0]))
        [item] = await events(stream, 1)
    assert item["data"]["kind"] == "prize" and item["data"]["title"] == "ana ganó el sorteo"
    assert item["data"]["detail"] == "Taza" and item["data"]["code"] == drawn.order.code
    page = await owner.get("/panel/vivo/estado")
    assert 'data-stat="revenue">$ 0,00<' in await page.text()  # a prize is no revenue
