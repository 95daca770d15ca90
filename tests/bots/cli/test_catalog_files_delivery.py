"""Product files (CSV and TOML) carry each product's delivery method and digital extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.cli.catalog_files import ProductFileError, read_csv, read_products


def test_csv_delivery_columns_in_spanish() -> None:
    text = (
        "codigo;nombre;precio;stock;entrega;cola;texto de entrega\n"
        "REM;Remera;15000;5;envío;;\n"
        "MATE;Mate;9000;3;Retiro;;\n"
        "SAL;Saludo;5000;30;digital;si;\n"
        "EB;Ebook;1000;99;digital;;https://example.com/e\n"
        "TAZA;Taza;8500;5;;;\n"
    )
    specs = {s.sku: s for s in read_csv(text, "ARS")}
    assert {k: s.delivery_method for k, s in specs.items()} == {
        "REM": "ship",
        "MATE": "pickup",
        "SAL": "digital",
        "EB": "digital",
        "TAZA": "ship",
    }
    assert specs["SAL"].queue and specs["SAL"].digital
    assert specs["EB"].deliver_text == "https://example.com/e"


def test_csv_bad_delivery_names_the_line_and_column() -> None:
    text = "sku,name,price,entrega,cola\nA,A,10,avion,\nB,B,10,envio,si\n"
    with pytest.raises(ProductFileError) as caught:
        read_csv(text, "ARS", name="p.csv")
    problems = caught.value.problems
    assert any("p.csv:2 column entrega" in p and "envio, retiro or digital" in p for p in problems)
    assert any("p.csv:3" in p and "needs digital" in p for p in problems)


def test_toml_files_take_the_config_keys(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[[products]]\nsku = "M"\nname = "Mate"\nprice = "9000"\ndelivery = "pickup"\n',
        encoding="utf-8",
    )
    assert read_products(path, "ARS")[0].delivery_method == "pickup"
