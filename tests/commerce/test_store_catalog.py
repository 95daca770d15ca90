"""Catalog sync and the owner's edits: stock never drops below what is committed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from store_helpers import ANA, buy, catalog

from commerce import errors
from commerce.money import Money
from commerce.store import Store, canonical_variant_key
from commerce.views import ProductSpec, VariantSpec


def test_sync_creates_products_and_variants(store: Store) -> None:
    views = store.sync_catalog(catalog())
    assert [v.sku for v in views] == ["TAZA", "REM", "STICK"]
    taza, rem, stick = views
    assert taza.price == Money(Decimal("8500"), "ARS")
    assert (taza.stock, taza.available, taza.aliases) == (5, 5, ("mug",))
    assert stick.price.amount == Decimal("2500.50")
    assert stick.max_per_viewer == 3
    assert [v.key for v in rem.variants] == ["color=negro,talle=M", "color=negro,talle=L"]
    assert rem.variants[0].price == rem.price
    assert rem.variants[1].price == Money(Decimal("16500"), "ARS")
    assert rem.stock == 5 and rem.available == 5
    assert store.get_product("REM") == rem


def test_sync_is_an_upsert(shop: Store) -> None:
    specs = catalog()
    specs[0] = replace(specs[0], name="Taza grande", price=Decimal("9000"), stock=8)
    specs[1] = replace(
        specs[1],
        variants=(
            VariantSpec({"Talle": "M", "Color": "negro"}, stock=4),
            VariantSpec({"talle": "S", "color": "negro"}, stock=1),
        ),
    )
    taza, rem, _ = shop.sync_catalog(specs)
    assert (taza.name, taza.price.amount, taza.stock) == ("Taza grande", Decimal("9000.00"), 8)
    assert {v.key: v.stock for v in rem.variants} == {
        "color=negro,talle=M": 4,
        "color=negro,talle=S": 1,
    }
    assert rem.stock == 5
    assert len(shop.list_products()) == 3


def test_sync_never_lowers_stock_below_committed(shop: Store) -> None:
    buy(shop, "TAZA", 3)
    specs = catalog()
    specs[0] = replace(specs[0], stock=2)
    with pytest.raises(errors.StockBelowCommitted) as caught:
        shop.sync_catalog(specs)
    assert (caught.value.requested, caught.value.committed) == (2, 3)
    assert shop.get_product("TAZA").stock == 5  # the whole sync rolled back
    specs[0] = replace(specs[0], stock=3)
    assert shop.sync_catalog(specs)[0].available == 0


def test_sync_rejects_prices_the_currency_cannot_express(store: Store) -> None:
    spec = ProductSpec("X", "X", Decimal("10.5"), "CLP", stock=1)
    with pytest.raises(errors.InvalidAmount):
        store.sync_catalog([spec])
    assert store.list_products() == []


def test_variant_keys_are_canonical() -> None:
    assert canonical_variant_key({"Talle": " M", "color": "Rojo"}) == "color=Rojo,talle=M"


def test_get_product_unknown_and_case_insensitive(shop: Store) -> None:
    with pytest.raises(errors.ProductNotFound):
        shop.get_product("NOPE")
    assert shop.get_product("taza").sku == "TAZA"


def test_set_stock(shop: Store) -> None:
    assert shop.set_stock("TAZA", 9).available == 9
    buy(shop, "TAZA", 2)
    with pytest.raises(errors.StockBelowCommitted):
        shop.set_stock("TAZA", 1)
    with pytest.raises(errors.StockBelowCommitted):
        shop.set_stock("TAZA", -1)
    assert shop.set_stock("TAZA", 2).available == 0


def test_set_stock_on_variants(shop: Store) -> None:
    with pytest.raises(errors.VariantRequired):
        shop.set_stock("REM", 10)
    rem = shop.set_stock("REM", 10, "color=negro,talle=M")
    assert rem.stock == 12 and rem.variants[0].stock == 10
    with pytest.raises(errors.VariantNotFound):
        shop.set_stock("REM", 1, "talle=XL,color=negro")
    buy(shop, "REM", 2, "talle=L,color=negro")
    with pytest.raises(errors.StockBelowCommitted):
        shop.set_stock("REM", 1, "color=negro,talle=L")


def test_set_price(shop: Store) -> None:
    assert shop.set_price("TAZA", Decimal("9999.99")).price.amount == Decimal("9999.99")
    rem = shop.set_price("REM", Decimal("17000"), "color=negro,talle=M")
    assert rem.variants[0].price.amount == Decimal("17000")
    assert rem.price.amount == Decimal("15000")
    for bad in (Decimal("0"), Decimal("-1"), Decimal("1.001")):
        with pytest.raises(errors.InvalidAmount):
            shop.set_price("TAZA", bad)
    order = buy(shop, "TAZA")
    assert order.total.amount == Decimal("9999.99")


def test_set_active_blocks_sales(shop: Store) -> None:
    assert shop.set_active("TAZA", False).active is False
    assert [p.sku for p in shop.list_products()] == ["REM", "STICK"]
    assert len(shop.list_products(include_inactive=True)) == 3
    with pytest.raises(errors.ProductInactive):
        buy(shop, "TAZA")
    shop.set_active("TAZA", True)
    assert buy(shop, "TAZA").total.amount == Decimal("8500")


def test_open_and_closed(shop: Store) -> None:
    assert shop.is_open() is True
    shop.set_open(False)
    assert shop.is_open() is False
    with pytest.raises(errors.StoreClosed):
        buy(shop)
    shop.set_open(True)
    assert shop.is_open() is True
    buy(shop)


def test_claim_message_once(store: Store) -> None:
    assert store.claim_message("twitch", "m-1") is True
    assert store.claim_message("twitch", "m-1") is False
    assert store.claim_message("discord", "m-1") is True
    assert store.claim_message("twitch", "m-2") is True


def test_owner_views_are_snapshots(shop: Store) -> None:
    before = shop.get_product("TAZA")
    buy(shop, "TAZA", 2, viewer=ANA)
    assert before.available == 5
    assert shop.get_product("TAZA").available == 3
