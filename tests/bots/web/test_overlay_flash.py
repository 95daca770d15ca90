"""The overlay's flash-sale state: from the events, from the store for an overlay started
mid-sale (another process started the sale), and gone once the sale is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bots.chat.i18n import Messages
from bots.runtime.events import FlashSaleEnded, FlashSaleStarted, SpotlightChanged
from bots.web.overlay import Overlay


async def test_the_card_and_the_spotlight_show_both_prices_and_the_time_left(store: Any) -> None:
    overlay = Overlay(store, Messages(), locale="es")
    sale = store.start_flash_sale("TAZA", percent=20, duration=timedelta(minutes=5))
    await overlay.on_event(SpotlightChanged(store.get_product("TAZA")))
    await overlay.on_event(FlashSaleStarted(sale))
    state = overlay.state("http://x")
    flash = state["flash"]
    assert flash["price"] == "$ 6.800,00" and flash["old_price"] == "$ 8.500,00"
    assert 0 < flash["remaining_ms"] <= 300_000
    assert flash["tag_label"] == "¡Oferta relámpago!"
    assert state["spotlight"]["flash"] == flash
    await overlay.on_event(SpotlightChanged(store.get_product("REM")))
    assert overlay.state("http://x")["spotlight"]["flash"] is None  # another product
    ended = store.end_flash_sale()
    await overlay.on_event(FlashSaleEnded(ended))
    assert overlay.state("http://x")["flash"] is None


async def test_an_overlay_started_mid_sale_reads_it_from_the_store(store: Any) -> None:
    store.start_flash_sale("TAZA", percent=10, duration=timedelta(minutes=5))
    fresh = Overlay(store, Messages(), locale="en")  # as in another process: no event seen
    await fresh._read_flash()
    assert fresh.state("http://x")["flash"]["name"] == "Taza"


async def test_a_sale_that_ran_out_is_not_shown(store: Any) -> None:
    overlay = Overlay(store, Messages(), locale="es")
    past = datetime.now(UTC) - timedelta(minutes=10)
    sale = store.start_flash_sale("TAZA", percent=10, duration=timedelta(minutes=5), now=past)
    await overlay.on_event(FlashSaleStarted(sale))
    assert overlay.state("http://x")["flash"] is None
