"""`vivo products import` with a spreadsheet as a Latin American seller saves it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import owner_shop, vivo

from commerce.store import Store


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    owner_shop(tmp_path)
    return tmp_path


def product(workdir: Path, sku: str):  # type: ignore[no-untyped-def]
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    try:
        return store.get_product(sku)
    finally:
        store.close()


def test_an_excel_es_ar_csv_with_bom_semicolons_and_chat_prices(shop: Path) -> None:
    (shop / "productos.csv").write_bytes(
        "\ufeffCódigo;Nombre;Precio;Stock;Alias\r\n"
        "GORRA;Gorra bordada;3.500;12;gorra, cap\r\n"
        "BUZO;Buzo canguro;25.999,50;4;buzo\r\n"
        "LLAVERO;Llavero;$ 1500;30;\r\n".encode()
    )
    ran = vivo(shop, "products", "import", "productos.csv")
    assert ran.code == 0, ran.err
    assert "3 new" in ran.out
    gorra = product(shop, "GORRA")
    assert (str(gorra.price.amount), gorra.stock, gorra.aliases) == (
        "3500.00",
        12,
        ("gorra", "cap"),
    )
    assert str(product(shop, "BUZO").price.amount) == "25999.50"
    assert str(product(shop, "LLAVERO").price.amount) == "1500.00"


def test_a_latin1_csv_keeps_its_accents(shop: Path) -> None:
    (shop / "viejo.csv").write_bytes(
        'sku,nombre,precio,stock\nTAZA-2,Taza cerámica,"8.500",3\n'.encode("cp1252")
    )
    ran = vivo(shop, "products", "import", "viejo.csv")
    assert ran.code == 0, ran.err
    assert product(shop, "TAZA-2").name == "Taza cerámica"


def test_rows_with_a_variant_column_become_variants(shop: Path) -> None:
    (shop / "remeras.csv").write_text(
        "sku;nombre;precio;stock;variante\n"
        "REM-2;Remera lisa;15.000;5;talle=M\n"
        "REM-2;Remera lisa;15.000;2;talle=L\n"
        "REM-2;Remera lisa;16.500;1;talle=XL\n",
        encoding="utf-8",
    )
    ran = vivo(shop, "products", "import", "remeras.csv")
    assert ran.code == 0, ran.err
    rem = product(shop, "REM-2")
    assert {v.key: (v.stock, str(v.price.amount)) for v in rem.variants} == {
        "talle=M": (5, "15000.00"),
        "talle=L": (2, "15000.00"),
        "talle=XL": (1, "16500.00"),
    }


def test_every_problem_is_named_by_line_and_column_and_nothing_is_imported(shop: Path) -> None:
    (shop / "malo.csv").write_text(
        "sku;nombre;precio;stock\nA1;Uno;doce;3\nA2;;100;x\nA3;Tres;-5;1\nA1;Uno otra vez;100;1\n",
        encoding="utf-8",
    )
    ran = vivo(shop, "products", "import", "malo.csv")
    assert ran.code == 1
    assert "nothing was imported" in ran.err
    for expected in (
        "malo.csv:2 column precio: 'doce' is not a price",
        "malo.csv:3 column nombre: empty name",
        "malo.csv:3 column stock: 'x' is not a whole number",
        "malo.csv:4 column precio: '-5' a price cannot be negative",
        "malo.csv:5 column sku: sku A1 is also on line 2",
    ):
        assert expected in ran.err
    assert "Traceback" not in ran.err
    assert "A2" not in vivo(shop, "products", "list").out


def test_missing_columns_say_which_and_what_was_found(shop: Path) -> None:
    (shop / "cols.csv").write_text("codigo;titulo;stock\nX;Y;1\n", encoding="utf-8")
    ran = vivo(shop, "products", "import", "cols.csv")
    assert ran.code == 1
    assert "no column for name, price (found: codigo, titulo, stock)" in ran.err


def test_a_missing_file_is_a_sentence_not_a_traceback(shop: Path) -> None:
    ran = vivo(shop, "products", "import", "no-existe.csv")
    assert ran.code == 1
    assert "no-existe.csv" in ran.err and "file not found" in ran.err
    assert "Traceback" not in ran.err
