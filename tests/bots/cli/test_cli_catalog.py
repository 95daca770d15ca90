"""The catalog is the database's: restarts keep the owner's figures; files win only on import.

Driven through the real `vivo` executable, as the owner uses it between streams."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from cli_helpers import Ran, owner_config, owner_shop, vivo

from commerce.store import Store
from commerce.views import LineRequest, ViewerRef
from tests.pg import fresh_database


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    owner_shop(tmp_path)
    return tmp_path


def stock_line(ran: Ran, sku: str) -> str:
    return next(line for line in ran.out.splitlines() if line.startswith(sku))


def reserve(workdir: Path, sku: str, quantity: int) -> None:
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    try:
        for n in range(quantity):
            store.reserve(
                ViewerRef("console", f"v{n}", f"v{n}"),
                "c",
                [LineRequest(sku)],
                ttl=timedelta(minutes=15),
            )
    finally:
        store.close()


def test_a_restart_after_set_stock_keeps_the_owners_stock(shop: Path) -> None:
    first = vivo(shop, "run")
    assert first.code == 0, first.err
    assert vivo(shop, "products", "set-stock", "TAZA-01", "30").code == 0
    reserve(shop, "TAZA-01", 20)
    again = vivo(shop, "run")
    assert again.code == 0, again.err
    assert "Traceback" not in again.err
    assert "TAZA-01" in again.err and "vivo products import config.toml" in again.err
    assert stock_line(vivo(shop, "products", "list"), "TAZA-01").endswith("10/30")


def test_a_restart_after_lowering_stock_does_not_resell_broken_units(shop: Path) -> None:
    assert vivo(shop, "run").code == 0
    assert vivo(shop, "products", "set-stock", "TAZA-01", "3").code == 0
    assert vivo(shop, "run").code == 0
    assert stock_line(vivo(shop, "products", "list"), "TAZA-01").endswith("3/3")


def test_a_new_product_in_the_file_is_added_on_restart(shop: Path) -> None:
    vivo(shop, "run")
    config = shop / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + '\n[[products]]\nsku = "GORRA"\nname = "Gorra"\nprice = "9000"\nstock = 4\n',
        encoding="utf-8",
    )
    assert vivo(shop, "run").code == 0
    assert stock_line(vivo(shop, "products", "list"), "GORRA").endswith("4/4")


def test_import_previews_then_applies_the_file(shop: Path) -> None:
    vivo(shop, "run")
    vivo(shop, "products", "set-stock", "TAZA-01", "30")
    dry = vivo(shop, "products", "import", "config.toml", "--dry-run")
    assert dry.code == 0, dry.err
    assert "~ TAZA-01" in dry.out and "stock 30 → 20" in dry.out
    assert "= STICK-PACK" in dry.out and "nothing was changed" in dry.out
    assert stock_line(vivo(shop, "products", "list"), "TAZA-01").endswith("30/30")
    applied = vivo(shop, "products", "import", "config.toml")
    assert applied.code == 0 and "1 changed" in applied.out
    assert stock_line(vivo(shop, "products", "list"), "TAZA-01").endswith("20/20")


def test_import_refuses_stock_below_what_is_reserved(shop: Path) -> None:
    vivo(shop, "run")
    vivo(shop, "products", "set-stock", "TAZA-01", "30")
    reserve(shop, "TAZA-01", 25)
    ran = vivo(shop, "products", "import", "config.toml")
    assert ran.code == 1
    assert "TAZA-01: stock 20 is below the 25 unit(s) already reserved or sold" in ran.err
    assert "nothing was changed" in ran.err
    assert stock_line(vivo(shop, "products", "list"), "TAZA-01").endswith("5/30")


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    with fresh_database("vivo_cli") as url:
        yield url


def test_four_processes_start_at_once_on_a_fresh_postgres(tmp_path: Path, fresh_pg: str) -> None:
    owner_config(tmp_path, database_url=fresh_pg)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(lambda _: vivo(tmp_path, "run"), range(4)))
    for ran in runs:
        assert ran.code == 0, ran.err
        assert "Traceback" not in ran.err and "UniqueViolation" not in ran.err
    listed = vivo(tmp_path, "products", "list")
    skus = [line.split()[0] for line in listed.out.splitlines() if not line.startswith(" ")]
    assert skus == ["REM-VIVO", "TAZA-01", "STICK-PACK", "SALUDO"]
