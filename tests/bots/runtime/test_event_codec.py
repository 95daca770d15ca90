"""Every event the bot publishes survives the trip through JSON unchanged."""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bots.runtime import events
from bots.runtime.event_codec import decode, encode
from commerce.auctions import AuctionView, BidView
from commerce.flash_sales import FlashSaleView
from commerce.giveaways import EntryView, GiveawayView
from commerce.money import Money
from commerce.views import (
    OrderLineView,
    OrderStatus,
    OrderView,
    ProductView,
    TipSource,
    TipStatus,
    TipView,
    VariantView,
    ViewerRef,
)

NOW = datetime(2026, 5, 1, 20, 30, tzinfo=UTC)
ANA = ViewerRef("twitch", "42", "Ana")
FLASH = FlashSaleView(
    id=3,
    sku="REM",
    product_name="Remera",
    percent=20,
    price=Money(Decimal("12000"), "ARS"),
    old_price=Money(Decimal("15000"), "ARS"),
    varies=True,
    max_per_buyer=1,
    starts_at=datetime(2025, 6, 1, 20, 0, tzinfo=UTC),
    ends_at=datetime(2025, 6, 1, 20, 5, tzinfo=UTC),
)
ORDER = OrderView(
    "K7Q2M9",
    OrderStatus.PAID,
    ANA,
    "twitch",
    "chan",
    (OrderLineView("REM", "Remera", "talle=M", 2, Money(Decimal("15000"), "ARS")),),
    Money(Decimal("30000"), "ARS"),
    NOW,
    NOW,
    payment_url="https://pay.example/p",
    paid_at=NOW,
    locale="pt",
)
TIP = TipView(
    "T1",
    TipStatus.PAID,
    ANA,
    "twitch",
    "chan",
    Money(Decimal("2.50"), "USD"),
    "¡hola!",
    TipSource.BITS,
    NOW,
)
PRODUCT = ProductView(
    1,
    "REM",
    "Remera",
    ("playera",),
    "",
    Money(Decimal("15000"), "ARS"),
    5,
    3,
    True,
    None,
    None,
    False,
    (VariantView(1, "talle=M", {"talle": "M"}, Money(Decimal("15000"), "ARS"), 5, 3),),
)
BID = BidView("twitch", "u1", "ana", Money(Decimal("6000"), "ARS"), NOW, "chan", "pt")
AUCTION = AuctionView(
    7,
    "offered",
    "REM",
    "Remera",
    "talle=M",
    None,
    Money(Decimal("5000"), "ARS"),
    Money(Decimal("500"), "ARS"),
    BID.amount,
    Money(Decimal("6500"), "ARS"),
    BID,
    NOW,
    NOW,
    None,
    3,
    (("twitch", "chan"), ("telegram", "-100")),
    BID,
    "ABC123",
    1,
)
ENTRY = EntryView(3, "telegram", "42", "beto", NOW, "-100", "pt")
GIVEAWAY = GiveawayView(
    4,
    "drawn",
    "REM",
    "Remera",
    "talle=M",
    None,
    "ab" * 32,
    NOW,
    NOW,
    NOW,
    9,
    (("twitch", "chan"), ("telegram", "-100")),
    "cd" * 32,
    ENTRY,
    "ABC123",
)
SAMPLES: list[object] = [
    events.OrderPaid(ORDER, late=True),
    events.OrderExpired(ORDER),
    events.OrderRefunded(ORDER),
    events.RefundNeeded(ORDER, "superseded", Money(Decimal("100"), "ARS")),
    events.TipReceived(TIP),
    events.LinkReady(None, TIP, "https://pay.example/t"),
    events.SpotlightChanged(PRODUCT),
    events.SpotlightChanged(None),
    events.GoalChanged(Money(Decimal("5000"), "CLP"), "tips"),
    events.StockChanged(PRODUCT),
    events.OrderReserved(ORDER),
    events.AlertTest("tip", 1, "ARS"),
    events.AlertReplay(order=ORDER),
    events.OrderShipped(ORDER),
    events.OrderReadyForPickup(ORDER),
    events.OrderDelivered(ORDER),
    events.OrderPickedUp(ORDER),
    events.ShoutoutDone(ORDER),
    events.FlashSaleStarted(FLASH),
    events.FlashSaleEnded(FLASH),
    events.WaitlistHold(ORDER, "https://pay.example/o"),
    events.HoldReminder(ORDER, "", 5),
    events.AuctionChanged(AUCTION, "bid", extended=True),
    events.AuctionOffered(ORDER, AUCTION, rank=2),
    events.ClaimWordsChanged(True, datetime(2026, 12, 2, 22, 0, tzinfo=UTC)),
    events.ClaimWordsChanged(False),
    events.GiveawayChanged(GIVEAWAY, "drawn"),
    events.GiveawayWon(ORDER, GIVEAWAY),
    events.DeliveryLinkLocked(ORDER),
]


def test_every_event_kind_has_a_sample() -> None:
    kinds = set(typing.get_args(events.Event))
    assert {type(s) for s in SAMPLES} >= kinds


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_an_event_reads_back_equal(event: object) -> None:
    kind, body = encode(event)
    assert kind == f"bots.runtime.events:{type(event).__name__}"
    assert decode(kind, body) == event


def test_a_kind_this_process_cannot_import_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        decode("plugins.gone:Event", "{}")
    with pytest.raises(LookupError):
        decode("os:path", "{}")
