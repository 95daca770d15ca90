"""The race: many buyers for the last units, at once, on both databases.

Threads share one Store (as the bot does through asyncio.to_thread); on PostgreSQL, separate
OS processes each open their own Store, as several `vivo run` processes would.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from store_helpers import T0, TTL, assert_stock_invariant

from commerce import errors
from commerce.store import Store
from commerce.views import (
    LineRequest,
    OrderStatus,
    OutcomeKind,
    PaymentReport,
    ProductSpec,
    VariantSpec,
    ViewerRef,
)

BUYERS = 40
UNITS = 7


def _all_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` on `count` threads released together; each result or the exception."""
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


def _viewer(i: int, prefix: str = "v") -> ViewerRef:
    return ViewerRef("twitch", f"{prefix}{i}", f"{prefix}{i}")


def test_threads_race_for_the_last_units(store: Store, store_url: str) -> None:
    store.sync_catalog([ProductSpec("LAST", "Last ones", Decimal("100"), "ARS", stock=UNITS)])

    def attempt(i: int) -> str:
        line = [LineRequest("LAST", 1)]
        return store.reserve(_viewer(i), "canal", line, ttl=TTL, now=T0).code

    results = _all_at_once(BUYERS, attempt)
    codes = [r for r in results if isinstance(r, str)]
    failures = [r for r in results if not isinstance(r, str)]
    assert len(codes) == UNITS
    assert all(isinstance(f, errors.OutOfStock) for f in failures), failures
    assert len(failures) == BUYERS - UNITS
    assert {o.code for o in store.list_orders()} == set(codes)
    product = store.get_product("LAST")
    assert (product.stock, product.available) == (UNITS, 0)
    assert_stock_invariant(store_url)


def test_threads_race_on_variants_with_two_units_each(store: Store, store_url: str) -> None:
    store.sync_catalog(
        [
            ProductSpec(
                "REM",
                "Remera",
                Decimal("100"),
                "ARS",
                variants=(VariantSpec({"talle": "M"}, 5), VariantSpec({"talle": "L"}, 4)),
            )
        ]
    )

    def attempt(i: int) -> str:
        size = "M" if i % 2 else "L"
        line = [LineRequest("REM", 2, f"talle={size}")]
        return store.reserve(_viewer(i), "canal", line, ttl=TTL).lines[0].variant_key or ""

    results = _all_at_once(20, attempt)
    assert all(isinstance(r, str | errors.OutOfStock) for r in results), results
    won = Counter(r for r in results if isinstance(r, str))
    assert won == {"talle=M": 2, "talle=L": 2}  # 5 // 2 and 4 // 2
    assert [v.available for v in store.get_product("REM").variants] == [1, 0]
    assert_stock_invariant(store_url)


def test_duplicate_webhooks_at_once_pay_once(store: Store, store_url: str) -> None:
    store.sync_catalog([ProductSpec("X", "X", Decimal("100"), "ARS", stock=3)])
    order = store.reserve(_viewer(0), "canal", [LineRequest("X", 2)], ttl=TTL)
    report = PaymentReport("mp", "p-1", "approved", Decimal("200"), "ARS", order.code)
    results = _all_at_once(12, lambda _: store.record_payment(report).kind)
    assert Counter(results) == {OutcomeKind.ORDER_PAID: 1, OutcomeKind.DUPLICATE: 11}
    assert store.get_product("X").available == 1
    assert_stock_invariant(store_url)


def test_payment_racing_expiry_never_loses_a_unit(store: Store, store_url: str) -> None:
    store.sync_catalog([ProductSpec("X", "X", Decimal("100"), "ARS", stock=10)])
    orders = [
        store.reserve(_viewer(i), "canal", [LineRequest("X", 1)], ttl=TTL, now=T0)
        for i in range(10)
    ]

    def work(i: int) -> Any:
        if i % 2:
            return store.expire_due(now=T0 + TTL)
        order = orders[i // 2]
        report = PaymentReport("mp", f"p{i}", "approved", Decimal("100"), "ARS", order.code)
        return store.record_payment(report).kind

    results = _all_at_once(20, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = Counter(store.get_order(o.code).status for o in orders)
    assert statuses == {OrderStatus.PAID: 10}  # expired ones were sold again, stock allowed
    assert store.get_product("X").available == 0
    assert_stock_invariant(store_url)


def _process_buyer(url: str, worker: int, attempts: int, start: Any, out: Any) -> None:
    store = Store(url)
    start.wait()
    for n in range(attempts):
        viewer = ViewerRef("twitch", f"p{worker}-{n}", "x")
        try:
            code = store.reserve(viewer, "canal", [LineRequest("LAST", 1)], ttl=TTL).code
            out.put(("ok", code))
        except errors.OutOfStock:
            out.put(("out", ""))
        except Exception as exc:
            out.put(("error", repr(exc)))
    store.close()


@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
def test_processes_race_on_postgres(store: Store, store_url: str) -> None:
    processes, attempts = 6, 4
    store.sync_catalog([ProductSpec("LAST", "Last ones", Decimal("100"), "ARS", stock=UNITS)])
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(processes)
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_process_buyer, args=(store_url, w, attempts, start, out))
        for w in range(processes)
    ]
    for p in workers:
        p.start()
    results = [out.get(timeout=60) for _ in range(processes * attempts)]
    for p in workers:
        p.join(timeout=30)
        assert p.exitcode == 0
    kinds = Counter(kind for kind, _ in results)
    assert kinds == {"ok": UNITS, "out": processes * attempts - UNITS}, results
    codes = {code for kind, code in results if kind == "ok"}
    assert {o.code for o in store.list_orders()} == codes
    assert store.get_product("LAST").available == 0
    assert_stock_invariant(store_url)


