"""Waitlists and hold reminders in the store (commerce.waitlist), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from store_helpers import ANA, BETO, CARLA, DANI, T0, TTL, buy

from commerce import errors
from commerce.store import Store
from commerce.views import (
    LineRequest,
    OrderStatus,
    PaymentReport,
    ProductSpec,
    VariantSpec,
    ViewerRef,
)

HOLD = timedelta(minutes=10)


def _one_left(store: Store) -> Store:
    store.sync_catalog(
        [
            ProductSpec("GORRA", "Gorra", Decimal("9000"), "ARS", stock=1),
            ProductSpec(
                "REM",
                "Remera",
                Decimal("15000"),
                "ARS",
                variants=(
                    VariantSpec({"talle": "M"}, stock=1),
                    VariantSpec({"talle": "L"}, stock=1, price=Decimal("16500")),
                ),
            ),
        ]
    )
    return store


def _join(store: Store, viewer: ViewerRef, sku: str = "GORRA", key: str | None = None) -> Any:
    return store.waitlist_join(viewer, "canal", sku, key, hold=HOLD, locale="es", now=T0)


def _pending(store: Store, viewer: ViewerRef) -> list[Any]:
    orders = store.viewer_orders(viewer.platform, viewer.user_id, limit=20)
    return [o for o in orders if o.status is OrderStatus.PENDING]


def test_a_sold_out_product_takes_a_line_in_order(store: Store) -> None:
    _one_left(store)
    assert _join(store, BETO).outcome == "in_stock"  # nothing to wait for yet
    buy(store, "GORRA", viewer=ANA)
    first = _join(store, BETO)
    second = _join(store, CARLA)
    assert (first.outcome, first.position, first.status) == ("joined", 1, "waiting")
    assert (second.outcome, second.position) == ("joined", 2)
    again = _join(store, BETO)
    assert (again.outcome, again.position) == ("already", 1)
    assert [p.position for p in store.waitlist_places("twitch", "u-carla")] == [2]
    line = store.waitlist_line("GORRA")
    assert [(e.position, e.viewer.display_name) for e in line] == [(1, "beto"), (2, "carla")]
    assert store.waitlist_sizes() == {"GORRA": 2}


def test_an_expired_hold_goes_to_the_next_in_line_then_the_one_after(store: Store) -> None:
    _one_left(store)
    buy(store, "GORRA", viewer=ANA)
    _join(store, BETO)
    _join(store, CARLA)
    store.expire_due(now=T0 + TTL)  # ana never paid
    held = _pending(store, BETO)
    assert len(held) == 1 and held[0].lines[0].sku == "GORRA"
    assert held[0].total.amount == Decimal("9000")
    assert held[0].expires_at == T0 + TTL + HOLD  # its own timer
    assert store.get_product("GORRA").available == 0  # the new buyer finds none
    with pytest.raises(errors.OutOfStock):
        buy(store, "GORRA", viewer=DANI, now=T0 + TTL)
    assert [(p.position, p.order_code) for p in store.waitlist_places("twitch", "u-beto")] == [
        (0, held[0].code)
    ]
    assert store.waitlist_places("twitch", "u-carla")[0].position == 1
    store.expire_due(now=T0 + TTL + HOLD)  # beto let it pass
    assert store.waitlist_places("twitch", "u-beto") == []
    assert len(_pending(store, CARLA)) == 1
    assert _pending(store, BETO) == []


def test_a_hold_handed_out_during_a_flash_sale_keeps_the_sale_price(store: Store) -> None:
    """The waiting viewer holds the unit as a buyer typing `!comprar` then would: at the
    sale's price, kept after the sale ends; a hold after the sale is at the usual price."""
    _one_left(store)
    buy(store, "REM", variant="talle=L", viewer=ANA)
    _join(store, BETO, "REM", "talle=L")
    _join(store, CARLA, "REM", "talle=L")
    store.start_flash_sale("REM", percent=20, duration=timedelta(minutes=5), now=T0 + TTL)
    store.expire_due(now=T0 + TTL)  # ana never paid; the sale is on
    [held] = _pending(store, BETO)
    assert held.total.amount == Decimal("13200")  # 20% off the L's own 16.500
    assert held.lines[0].unit_price.amount == Decimal("13200")
    store.expire_due(now=T0 + TTL + HOLD)  # beto let it pass; the sale is over
    [later] = _pending(store, CARLA)
    assert later.total.amount == Decimal("16500")
    assert store.get_order(held.code).status is OrderStatus.EXPIRED


