"""Store.reserve_now: `reserve` on the caller's thread, or nothing at all when it would wait.

On a SQLite file it reserves exactly as `reserve` does, with the same answers and errors;
whenever the Store's own connection is in use or another connection holds SQLite's write
lock it does nothing and answers None (the command layer then calls `reserve` off the event
loop); on PostgreSQL it always answers None."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from store_helpers import ANA, BETO, T0, TTL, buy, catalog

from commerce.errors import LimitExceeded, OutOfStock, VariantRequired
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OrderView, ViewerRef


def now(
    store: Store, sku: str = "TAZA", quantity: int = 1, viewer: ViewerRef = ANA
) -> OrderView | None:
    return store.reserve_now(viewer, "canal", [LineRequest(sku, quantity)], ttl=TTL, now=T0)


def test_on_sqlite_it_reserves_as_reserve_does(shop: Store, store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        assert now(shop) is None  # PostgreSQL: always off the loop
        assert shop.get_product("TAZA").available == 5
        return
    order = now(shop, quantity=2)
    assert order is not None
    assert order == shop.get_order(order.code)
    assert (order.status, order.revision, str(order.total.amount)) == (
        OrderStatus.PENDING,
        0,
        "17000.00",
    )
    # The same viewer's next purchase joins their cart, as with reserve.
    grown = now(shop, "STICK", 3)
    assert grown is not None and grown.code == order.code and grown.revision == 1
    assert grown == shop.get_order(order.code)
    assert shop.get_product("TAZA").available == 3


def test_its_errors_are_reserves(shop: Store, store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        return
    with pytest.raises(OutOfStock) as out:
        now(shop, quantity=6)
    assert out.value.available == 5
    with pytest.raises(LimitExceeded):
        now(shop, "STICK", 4)
    with pytest.raises(VariantRequired):
        now(shop, "REM")
    assert shop.list_orders(OrderStatus.PENDING) == []
    assert now(shop) is not None  # a refusal leaves the connection usable


def test_it_gives_up_while_another_connection_writes(shop: Store, store_url: str) -> None:
    if not store_url.startswith("sqlite"):
        return
    other = sqlite3.connect(store_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        assert now(shop) is None
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert shop.get_product("TAZA").available == 5
    assert now(shop) is not None


def test_it_gives_up_while_the_stores_connection_is_in_use(shop: Store, store_url: str) -> None:
    """Another thread in a Store transaction (or waiting for one) goes first."""
    if not store_url.startswith("sqlite"):
        return
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with shop._engine.connect():
            holding.set()
            release.wait(10)

    worker = threading.Thread(target=hold)
    worker.start()
    try:
        assert holding.wait(10)
        assert now(shop, viewer=BETO) is None
    finally:
        release.set()
        worker.join()
    first, second = buy(shop, viewer=ANA), now(shop, viewer=BETO)
    assert second is not None and second.code != first.code


def test_never_once_closed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'closed.db'}")
    store.migrate()
    store.sync_catalog(catalog())
    assert now(store) is not None
    store.close()
    assert now(store) is None
