"""`vivo demo`, scripted through stdin as a newcomer's terminal would drive it.

This runs the real CLI in a subprocess: the sandbox, the official MercadoPago SDK, the web
app receiving signed webhooks, the store on a fresh SQLite file, the console adapter.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from adapters.console import LOCAL_COMMANDS
from bots.chat.i18n import Messages
from bots.runtime.demo import CONSOLE_HELP
from commerce.store import Store
from commerce.views import OrderStatus

ROOT = Path(__file__).resolve().parents[3]


def run_demo(lines: list[str], timeout: float = 90) -> tuple[str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "bots.cli", "demo"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def demo_store(stderr: str) -> Store:
    match = re.search(r"Store \(fresh SQLite\):\s+(\S+)", stderr)
    assert match, stderr
    return Store(f"sqlite:///{match.group(1)}")


def test_buy_pay_and_get_thanked_in_chat() -> None:
    out, err = run_demo(["!tienda", "!comprar remera M", "/pagar", "!pedido"])
    assert "Remera Vivo" in out  # the catalog
    link_lines = [line for line in out.splitlines() if "(privado)" in line]
    assert link_lines and re.search(r"http://127\.0\.0\.1:\d+/p/[A-Z0-9]+", link_lines[0])
    assert "(checkout de MercadoPago sandbox: pagando…)" in out

    store = demo_store(err)
    orders = store.viewer_orders("console", "ana")
    assert len(orders) == 1
    order = orders[0]
    assert order.status is OrderStatus.PAID
    assert [(line.sku, line.variant_key, line.quantity) for line in order.lines] == [
        ("REM-VIVO", "talle=M", 1)
    ]
    product = store.get_product("REM-VIVO")
    medium = next(v for v in product.variants if v.key == "talle=M")
    assert medium.available == medium.stock - 1

    thanks = Messages().t(
        "es", "order_paid_thanks", name="ana", product="Remera Vivo", code=order.code
    )
    after_payment = out.split("ana: /pagar", 1)[1]
    assert thanks in after_payment
    store.close()


def test_bad_input_gets_replies_and_changes_nothing() -> None:
    lines = [
        "!comprar",
        "!comprar xyz",
        "!comprar remera 0",
        "!comprar remera 99999",
        "!propina -5",
        "!propina abc",
        "!comprar " + "a" * 5000,
        "¡¿ 漢字 🎉 \u202e !!! \x00",
        "!stock remera 100",
    ]
    # a different viewer per line, so the per-viewer cooldown stays out of the way
    script = [part for i, line in enumerate(lines) for part in (f"/como v{i}", line)]
    out, err = run_demo(script)
    replies = [line for line in out.splitlines() if line.startswith("bot")]
    # every command line got an answer; the unicode line is not a command
    assert len(replies) >= len(lines) - 1
    store = demo_store(err)
    for i in range(len(lines)):
        assert store.viewer_orders("console", f"v{i}") == []
    assert store.list_tips() == []
    remera = store.get_product("REM-VIVO")
    assert remera.available == remera.stock
    assert remera.stock == 22  # the example's variants: 5 + 8 + 6 + 3
    store.close()


def test_the_banner_lists_every_console_command() -> None:
    banner = "\n".join(CONSOLE_HELP)
    missing = [word for word in LOCAL_COMMANDS if not re.search(f"{word}\\b", banner)]
    assert missing == []


def test_the_example_plugins_command_in_the_demo_console(tmp_path: Path) -> None:
    """`vivo demo --config` with vivo_envios enabled: its command answers like ours."""
    config = tmp_path / "config.toml"
    config.write_text(
        (ROOT / "config.example.toml").read_text(encoding="utf-8")
        + '\n[plugins]\nenabled = ["vivo_envios"]\n\n'
        + '[plugins.vivo_envios]\nrates = { "1" = 2500, "50" = 3900 }\n',
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "bots.cli", "demo", "--config", str(config)],
        # one viewer each: the cooldown would answer a second command within 2 s
        input="!envio 5000\n/como beto\n!shipping C1425ABC\n/como caio\n!envio 9\n",
        capture_output=True,
        text=True,
        timeout=90,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    quotes = [
        line for line in proc.stdout.splitlines() if "envío a" in line or "Shipping to" in line
    ]
    assert any("El envío a 5000 cuesta" in line and "3.900" in line for line in quotes), proc.stdout
    assert any("Shipping to C1425ABC costs" in line and "2,500" in line for line in quotes)
    assert "«9» no parece un código postal" in proc.stdout
