"""Store.recent_products: the catalog `!comprar` parses against without a database round trip.

A reading is reused for a few seconds, but never after a change made through the same Store,
and a reading that raced a change is not kept."""

from __future__ import annotations

import threading
from decimal import Decimal

from commerce.store import Store
from commerce.views import ProductSpec


def test_a_fresh_store_has_no_reading_until_it_lists(shop: Store) -> None:
    assert shop.recent_products() is None
    listed = shop.list_products()
    recent = shop.recent_products()
    assert recent is not None
    assert [p.sku for p in recent] == [p.sku for p in listed]


def test_the_reading_includes_inactive_products_but_list_products_does_not(shop: Store) -> None:
    shop.set_active("TAZA", False)
    assert "TAZA" not in {p.sku for p in shop.list_products()}
    recent = shop.recent_products()
    assert recent is not None
    assert {p.sku: p.active for p in recent}["TAZA"] is False


def test_every_catalog_change_through_the_store_drops_the_reading(shop: Store) -> None:
    changes = [
        lambda: shop.set_price("TAZA", Decimal("9000")),
        lambda: shop.set_active("STICK", False),
        lambda: shop.set_stock("TAZA", 9),
        lambda: shop.seed_catalog([ProductSpec("GORRA", "Gorra", Decimal("7000"), "ARS", 4)]),
        lambda: shop.panel_add_product(ProductSpec("BUZO", "Buzo", Decimal("30000"), "ARS", 2)),
        lambda: shop.sync_catalog([ProductSpec("TAZA", "Taza grande", Decimal("9500"), "ARS", 9)]),
    ]
    for change in changes:
        shop.list_products()
        assert shop.recent_products() is not None
        change()
        assert shop.recent_products() is None
    names = {p.sku: p.name for p in shop.list_products(include_inactive=True)}
    assert names["TAZA"] == "Taza grande"
    assert {"GORRA", "BUZO"} <= set(names)


def test_another_store_on_the_same_database_is_seen_once_the_reading_is_old(
    shop: Store, store_url: str
) -> None:
    shop.list_products()
    other = Store(store_url)
    try:
        other.panel_add_product(ProductSpec("GORRA", "Gorra", Decimal("7000"), "ARS", 4))
    finally:
        other.close()
    recent = shop.recent_products()
    assert recent is not None and "GORRA" not in {p.sku for p in recent}
    assert shop.recent_products(max_age=0.0) is None
    assert "GORRA" in {p.sku for p in shop.list_products()}


def test_a_reading_that_raced_a_change_is_not_kept(shop: Store) -> None:
    """A listing that began before a price change and ended after it must not be reused."""
    entered, release = threading.Event(), threading.Event()
    original = shop._tx

    def slow_tx(work):  # type: ignore[no-untyped-def]
        result = original(work)
        if threading.current_thread().name == "lister":
            entered.set()
            release.wait(5)
        return result

    shop._tx = slow_tx  # type: ignore[method-assign]
    lister = threading.Thread(target=shop.list_products, name="lister")
    lister.start()
    assert entered.wait(5)
    shop.set_price("TAZA", Decimal("9900"))
    release.set()
    lister.join(5)
    assert shop.recent_products() is None
    fresh = shop.list_products()
    assert {p.sku: p.price.amount for p in fresh}["TAZA"] == Decimal("9900")
