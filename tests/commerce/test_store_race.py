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
