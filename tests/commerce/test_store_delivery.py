"""Durable delivery records: which pending orders' links never left, and old message claims."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from store_helpers import ANA, BETO, CARLA, T0, TTL

from commerce.money import Money
from commerce.store import Store
from commerce.views import LineRequest, TipSource, ViewerRef


def test_undelivered_links_are_the_pending_orders_never_handed_over(shop: Store) -> None:
    sent = shop.reserve(ANA, "c", [LineRequest("TAZA")], ttl=TTL, now=T0)
    unsent = shop.reserve(BETO, "c", [LineRequest("TAZA")], ttl=TTL, now=T0)
    elsewhere = shop.reserve(
        ViewerRef("discord", "9", "eli"), "c", [LineRequest("TAZA")], ttl=TTL, now=T0
    )
    later = shop.reserve(ANA, "c", [LineRequest("STICK")], ttl=TTL, now=T0 + timedelta(hours=1))
    cancelled = shop.reserve(CARLA, "c", [LineRequest("STICK")], ttl=TTL, now=T0)
    shop.cancel_order(cancelled.code)
    shop.mark_link_sent(sent.code, now=T0 + timedelta(seconds=1))
    shop.mark_link_sent(sent.code, now=T0 + timedelta(seconds=9))  # the first time counts

    found = shop.undelivered_links(["twitch"], before=T0 + timedelta(minutes=1))
    assert [o.code for o in found] == [unsent.code]
    assert shop.get_order(sent.code).link_sent_at == T0 + timedelta(seconds=1)
    assert {
        o.code for o in shop.undelivered_links(["twitch", "discord"], T0 + timedelta(days=1))
    } == {
        unsent.code,
        elsewhere.code,
        later.code,
    }


def test_old_claims_are_pruned_and_fresh_ones_kept(store: Store) -> None:
    assert store.claim_message("twitch", "old", now=T0)
    assert store.claim_message("twitch", "new", now=T0 + timedelta(days=3))
    assert store.prune_claims(T0 + timedelta(days=1)) == 1
    assert store.claim_message("twitch", "old")  # forgotten
    assert not store.claim_message("twitch", "new")  # still remembered


def test_a_tip_in_any_iso_currency_is_stored_with_its_exponent(store: Store) -> None:
    for amount, currency in (
        (Decimal("1000"), "JPY"),
        (Decimal("1.234"), "BHD"),
        (Decimal("4.99"), "EUR"),
    ):
        store.create_tip(
            ANA,
            "c",
            Money(amount, currency),
            "",
            TipSource.SUPERCHAT,
            ttl=TTL,
            external_id=f"sc-{currency}",
        )
    assert {(t.amount.currency, t.amount.amount) for t in store.list_tips()} == {
        ("JPY", Decimal("1000")),
        ("BHD", Decimal("1.234")),
        ("EUR", Decimal("4.99")),
    }
