"""Auction rules in the store, on SQLite and PostgreSQL: base, increment, anti-sniping, the
winner's order holding the one auctioned unit, the runner-up after an unpaid window."""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from store_helpers import ANA, BETO, CARLA, T0, buy

from commerce import auctions, errors
from commerce.auctions import AuctionRules
from commerce.money import Money
from commerce.store import Store
from commerce.views import OrderStatus, OutcomeKind, PaymentReport

RULES = AuctionRules(increment=Money(Decimal("500"), "ARS"), extend_seconds=20)
TWO_MIN = timedelta(minutes=2)


def ars(amount: str) -> Money:
    return Money(Decimal(amount), "ARS")


def start(store: Store, sku: str = "TAZA", variant: str | None = None) -> auctions.AuctionView:
    return store.auction_start(
        sku, variant, ars("5000"), TWO_MIN, RULES, platform="twitch", channel_id="canal", now=T0
    )


def available(store: Store, sku: str = "TAZA") -> int:
    return store.get_product(sku).available


def test_start_takes_one_unit_off_sale(shop: Store) -> None:
    before = available(shop)
    shown = start(shop)
    assert shown.status == auctions.OPEN
    assert shown.needed == ars("5000")
    assert shown.ends_at == T0 + TWO_MIN
    assert available(shop) == before - 1


def test_one_auction_at_a_time(shop: Store) -> None:
    start(shop)
    with pytest.raises(auctions.AuctionRunning):
        start(shop, "STICK")


def test_a_product_with_variants_needs_one(shop: Store) -> None:
    with pytest.raises(errors.VariantRequired):
        start(shop, "REM")
    shown = start(shop, "REM", "color=negro,talle=M")
    assert shown.variant_key == "color=negro,talle=M"


def test_sold_out_cannot_be_auctioned(shop: Store) -> None:
    for _ in range(5):
        buy(shop)
    with pytest.raises(errors.OutOfStock):
        start(shop)


def test_bids_must_reach_base_then_increment(shop: Store) -> None:
    start(shop)
    low = shop.auction_bid(ANA, "canal", ars("4000"), now=T0 + timedelta(seconds=1))
    assert low.reason == auctions.BELOW_BASE and low.needed == ars("5000")
    first = shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=2))
    assert first.accepted and first.auction is not None
    assert first.auction.leader is not None and first.auction.leader.name == "ana"
    short = shop.auction_bid(BETO, "canal", ars("5400"), now=T0 + timedelta(seconds=3))
    assert short.reason == auctions.BELOW_NEEDED and short.needed == ars("5500")
    second = shop.auction_bid(BETO, "canal", ars("5500"), now=T0 + timedelta(seconds=4))
    assert second.accepted and second.previous is not None and second.previous.name == "ana"
    assert second.auction is not None and second.auction.current == ars("5500")
    recorded = shop.auction_bids(second.auction.id)
    assert [(b.name, b.amount, why) for b, why in recorded] == [
        ("ana", ars("4000"), "below_base"),
        ("ana", ars("5000"), None),
        ("beto", ars("5400"), "below_needed"),
        ("beto", ars("5500"), None),
    ]


def test_no_auction_running(shop: Store) -> None:
    assert shop.auction_bid(ANA, "canal", ars("5000"), now=T0).reason == auctions.NO_AUCTION


def test_a_late_bid_extends_the_clock(shop: Store) -> None:
    start(shop)
    early = shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=30))
    assert not early.extended and early.auction is not None
    assert early.auction.ends_at == T0 + TWO_MIN
    late_at = T0 + TWO_MIN - timedelta(seconds=5)
    late = shop.auction_bid(BETO, "canal", ars("6000"), now=late_at)
    assert late.extended and late.auction is not None
    assert late.auction.ends_at == late_at + timedelta(seconds=20)
    # The old end passes: still open.
    assert shop.auction_tick(now=T0 + TWO_MIN + timedelta(seconds=1)).changed == ()
    after = shop.auction_bid(CARLA, "canal", ars("9000"), now=late_at + timedelta(seconds=21))
    assert after.reason == auctions.ENDED


def test_the_winner_gets_an_order_holding_the_unit(shop: Store) -> None:
    start(shop)
    before = available(shop)
    shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=1))
    shop.auction_bid(BETO, "discord-canal", ars("7000.50"), now=T0 + timedelta(seconds=2))
    progress = shop.auction_tick(now=T0 + TWO_MIN)
    assert len(progress.offers) == 1
    offer = progress.offers[0]
    assert offer.rank == 1
    assert offer.order.viewer.display_name == "beto"
    assert offer.order.total == ars("7000.50")
    assert offer.order.channel_id == "discord-canal"
    assert offer.order.expires_at == T0 + TWO_MIN + RULES.pay_window
    assert offer.auction.status == auctions.OFFERED
    assert available(shop) == before  # the same unit, now the order's


