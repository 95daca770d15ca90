"""The `vivo` command as an owner uses it between streams: init, check, products, orders."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from bots.cli.main import main
from commerce.store import Store
from commerce.views import LineRequest, ViewerRef

ENV = {"MP_ACCESS_TOKEN": "TEST-cli", "MP_WEBHOOK_SECRET": "cli-secret"}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert main(["init"]) == 0
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_a_config_and_refuses_to_overwrite(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (workdir / "config.toml").read_text(encoding="utf-8").startswith("# Vivo")
    code, _, err = run(capsys, "init")
    assert code == 1 and "--force" in err


def test_check_accepts_the_example(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert "4 products" in out and "console" in out


def test_check_names_the_key_and_the_fix(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('currency = "ARS"', 'currency = "EUR"'),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check")
    assert code == 2
    assert "store.currency" in err and "use one of" in err


def test_check_without_the_secret_in_the_environment(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MP_ACCESS_TOKEN")
    code, _, err = run(capsys, "check")
    assert code == 2
    assert "payments.mercadopago.access_token" in err and "MP_ACCESS_TOKEN" in err


def test_products_list_add_set_stock_and_import(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0
    code, out, _ = run(capsys, "products", "add", "GORRA", "Gorra Vivo", "9000", "--stock", "4")
    assert code == 0 and "GORRA" in out and "4/4" in out
    code, out, _ = run(capsys, "products", "set-stock", "GORRA", "10")
    assert code == 0 and "10/10" in out
    (workdir / "more.csv").write_text(
        "sku,name,price,stock,aliases\nBOLSA,Bolsa de tela,4500,7,bolsa|tote\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "products", "import", "more.csv")
    assert code == 0 and "1 new" in out and "+ BOLSA" in out
    code, out, _ = run(capsys, "products", "list")
    assert "GORRA" in out and "BOLSA" in out and "7/7" in out
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    assert store.get_product("BOLSA").aliases == ("bolsa", "tote")
    store.close()


def test_set_stock_below_reserved_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "products", "add", "GORRA", "Gorra Vivo", "9000", "--stock", "4")
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    store.reserve(
        ViewerRef("console", "ana", "ana"),
        "c",
        [LineRequest("GORRA", 3)],
        ttl=timedelta(minutes=15),
    )
    store.close()
    code, _, err = run(capsys, "products", "set-stock", "GORRA", "2")
    assert code == 1 and "GORRA" in err
    code, out, _ = run(capsys, "products", "list")
    assert "1/4" in out


def test_orders_list_show_and_export(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "products", "add", "GORRA", "Gorra Vivo", "9000", "--stock", "4")
    store = Store(f"sqlite:///{workdir / 'vivo.db'}")
    order = store.reserve(
        ViewerRef("twitch", "1", "ana"), "c", [LineRequest("GORRA", 2)], ttl=timedelta(minutes=15)
    )
    store.close()
    code, out, _ = run(capsys, "orders", "list")
    assert code == 0 and order.code in out and "pending" in out
    code, out, _ = run(capsys, "orders", "show", order.code.lower())
    assert code == 0 and "2 × Gorra Vivo" in out
    code, out, _ = run(capsys, "orders", "export", "--csv", "-")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1
    assert rows[0]["code"] == order.code
    assert rows[0]["quantity"] == "2"
    assert rows[0]["order_total"] == "18000.00"
    code, _, err = run(capsys, "orders", "show", "NOPE123456")
    assert code == 1 and "NOPE123456" in err


def test_check_finds_a_platform_that_cannot_start(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWITCH_CLIENT_ID", "cid")
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", "secret")
    config = workdir / "config.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[platforms.twitch]")
    config.write_text(
        text[:start] + text[start:].replace("enabled = false", "enabled = true", 1),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check")
    assert code == 2
    assert "platforms.twitch" in err and "vivo auth twitch" in err