def test_a_paid_hold_is_bought_and_cancelling_frees_for_the_next(store: Store) -> None:
    _one_left(store)
    order = buy(store, "GORRA", viewer=ANA)
    _join(store, BETO)
    _join(store, CARLA)
    store.cancel_order(order.code, ANA)
    hold = _pending(store, BETO)[0]
    report = PaymentReport("mercadopago", "p1", "approved", Decimal("9000"), "ARS", hold.code, {})
    store.record_payment(report, now=T0)
    store.waitlist_hand_out()
    assert store.waitlist_places("twitch", "u-beto") == []  # bought: out of the line
    assert store.waitlist_places("twitch", "u-carla")[0].position == 1
    assert _pending(store, CARLA) == []


def test_a_restock_serves_the_line_first_and_leaves_the_rest_on_sale(store: Store) -> None:
    _one_left(store)
    buy(store, "GORRA", viewer=ANA)
    _join(store, BETO)
    _join(store, CARLA)
    updated = store.set_stock("GORRA", 4)
    assert updated.available == 1  # 4 - ana - beto - carla
    assert len(_pending(store, BETO)) == 1 and len(_pending(store, CARLA)) == 1
    assert store.waitlist_line("GORRA")[0].status == "offered"


def test_a_variant_line_waits_only_for_its_variant(store: Store) -> None:
    _one_left(store)
    m = buy(store, "REM", variant="talle=M", viewer=ANA)
    buy(store, "REM", variant="talle=L", viewer=BETO)
    place = _join(store, CARLA, "REM", "talle=L")
    assert place.variant_key == "talle=L"
    store.cancel_order(m.code, ANA)  # an M comes back: carla wants an L
    assert _pending(store, CARLA) == []
    assert store.get_product("REM").variants[0].available == 1
    with pytest.raises(errors.VariantRequired):
        _join(store, DANI, "REM", None)


def test_leaving_the_line_gives_up_the_place(store: Store) -> None:
    _one_left(store)
    order = buy(store, "GORRA", viewer=ANA)
    _join(store, BETO)
    _join(store, CARLA)
    assert store.waitlist_leave(BETO) == 1
    assert store.waitlist_leave(BETO) == 0
    assert store.waitlist_places("twitch", "u-carla")[0].position == 1
    store.cancel_order(order.code, ANA)
    assert _pending(store, BETO) == [] and len(_pending(store, CARLA)) == 1


def test_a_closed_store_keeps_the_line_waiting(store: Store) -> None:
    _one_left(store)
    order = buy(store, "GORRA", viewer=ANA)
    _join(store, BETO)
    store.set_open(False)
    store.cancel_order(order.code, ANA)
    assert _pending(store, BETO) == []
    store.set_open(True)
    assert len(store.waitlist_hand_out()) == 1
    assert len(_pending(store, BETO)) == 1


def test_each_new_hold_is_told_once(store: Store) -> None:
    _one_left(store)
    order = buy(store, "GORRA", viewer=ANA)
    _join(store, BETO)
    store.cancel_order(order.code, ANA)
    told = store.waitlist_offers(now=T0)
    assert [o.viewer.user_id for o in told] == ["u-beto"]
    assert store.waitlist_offers(now=T0) == []