def test_unpaid_goes_to_the_runner_up_then_unsold(shop: Store) -> None:
    start(shop)
    before = available(shop)
    shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=1))
    shop.auction_bid(BETO, "canal", ars("6000"), now=T0 + timedelta(seconds=2))
    shop.auction_bid(BETO, "canal", ars("6500"), now=T0 + timedelta(seconds=3))
    won = shop.auction_tick(now=T0 + TWO_MIN).offers[0]
    window = RULES.pay_window
    assert shop.auction_tick(now=T0 + TWO_MIN + window - timedelta(seconds=1)).offers == ()
    second = shop.auction_tick(now=T0 + TWO_MIN + window).offers[0]
    assert second.rank == 2 and second.order.viewer.display_name == "ana"
    assert second.order.total == ars("5000")
    assert shop.get_order(won.order.code).status is OrderStatus.EXPIRED
    assert available(shop) == before
    ended = shop.auction_tick(now=T0 + TWO_MIN + 2 * window)
    assert ended.offers == () and ended.changed[0].status == auctions.UNSOLD
    assert available(shop) == before + 1  # back on sale
    assert shop.current_auction() is not None


def test_expired_by_the_expiry_duty_is_taken_again(shop: Store) -> None:
    start(shop)
    shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=1))
    shop.auction_bid(BETO, "canal", ars("6000"), now=T0 + timedelta(seconds=2))
    won = shop.auction_tick(now=T0 + TWO_MIN).offers[0]
    late = T0 + TWO_MIN + RULES.pay_window
    assert [o.code for o in shop.expire_due(now=late)] == [won.order.code]
    nxt = shop.auction_tick(now=late).offers[0]
    assert nxt.order.viewer.display_name == "ana"


def test_the_freed_unit_sold_meanwhile_ends_it_unsold(shop: Store) -> None:
    shop.set_stock("TAZA", 1)
    start(shop)
    shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=1))
    shop.auction_bid(BETO, "canal", ars("6000"), now=T0 + timedelta(seconds=2))
    shop.auction_tick(now=T0 + TWO_MIN)
    late = T0 + TWO_MIN + RULES.pay_window
    shop.expire_due(now=late)
    buy(shop, viewer=CARLA, now=late)  # the released unit goes to a buyer first
    ended = shop.auction_tick(now=late)
    assert ended.offers == () and ended.changed[0].status == auctions.UNSOLD
    assert available(shop) == 0


def test_paid_is_sold(shop: Store) -> None:
    start(shop)
    shop.auction_bid(ANA, "canal", ars("5000"), now=T0 + timedelta(seconds=1))
    won = shop.auction_tick(now=T0 + TWO_MIN).offers[0]
    outcome = shop.record_payment(
        PaymentReport(
            provider="sandbox",
            provider_payment_id="p-1",
            status="approved",
            amount=Decimal("5000"),
            currency="ARS",
            external_reference=won.order.code,
        ),
        now=T0 + TWO_MIN + timedelta(minutes=1),
    )
    assert outcome.kind is OutcomeKind.ORDER_PAID
    sold = shop.auction_tick(now=T0 + TWO_MIN + timedelta(minutes=2))
    assert sold.changed[0].status == auctions.SOLD
    start(shop, "STICK")  # the store may run the next one


def test_end_early_and_no_bids(shop: Store) -> None:
    before = available(shop)
    start(shop)
    ended = shop.auction_end(now=T0 + timedelta(seconds=10))
    assert ended.changed[0].status == auctions.UNSOLD
    assert available(shop) == before
    with pytest.raises(auctions.NoAuction):
        shop.auction_end(now=T0 + timedelta(seconds=11))


def _together(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_bids_at_the_same_instant_one_leads(shop: Store) -> None:
    start(shop)
    at = T0 + timedelta(seconds=5)
    viewers = [ANA, BETO]
    outcomes = _together(2, lambda i: shop.auction_bid(viewers[i], "canal", ars("6000"), now=at))
    assert sorted(o.reason or "lead" for o in outcomes) == ["below_needed", "lead"]
    refused = next(o for o in outcomes if not o.accepted)
    assert refused.needed == ars("6500")


def test_many_bids_race_and_the_unit_is_reserved_once(shop: Store) -> None:
    start(shop)
    before = available(shop)
    at = T0 + timedelta(seconds=5)
    outcomes = _together(
        12,
        lambda i: shop.auction_bid(
            ANA.__class__("telegram", f"t{i}", f"t{i}"),
            "canal",
            ars(str(5000 + 500 * (i % 4))),
            now=at,
        ),
    )
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    final = shop.current_auction()
    assert final is not None and final.current is not None
    accepted = [o for o in outcomes if o.accepted]
    # Every accepted bid beat the one before it by the increment.
    amounts = sorted(o.auction.current.amount for o in accepted)
    assert all(b - a >= Decimal("500") for a, b in itertools.pairwise(amounts))
    assert final.current.amount == amounts[-1]
    ticks = _together(3, lambda i: shop.auction_tick(now=T0 + TWO_MIN))
    assert sum(len(t.offers) for t in ticks) == 1
    assert available(shop) == before


def test_two_starts_at_once_open_one(shop: Store) -> None:
    skus = ["TAZA", "STICK"]
    results = _together(
        2,
        lambda i: shop.auction_start(
            skus[i], None, ars("100"), TWO_MIN, RULES, platform="twitch", channel_id="c", now=T0
        ),
    )
    assert sum(isinstance(r, auctions.AuctionRunning) for r in results) == 1
    assert sum(isinstance(r, auctions.AuctionView) for r in results) == 1
