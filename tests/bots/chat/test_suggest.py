"""Autocomplete from the store: product names first, then the chosen product's variants."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.chat.suggest import make_suggest
from bots.config import load_config
from commerce.store import Store

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    config = load_config(ROOT / "config.example.toml", {"MP_ACCESS_TOKEN": "x"})
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.migrate()
    store.sync_catalog(list(config.products))
    return store


async def test_products_match_name_sku_or_alias_without_accents(store: Store) -> None:
    suggest = make_suggest(store)
    assert await suggest("comprar", "rem") == ["Remera Vivo"]
    assert await suggest("comprar", "MUG") == ["Taza del stream"]
    assert await suggest("comprar", "sáludo") == ["Saludo personalizado"]
    assert len(await suggest("comprar", "")) == 4


async def test_variants_of_the_chosen_product_in_stock_only(store: Store) -> None:
    suggest = make_suggest(store)
    assert sorted(await suggest("comprar Remera Vivo", "")) == ["L", "M", "S", "XL"]
    store.set_stock("REM-VIVO", 0, "talle=XL")
    assert "XL" not in await suggest("comprar remera", "")
    assert await suggest("comprar remera", "x") == []
    assert await suggest("comprar nada", "") == []


async def test_sold_out_products_are_not_offered(store: Store) -> None:
    store.set_stock("TAZA-01", 0)
    assert await make_suggest(store)("comprar", "taza") == []
