"""The database owns the catalog: seeding adds only new SKUs; imports are previewed and explicit."""

from __future__ import annotations

import threading
from dataclasses import replace
from decimal import Decimal

from store_helpers import buy, catalog

from commerce.imports import ChangeKind
from commerce.store import Store
from commerce.views import ProductSpec, VariantSpec


def test_seed_adds_products_with_their_variants(store: Store) -> None:
    assert store.seed_catalog(catalog()) == ["TAZA", "REM", "STICK"]
    rem = store.get_product("REM")
    assert {v.key: v.stock for v in rem.variants} == {
        "color=negro,talle=M": 3,
        "color=negro,talle=L": 2,
    }
    assert rem.stock == 5


def test_seed_never_changes_what_the_owner_set(shop: Store) -> None:
    shop.set_stock("TAZA", 30)
    shop.set_price("STICK", Decimal("3000"))
    shop.set_active("REM", False)
    buy(shop, "TAZA", 2)
    specs = catalog()  # the file still says TAZA stock 5, STICK 2500.50, REM active
    assert shop.seed_catalog(specs) == []
    taza = shop.get_product("TAZA")
    assert (taza.stock, taza.available) == (30, 28)
    assert shop.get_product("STICK").price.amount == Decimal("3000")
    assert shop.get_product("REM").active is False


def test_seed_after_owner_lowered_stock_keeps_the_lower_figure(shop: Store) -> None:
    shop.set_stock("TAZA", 3)
    shop.seed_catalog(catalog())
    assert shop.get_product("TAZA").stock == 3


def test_seed_adds_new_skus_next_to_existing_ones(shop: Store) -> None:
    shop.set_stock("TAZA", 9)
    gorra = ProductSpec("GORRA", "Gorra", Decimal("9000"), "ARS", stock=4)
    assert shop.seed_catalog([*catalog(), gorra]) == ["GORRA"]
    assert shop.get_product("GORRA").available == 4
    assert shop.get_product("TAZA").stock == 9


def test_seeding_from_many_threads_at_once_creates_each_product_once(store: Store) -> None:
    errors: list[BaseException] = []
    added: list[list[str]] = []

    def seed() -> None:
        try:
            added.append(store.seed_catalog(catalog()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=seed) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(sku for batch in added for sku in batch) == ["REM", "STICK", "TAZA"]
    assert len(store.list_products(include_inactive=True)) == 3


def test_import_plan_lists_every_change_and_applies_nothing_on_dry_run(shop: Store) -> None:
    specs = catalog()
    specs[0] = replace(specs[0], price=Decimal("9000"), stock=8, name="Taza grande")
    specs[1] = replace(
        specs[1],
        variants=(
            VariantSpec({"talle": "M", "color": "negro"}, stock=6),
            VariantSpec({"talle": "S", "color": "negro"}, stock=1, price=Decimal("14000")),
        ),
    )
    specs.append(ProductSpec("GORRA", "Gorra", Decimal("9000"), "ARS", stock=4))
    plan = shop.import_catalog(specs, apply=False)
    assert not plan.applied and plan.problems == ()
    by_sku = {p.sku: p for p in plan.products}
    assert by_sku["GORRA"].kind is ChangeKind.NEW
    assert by_sku["STICK"].kind is ChangeKind.UNCHANGED
    taza = {f.field: (f.before, f.after) for f in by_sku["TAZA"].fields}
    assert taza == {
        "name": ("Taza", "Taza grande"),
        "price": ("8500.00", "9000.00"),
        "stock": ("5", "8"),
    }
    rem = {f.field: (f.before, f.after) for f in by_sku["REM"].fields}
    assert rem["stock [color=negro,talle=M]"] == ("3", "6")
    assert rem["variant [color=negro,talle=S]"][0] == "—"
    assert rem["variant [color=negro,talle=L]"][1].startswith("removed")
    assert shop.get_product("TAZA").price.amount == Decimal("8500")
    assert shop.list_products()[-1].sku == "STICK"


def test_import_applies_the_file_when_asked(shop: Store) -> None:
    specs = catalog()
    specs[0] = replace(specs[0], price=Decimal("9000"), stock=8)
    plan = shop.import_catalog(specs)
    assert plan.applied
    taza = shop.get_product("TAZA")
    assert (taza.price.amount, taza.stock) == (Decimal("9000"), 8)


def test_import_refuses_stock_below_committed_naming_the_numbers(shop: Store) -> None:
    buy(shop, "TAZA", 4)
    buy(shop, "REM", 2, "talle=L,color=negro")
    specs = catalog()
    specs[0] = replace(specs[0], stock=3, price=Decimal("1"))
    specs[1] = replace(
        specs[1],
        variants=(
            VariantSpec({"talle": "M", "color": "negro"}, stock=3),
            VariantSpec({"talle": "L", "color": "negro"}, stock=1, price=Decimal("16500")),
        ),
    )
    plan = shop.import_catalog(specs)
    assert not plan.applied
    assert [str(p) for p in plan.problems] == [
        "TAZA: stock 3 is below the 4 unit(s) already reserved or sold; write at least 4",
        "REM [color=negro,talle=L]: stock 1 is below the 2 unit(s) already reserved or sold; "
        "write at least 2",
    ]
    taza = shop.get_product("TAZA")
    assert (taza.stock, taza.price.amount) == (5, Decimal("8500"))  # nothing applied