def test_a_reminder_goes_once_before_expiry_and_never_to_a_paid_order(store: Store) -> None:
    _one_left(store)
    store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=5)])
    ana = buy(store, "TAZA", viewer=ANA)
    beto = buy(store, "TAZA", viewer=BETO)
    five = timedelta(minutes=5)
    assert store.claim_reminders(five, now=T0) == []  # 15 minutes left
    report = PaymentReport("mercadopago", "p1", "approved", Decimal("8500"), "ARS", beto.code, {})
    store.record_payment(report, now=T0)
    due = store.claim_reminders(five, now=T0 + TTL - five)
    assert [o.code for o in due] == [ana.code]
    assert store.claim_reminders(five, now=T0 + TTL - timedelta(minutes=1)) == []
    assert store.claim_reminders(timedelta(0), now=T0 + TTL - five) == []


def test_a_hold_shorter_than_the_reminder_gets_none(store: Store) -> None:
    store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=5)])
    store.reserve(ANA, "canal", [LineRequest("TAZA", 1)], ttl=timedelta(minutes=3), now=T0)
    assert store.claim_reminders(timedelta(minutes=5), now=T0 + timedelta(minutes=1)) == []


def test_reminders_claimed_from_many_threads_go_out_once(store: Store) -> None:
    store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=20)])
    codes = {
        buy(store, "TAZA", viewer=ViewerRef("twitch", f"v{i}", f"v{i}")).code for i in range(6)
    }
    barrier = threading.Barrier(4)
    got: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        barrier.wait()
        found = store.claim_reminders(timedelta(minutes=5), now=T0 + TTL - timedelta(minutes=4))
        with lock:
            got.extend(o.code for o in found)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == sorted(codes)


def test_a_waitlisted_viewer_and_a_new_buyer_race_for_one_freed_unit(store: Store) -> None:
    """The expiry frees the one unit while a new buyer asks for it: whichever runs first,
    exactly one order holds it, and it is the waiting viewer's (the freed unit never shows
    as free outside the transaction that hands it to the line)."""
    for round_ in range(6):
        _race_round(store, f"G{round_}")


def _race_round(store: Store, sku: str) -> None:
    store.sync_catalog([ProductSpec(sku, f"Gorra {sku}", Decimal("9000"), "ARS", stock=1)])
    buy(store, sku, viewer=ANA)
    _join(store, BETO, sku)
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def expire() -> None:
        barrier.wait()
        results[0] = store.expire_due(now=T0 + TTL)

    def new_buyer() -> None:
        barrier.wait()
        try:
            results[1] = buy(store, sku, viewer=DANI, now=T0 + TTL)
        except errors.OutOfStock as exc:
            results[1] = exc

    threads = [threading.Thread(target=expire), threading.Thread(target=new_buyer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(results[1], errors.OutOfStock)
    holds = [o for o in _pending(store, BETO) if o.lines[0].sku == sku]
    assert len(holds) == 1
    assert store.get_product(sku).available == 0  # and the stock invariant holds


def test_hand_outs_racing_never_hold_a_unit_twice(store: Store) -> None:
    store.sync_catalog([ProductSpec("GORRA", "Gorra", Decimal("9000"), "ARS", stock=2)])
    first = buy(store, "GORRA", viewer=ANA)
    buy(store, "GORRA", viewer=DANI)
    for i in range(5):
        _join(store, ViewerRef("twitch", f"w{i}", f"w{i}"))
    barrier = threading.Barrier(4)

    def run(i: int) -> None:
        barrier.wait()
        if i == 0:
            store.cancel_order(first.code, ANA)
        elif i == 1:
            store.set_stock("GORRA", 3)
        else:
            store.waitlist_hand_out()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    line = store.waitlist_line("GORRA")
    held = [e for e in line if e.status == "offered"]
    assert [e.viewer.user_id for e in held] == ["w0", "w1"]  # first come, first held
    assert len({e.order_code for e in held}) == 2
    assert store.get_product("GORRA").available == 0
