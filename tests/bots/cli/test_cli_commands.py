"""The `vivo` command's own manners: every action in its group's help, no silent overwrite,
no traceback when its output is cut short."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cli_helpers import ENV, VIVO, owner_shop, vivo

from commerce.store import Store
from commerce.views import LineRequest, ProductSpec, ViewerRef


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    owner_shop(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("group", "actions"),
    [
        ("products", ["list", "add", "set-stock", "import"]),
        (
            "orders",
            ["list", "show", "export", "refund", "ship", "delivered", "ready", "picked-up"],
        ),
        ("buyers", ["forget"]),
        ("payments", ["sync"]),
        ("auth", ["twitch", "youtube"]),
        ("db", ["upgrade"]),
    ],
)
def test_every_action_is_in_its_groups_help(tmp_path: Path, group: str, actions: list[str]) -> None:
    for argv, code in (([group, "--help"], 0), ([group], 2)):
        ran = vivo(tmp_path, *argv)
        assert ran.code == code, (argv, ran.err)
        shown = ran.out + ran.err
        assert f"vivo {group}" in shown  # the group's own help, not the top-level one
        for action in actions:
            assert f"    {action}" in shown, (argv, action, shown)


def test_add_refuses_an_existing_sku_and_updates_only_when_asked(shop: Path) -> None:
    assert vivo(shop, "products", "add", "GORRA", "Gorra Vivo", "12.000", "--stock", "10").code == 0
    again = vivo(shop, "products", "add", "GORRA", "Otra cosa", "100")
    assert again.code == 1
    assert "GORRA already exists" in again.err and "--update" in again.err
    listed = vivo(shop, "products", "list").out
    assert "Gorra Vivo" in listed and "$ 12.000,00" in listed and "10/10" in listed
    updated = vivo(
        shop, "products", "add", "GORRA", "Gorra nueva", "13000", "--stock", "8", "--update"
    )
    assert updated.code == 0 and "Gorra nueva" in updated.out and "8/8" in updated.out


def test_add_reads_the_price_as_the_chat_does(shop: Path) -> None:
    ran = vivo(shop, "products", "add", "BUZO", "Buzo", "25.999,50", "--stock", "1")
    assert ran.code == 0 and "$ 25.999,50" in ran.out
    bad = vivo(shop, "products", "add", "MAL", "Mal", "mucho")
    assert bad.code != 0 and "'mucho' is not a price" in bad.err and "Traceback" not in bad.err


def test_export_into_a_pipe_that_closes_early_is_quiet(shop: Path) -> None:
    store = Store(f"sqlite:///{shop / 'vivo.db'}")
    store.seed_catalog([ProductSpec("PIN", "Pin", Decimal("500"), "ARS", stock=2000)])
    for n in range(1500):  # ~150 KB of CSV: more than a pipe holds
        store.reserve(
            ViewerRef("console", f"v{n}", f"viewer-number-{n}"),
            "c",
            [LineRequest("PIN", 1)],
            ttl=timedelta(minutes=15),
        )
    store.close()
    proc = subprocess.Popen(
        [str(VIVO), "orders", "export", "--csv", "-"],
        cwd=shop,
        env={**os.environ, **ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    header = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert header.startswith(b"code,status")
    assert "BrokenPipeError" not in err and "Traceback" not in err and err == ""


def test_store_commands_need_no_payment_credentials(shop: Path) -> None:
    no_token = {"MP_ACCESS_TOKEN": "", "MP_WEBHOOK_SECRET": "", "DISCORD_TOKEN": ""}
    config = shop / "config.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[platforms.discord]")
    config.write_text(
        text[:start] + text[start:].replace("enabled = false", "enabled = true", 1),
        encoding="utf-8",
    )
    assert vivo(shop, "run").code == 2  # the bot itself does need them…
    assert vivo(shop, "db", "upgrade").code == 0
    assert vivo(shop, "products", "add", "PIN", "Pin", "500", env=no_token).code == 0
    listed = vivo(shop, "products", "list", env=no_token)
    assert listed.code == 0 and "PIN" in listed.out, listed.err
    assert vivo(shop, "orders", "list", env=no_token).code == 0
    refund = vivo(shop, "orders", "refund", "NOPE123456", env=no_token)
    assert refund.code == 2 and "MP_ACCESS_TOKEN" in refund.err  # …and so does a refund


def test_export_writes_a_formula_looking_name_as_text(shop: Path) -> None:
    store = Store(f"sqlite:///{shop / 'vivo.db'}")
    store.seed_catalog([ProductSpec("PIN", "Pin", Decimal("500"), "ARS", stock=5)])
    store.reserve(
        ViewerRef("twitch", "u9", '=HYPERLINK("http://x","y")'),
        "c",
        [LineRequest("PIN", 1)],
        ttl=timedelta(minutes=15),
    )
    store.close()
    ran = vivo(shop, "orders", "export", "--csv", "-")
    assert ran.code == 0
    [row] = list(csv.DictReader(io.StringIO(ran.out)))
    assert row["viewer"] == '\'=HYPERLINK("http://x","y")' and row["sku"] == "PIN"