def test_one_viewer_racing_themselves_fills_one_cart(store: Store, store_url: str) -> None:
    store.sync_catalog(
        [
            ProductSpec("LAST", "Last ones", Decimal("100"), "ARS", stock=UNITS),
            ProductSpec("LIM", "Limited", Decimal("10"), "ARS", stock=50, max_per_viewer=3),
        ]
    )
    ana = _viewer(0, "ana")

    def attempt(i: int) -> str:
        sku = "LAST" if i % 2 else "LIM"
        return store.reserve(ana, "canal", [LineRequest(sku, 1)], ttl=TTL).code

    results = _all_at_once(BUYERS, attempt)
    codes = {r for r in results if isinstance(r, str)}
    failures = Counter(type(r).__name__ for r in results if not isinstance(r, str))
    assert len(codes) == 1, results  # one cart, however the calls interleaved
    assert failures == {"OutOfStock": BUYERS // 2 - UNITS, "LimitExceeded": BUYERS // 2 - 3}
    (order,) = store.list_orders()
    assert sorted((line.sku, line.quantity) for line in order.lines) == [
        ("LAST", UNITS),
        ("LIM", 3),
    ]
    assert order.total.amount == Decimal(100 * UNITS + 10 * 3)
    assert order.revision == UNITS + 3 - 1
    assert store.get_product("LAST").available == 0
    assert_stock_invariant(store_url)


def test_many_viewers_each_racing_themselves(store: Store, store_url: str) -> None:
    viewers, per_viewer, stock = 8, 5, 30
    store.sync_catalog([ProductSpec("X", "X", Decimal("100"), "ARS", stock=stock)])

    def attempt(i: int) -> tuple[str, str]:
        viewer = _viewer(i % viewers, "m")
        return viewer.user_id, store.reserve(viewer, "canal", [LineRequest("X", 1)], ttl=TTL).code

    results = _all_at_once(viewers * per_viewer, attempt)
    won = [r for r in results if isinstance(r, tuple)]
    assert all(isinstance(r, errors.OutOfStock) for r in results if not isinstance(r, tuple))
    assert len(won) == stock
    carts: dict[str, set[str]] = {}
    for user, code in won:
        carts.setdefault(user, set()).add(code)
    assert all(len(codes) == 1 for codes in carts.values()), carts
    orders = store.list_orders()
    assert len(orders) == len(carts)
    assert sum(o.lines[0].quantity for o in orders) == stock
    assert all(o.total.amount == 100 * o.lines[0].quantity for o in orders)
    assert_stock_invariant(store_url)


def test_adding_while_a_payment_lands_never_loses_it(store: Store, store_url: str) -> None:
    """A payment of the cart's current link races the viewer adding to it: either the
    payment pays the order as it was (the addition opens a new order), or the addition
    came first and the payment is kept, flagged for refund."""
    store.sync_catalog([ProductSpec("X", "X", Decimal("100"), "ARS", stock=100)])
    carts = [
        store.reserve(_viewer(i, "pay"), "canal", [LineRequest("X", 1)], ttl=TTL) for i in range(10)
    ]
    for cart in carts:
        store.set_order_link(cart.code, f"https://pay.example/{cart.code}", f"pref-{cart.code}")

    def work(i: int) -> Any:
        cart = carts[i // 2]
        if i % 2:
            return store.reserve(_viewer(i // 2, "pay"), "canal", [LineRequest("X", 1)], ttl=TTL)
        report = PaymentReport("mp", f"p{i}", "approved", Decimal("100"), "ARS", cart.code)
        return store.record_payment(report)

    results = _all_at_once(20, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    for n, cart in enumerate(carts):
        outcome, added = results[2 * n], results[2 * n + 1]
        if outcome.kind is OutcomeKind.ORDER_PAID:
            assert added.code != cart.code
            assert store.get_order(cart.code).total.amount == Decimal("100")
        else:
            assert (outcome.kind, outcome.detail) == (OutcomeKind.REFUND_NEEDED, "superseded")
            assert added.code == cart.code
            assert store.get_order(cart.code).needs_refund
        assert [p.provider_payment_id for p in store.payments_for(cart.code)] == [f"p{2 * n}"]
    assert_stock_invariant(store_url)
