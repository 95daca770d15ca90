"""Giveaway rules in the store, on SQLite and PostgreSQL: one unit taken at the start and
given back when nobody wins, one entry per viewer, no entry after the close, a verifiable
draw, the winner's zero-price paid order; and the races: many entries at once, an entry
at the closing instant, two draws at once, the last unit raced by buyers."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from store_helpers import ANA, BETO, CARLA, T0, buy

from commerce import errors, giveaways
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, ViewerRef

FIVE_MIN = timedelta(minutes=5)
SEED = bytes(range(32))


def start(store: Store, sku: str = "TAZA", variant: str | None = None) -> giveaways.GiveawayView:
    return store.giveaway_start(
        sku, variant, FIVE_MIN, platform="twitch", channel_id="canal", now=T0, seed=SEED
    )


def available(store: Store, sku: str = "TAZA") -> int:
    return store.get_product(sku).available


def enter(store: Store, viewer: ViewerRef, seconds: float = 1) -> giveaways.EntryOutcome:
    return store.giveaway_enter(viewer, "canal", now=T0 + timedelta(seconds=seconds))


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


# -- the recipe ------------------------------------------------------------------------------


def test_the_recipe_by_hand() -> None:
    entries = [("twitch", "u-ana"), ("telegram", "42")]
    text = "twitch:u-ana\ntelegram:42"
    assert giveaways.entry_list_text(entries) == text
    digest = hashlib.sha256(SEED + hashlib.sha256(text.encode()).digest()).hexdigest()
    assert giveaways.winner_index(SEED, entries) == int(digest, 16) % 2
    assert giveaways.commitment_of(SEED) == hashlib.sha256(SEED).hexdigest()
    with pytest.raises(ValueError):
        giveaways.winner_index(SEED, [])


def test_the_winner_depends_on_seed_and_list() -> None:
    entries = [("twitch", f"u{i}") for i in range(50)]
    winners = {giveaways.winner_index(bytes([i]) * 32, entries) for i in range(40)}
    assert len(winners) > 10  # spread, not stuck on one index
    reordered = list(reversed(entries))
    assert giveaways.entry_list_text(reordered) != giveaways.entry_list_text(entries)


def test_fresh_seeds_are_32_random_bytes() -> None:
    one, two = giveaways.new_seed(), giveaways.new_seed()
    assert len(one) == 32 and one != two


# -- start ------------------------------------------------------------------------------------


def test_start_takes_one_unit_and_commits_to_the_seed(shop: Store) -> None:
    before = available(shop)
    shown = start(shop)
    assert shown.status == giveaways.OPEN and shown.running
    assert shown.commitment == hashlib.sha256(SEED).hexdigest()
    assert shown.seed_hex is None  # secret until the draw
    assert shown.ends_at == T0 + FIVE_MIN and shown.entries == 0
    assert available(shop) == before - 1


def test_a_fresh_seed_when_none_is_given(shop: Store) -> None:
    shown = shop.giveaway_start("TAZA", None, FIVE_MIN, platform="twitch", channel_id="c", now=T0)
    assert len(shown.commitment) == 64 and shown.commitment != giveaways.commitment_of(SEED)


def test_one_giveaway_at_a_time(shop: Store) -> None:
    start(shop)
    with pytest.raises(giveaways.GiveawayRunning):
        start(shop, "STICK")


def test_a_product_with_variants_needs_one(shop: Store) -> None:
    with pytest.raises(errors.VariantRequired):
        start(shop, "REM")
    shown = start(shop, "REM", "color=negro,talle=M")
    assert shown.variant_key == "color=negro,talle=M"


def test_sold_out_cannot_be_given_away(shop: Store) -> None:
    for _ in range(5):
        buy(shop)
    with pytest.raises(errors.OutOfStock):
        start(shop)


# -- entries ----------------------------------------------------------------------------------


def test_one_entry_per_viewer(shop: Store) -> None:
    assert enter(shop, ANA).reason == giveaways.NO_GIVEAWAY
    start(shop)
    first = enter(shop, ANA)
    assert first.accepted and first.entry is not None and first.entry.number == 1
    again = enter(shop, ANA, 2)
    assert again.reason == giveaways.ALREADY
    assert again.entry is not None and again.entry.number == 1
    # The same user id on another platform is another viewer.
    other = enter(shop, ViewerRef("discord", "u-ana", "ana"), 3)
    assert other.accepted and other.entry is not None and other.entry.number == 2
    assert other.giveaway is not None and other.giveaway.entries == 2
    assert shop.giveaway_entry("twitch", "u-ana") is not None
    assert shop.giveaway_entry("twitch", "u-beto") is None


def test_no_entry_at_or_after_the_close(shop: Store) -> None:
    start(shop)
    assert enter(shop, ANA, FIVE_MIN.total_seconds() - 0.001).accepted
    at_close = enter(shop, BETO, FIVE_MIN.total_seconds())
    assert at_close.reason == giveaways.CLOSED
    shop.giveaway_tick(now=T0 + FIVE_MIN)
    late = enter(shop, CARLA, FIVE_MIN.total_seconds() + 1)
    assert late.reason == giveaways.CLOSED  # "too late", not "there is none"
    assert [e.name for e in shop.giveaway_entries(late.giveaway.id)] == ["ana"]  # type: ignore[union-attr]


# -- the draw ---------------------------------------------------------------------------------


def test_the_draw_is_verifiable_and_the_prize_is_a_paid_order(shop: Store) -> None:
    start(shop)
    before = available(shop)
    viewers = [ViewerRef("twitch" if i % 2 else "telegram", f"u{i}", f"v{i}") for i in range(7)]
    for i, viewer in enumerate(viewers):
        assert enter(shop, viewer, i + 1).accepted
    assert shop.giveaway_tick(now=T0 + FIVE_MIN - timedelta(seconds=1)).changed == ()
    drawn = shop.giveaway_tick(now=T0 + FIVE_MIN)
    [shown] = drawn.changed
    assert shown.status == giveaways.DRAWN and not shown.running
    assert shown.seed_hex == SEED.hex()
    index = giveaways.winner_index(SEED, [(v.platform, v.user_id) for v in viewers])
    assert shown.winner is not None and shown.winner.user_id == viewers[index].user_id
    assert shown.winner.number == index + 1
    order = drawn.order
    assert order is not None and order.code == shown.order_code
    assert order.status is OrderStatus.PAID and order.total.amount == Decimal(0)
    assert order.viewer.user_id == viewers[index].user_id
    assert order.platform == viewers[index].platform
    assert [line.quantity for line in order.lines] == [1]
    assert shop.payments_for(order.code) == []  # no payment at all
    assert available(shop) == before  # the same unit, now sold
    assert len(shop.list_orders(OrderStatus.PAID)) == 1  # the invariant checks sold
    proof = shop.giveaway_proof(shown.id)
    assert proof.commitment_ok and proof.recomputed == index
    assert proof.text == "\n".join(f"{v.platform}:{v.user_id}" for v in viewers)
    # Once drawn, nothing more happens.
    assert shop.giveaway_tick(now=T0 + 2 * FIVE_MIN).changed == ()
    with pytest.raises(giveaways.NoGiveaway):
        shop.giveaway_draw(now=T0 + 2 * FIVE_MIN)


def test_the_prize_counts_no_revenue(shop: Store) -> None:
    start(shop)
    enter(shop, ANA)
    shop.giveaway_draw(now=T0 + timedelta(minutes=1))
    figures = shop.panel_live(now=T0 + timedelta(minutes=2), currency="ARS")
    assert figures.revenue.amount == 0 and figures.orders == 0  # no sale, and none lost
    summary = shop.panel_summary(T0 - timedelta(hours=1), T0 + timedelta(hours=1), "ARS")
    assert summary.revenue.amount == 0 and summary.orders == 0 and summary.converted == 0
    buy(shop, viewer=BETO, now=T0 + timedelta(minutes=3))
    summary = shop.panel_summary(T0 - timedelta(hours=1), T0 + timedelta(hours=1), "ARS")
    assert summary.orders == 1  # the purchase counts; the prize does not


def test_draw_early_with_fin(shop: Store) -> None:
    start(shop)
    enter(shop, ANA)
    drawn = shop.giveaway_draw(now=T0 + timedelta(seconds=30))
    assert drawn.changed[0].closed_at == T0 + timedelta(seconds=30)
    assert drawn.order is not None and drawn.order.viewer.display_name == "ana"
    assert enter(shop, BETO, 31).reason == giveaways.CLOSED


def test_nobody_entered_gives_the_unit_back(shop: Store) -> None:
    before = available(shop)
    start(shop)
    drawn = shop.giveaway_tick(now=T0 + FIVE_MIN)
    assert drawn.order is None and drawn.changed[0].status == giveaways.EMPTY
    assert drawn.changed[0].seed_hex == SEED.hex()
    assert available(shop) == before
    start(shop, "STICK")  # the next one may start


def test_cancel_gives_the_unit_back(shop: Store) -> None:
    before = available(shop)
    start(shop)
    enter(shop, ANA)
    cancelled = shop.giveaway_cancel(now=T0 + timedelta(seconds=5))
    assert cancelled.order is None and cancelled.changed[0].status == giveaways.CANCELLED
    assert cancelled.changed[0].winner is None
    assert available(shop) == before
    with pytest.raises(giveaways.NoGiveaway):
        shop.giveaway_cancel(now=T0 + timedelta(seconds=6))
    assert shop.current_giveaway() is not None  # the latest, for the overlay


def test_unknown_giveaway(shop: Store) -> None:
    with pytest.raises(giveaways.GiveawayNotFound):
        shop.giveaway_proof(99)


# -- races ------------------------------------------------------------------------------------


def test_many_viewers_enter_at_once_each_once(shop: Store) -> None:
    start(shop)
    count = 16
    # Every viewer twice, all at once: each counts once.
    outcomes = _together(
        2 * count,
        lambda i: shop.giveaway_enter(
            ViewerRef("telegram", f"t{i % count}", f"t{i % count}"),
            "canal",
            now=T0 + timedelta(seconds=1),
        ),
    )
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sum(o.accepted for o in outcomes) == count
    assert sum(o.reason == giveaways.ALREADY for o in outcomes) == count
    current = shop.current_giveaway()
    assert current is not None and current.entries == count
    listed = shop.giveaway_entries(current.id)
    assert [e.number for e in listed] == list(range(1, count + 1))
    assert len({e.user_id for e in listed}) == count


def test_an_entry_at_the_closing_instant(shop: Store) -> None:
    start(shop)
    enter(shop, ANA)
    close = T0 + FIVE_MIN
    just_before = close - timedelta(microseconds=1)
    results = _together(
        3,
        lambda i: (
            shop.giveaway_tick(now=close)
            if i == 0
            else shop.giveaway_enter(
                BETO if i == 1 else CARLA, "canal", now=just_before if i == 1 else close
            )
        ),
    )
    drawn, beto, carla = results
    assert carla.reason == giveaways.CLOSED
    listed = [e.user_id for e in shop.giveaway_entries(drawn.changed[0].id)]
    # beto's entry came before the close: it is in the draw, or refused as closed when the
    # draw took the lock first; never in the list but left out of the draw.
    assert ("u-beto" in listed) == beto.accepted
    proof = shop.giveaway_proof(drawn.changed[0].id)
    assert proof.recomputed is not None
    assert proof.entries[proof.recomputed].user_id == drawn.changed[0].winner.user_id


def test_two_draws_at_once_draw_once(shop: Store) -> None:
    start(shop)
    for i in range(5):
        shop.giveaway_enter(ViewerRef("twitch", f"u{i}", f"u{i}"), "canal", now=T0)
    results = _together(
        4,
        lambda i: (
            shop.giveaway_tick(now=T0 + FIVE_MIN)
            if i % 2
            else shop.giveaway_draw(now=T0 + FIVE_MIN)
        ),
    )
    drawn = [r for r in results if isinstance(r, giveaways.Drawn) and r.order is not None]
    assert len(drawn) == 1, results
    others = [r for r in results if r is not drawn[0]]
    assert all(
        isinstance(r, giveaways.NoGiveaway) or (isinstance(r, giveaways.Drawn) and not r.changed)
        for r in others
    ), others
    assert len(shop.list_orders(OrderStatus.PAID)) == 1
    assert len(shop.list_orders(OrderStatus.PAID)) == 1  # the invariant checks sold


def test_the_last_unit_raced_by_buyers(shop: Store) -> None:
    shop.set_stock("TAZA", 1)
    viewers = [ANA, BETO, CARLA]
    results = _together(
        4,
        lambda i: (
            start(shop)
            if i == 0
            else shop.reserve(
                viewers[i - 1],
                "canal",
                [LineRequest("TAZA", 1)],
                ttl=timedelta(minutes=15),
                now=T0,
            )
        ),
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert all(isinstance(r, errors.OutOfStock) for r in results if r not in winners), results
    assert available(shop) == 0


# -- the prize's delivery ---------------------------------------------------------------------


def test_the_prize_takes_delivery_details_and_stays_free(shop: Store) -> None:
    from delivery_helpers import HOME, RULES

    start(shop)
    enter(shop, ANA)
    drawn = shop.giveaway_draw(now=T0 + timedelta(minutes=1))
    assert drawn.order is not None
    code = drawn.order.code
    assert shop.giveaway_prize(code) == drawn.changed[0].id
    shop.set_delivery_details(code, RULES, "correo", HOME, now=T0 + timedelta(minutes=2))
    after = shop.get_order(code)
    assert after.status is OrderStatus.PAID and after.total.amount == 0
    assert after.delivery_option == "correo" and after.details_complete
    assert after.fulfilment == "ready_to_ship"  # the normal fulfilment flow from here
    [shipped] = shop.mark_shipped([code], "Correo", "AB123", now=T0 + timedelta(hours=1))
    assert shipped.order.fulfilment == "shipped"
    # An ordinary paid order still refuses new details.
    other = buy(shop, viewer=BETO)
    assert shop.giveaway_prize(other.code) is None


def test_forgetting_a_viewer_keeps_the_draw_checkable(shop: Store) -> None:
    start(shop)
    enter(shop, ANA)
    enter(shop, BETO, 2)
    drawn = shop.giveaway_draw(now=T0 + timedelta(minutes=1)).changed[0]
    assert shop.forget_buyer("twitch", "u-ana") and shop.forget_buyer("twitch", "u-beto")
    proof = shop.giveaway_proof(drawn.id)
    assert [e.name for e in proof.entries] == ["(borrado)", "(borrado)"]
    assert proof.text == "twitch:u-ana\ntwitch:u-beto" and proof.commitment_ok
    assert proof.recomputed == drawn.winner.number - 1  # type: ignore[union-attr]
