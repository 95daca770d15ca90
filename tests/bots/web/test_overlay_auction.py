"""The overlay's auction card state, without a browser (the browser test draws it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bots.chat.i18n import Messages
from bots.runtime.auctions import progress_events
from bots.runtime.events import AuctionChanged
from bots.web.overlay import Overlay
from commerce.auctions import AuctionRules
from commerce.money import Money
from commerce.views import ViewerRef

RULES = AuctionRules(increment=Money(Decimal("250"), "ARS"), extend_seconds=15)


def ars(amount: str) -> Money:
    return Money(Decimal(amount), "ARS")


async def test_the_card_follows_the_auction(store: Any) -> None:
    overlay = Overlay(store, Messages(), locale="es")
    now = datetime.now(UTC)
    started = store.auction_start(
        "TAZA", None, ars("5000"), timedelta(minutes=2), RULES, platform="twitch", channel_id="c"
    )
    await overlay.on_event(AuctionChanged(started, "started"))
    card = overlay.state("http://x")["auction"]
    assert card["product"] == "Taza" and card["amount_label"] == "Base"
    assert card["leader"] is None and card["hint"] == "!oferto 5000"
    assert datetime.fromisoformat(card["ends_at"]) >= now + timedelta(minutes=2)
    assert card["hide_at"] is None
    bid = store.auction_bid(ViewerRef("discord", "d1", "beto"), "c2", ars("6000"))
    await overlay.on_event(AuctionChanged(bid.auction, "bid"))
    older = started  # an older view arriving late changes nothing
    await overlay.on_event(AuctionChanged(older, "bid"))
    card = overlay.state("http://x")["auction"]
    assert card["amount_label"] == "Oferta actual"
    assert card["leader"] == "beto" and card["platform"] == "discord"
    assert card["hint"] == "!oferto 6250"
    for event in progress_events(store.auction_end()):
        await overlay.on_event(event)
    card = overlay.state("http://x")["auction"]
    assert card["status"] == "offered"
    assert card["result_label"] == "Para beto: esperando el pago"
    assert card["hide_at"] is not None


async def test_a_fresh_overlay_reads_the_running_auction(store: Any) -> None:
    store.auction_start(
        "TAZA", None, ars("5000"), timedelta(minutes=2), RULES, platform="twitch", channel_id="c"
    )
    overlay = Overlay(store, Messages(), locale="es", prefix="?")
    await overlay._read_auction()
    assert overlay.state("http://x")["auction"]["hint"] == "?oferto 5000"
