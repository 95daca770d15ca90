"""`vivo payments sync` and `vivo orders refund` against the stand-in, through the SDK."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bots.cli.main import main
from bots.runtime.events import EventBus
from bots.runtime.links import LinkService
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

TOKEN = "TEST-cli-token"


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(SandboxConfig(mp_access_token=TOKEN)) as running:
        yield running


async def test_sync_then_partial_and_full_refund(
    tmp_path: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "vivo.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
database_url = "sqlite:///{db}"
[payments.mercadopago]
access_token = "{TOKEN}"
endpoint = "{sandbox.url}/mercadopago"
"""
    )
    store = Store(f"sqlite:///{db}")
    store.migrate()
    store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=1)])
    provider = MercadoPagoProvider(TOKEN, None, endpoint=f"{sandbox.url}/mercadopago")
    links = LinkService(store, provider, EventBus(), store_name="CLI")
    mp = sandbox.mercadopago

    def order(user: str) -> OrderView:
        made = store.reserve(
            ViewerRef("console", user, user), "c", [LineRequest("TAZA")], ttl=timedelta(minutes=15)
        )
        link = provider.create_link(links._order_request(made))
        return store.set_order_link(made.code, link.url, link.preference_id)

    async def vivo(*argv: str) -> tuple[int, str]:
        code = await asyncio.to_thread(main, [*argv, "--config", str(config)])
        return code, capsys.readouterr().out

    # A lapsed order whose unit was sold to someone else, then paid late: flagged, not lost.
    late = await asyncio.to_thread(order, "ana")
    store.expire_due(now=datetime.now(UTC) + timedelta(hours=1))
    sold = await asyncio.to_thread(order, "beto")
    mp.pay(mp.preferences[str(sold.preference_id)])
    mp.pay(mp.preferences[str(late.preference_id)])

    code, out = await vivo("payments", "sync")
    assert code == 0
    assert f"{sold.code}  order_paid" in out and f"{late.code}  refund_needed" in out
    assert store.get_order(late.code).needs_refund
    code, out = await vivo("payments", "sync")
    assert (code, out.strip()) == (0, "0 change(s)")

    code, out = await vivo("orders", "refund", late.code)
    assert code == 0
    assert not store.get_order(late.code).needs_refund
    late_payment = next(p for p in mp.payments.values() if p["external_reference"] == late.code)
    assert late_payment["status"] == "refunded"

    # A partial refund: the buyer keeps the mug, the order stays paid.
    code, out = await vivo("orders", "refund", sold.code, "--amount", "1000")
    assert code == 0 and "refunded" in out
    assert store.get_order(sold.code).status is OrderStatus.PAID
    payment = next(p for p in mp.payments.values() if p["external_reference"] == sold.code)
    assert (payment["status"], payment["transaction_amount_refunded"]) == ("approved", 1000)

    # The rest: the order is refunded and the unit is back in stock.
    code, out = await vivo("orders", "refund", sold.code)
    assert code == 0
    assert store.get_order(sold.code).status is OrderStatus.REFUNDED
    assert store.get_product("TAZA").available == 1
    assert payment["status"] == "refunded"
    assert payment["transaction_amount_refunded"] == 8500

    # Nothing left to give back: refused, MercadoPago untouched.
    refunds = len(payment["refunds"])
    code, _ = await vivo("orders", "refund", sold.code)
    assert code == 1 and len(payment["refunds"]) == refunds
    store.close()


VIVO = Path(sys.executable).with_name("vivo")  # the installed console script, as owners run it


async def run_vivo(*argv: str) -> tuple[int, str, str]:
    """The real `vivo` executable in its own process; the stand-in keeps serving meanwhile."""
    proc = await asyncio.create_subprocess_exec(
        str(VIVO), *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_refunds_finer_than_the_currency_are_refused_and_partial_says_so(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    db = tmp_path / "vivo.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
database_url = "sqlite:///{db}"
[payments.mercadopago]
access_token = "{TOKEN}"
endpoint = "{sandbox.url}/mercadopago"
"""
    )
    store = Store(f"sqlite:///{db}")
    store.migrate()
    store.sync_catalog(
        [
            ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=1),
            ProductSpec("GORRA", "Gorra", Decimal("9900"), "CLP", stock=1),
        ]
    )
    provider = MercadoPagoProvider(TOKEN, None, endpoint=f"{sandbox.url}/mercadopago")
    links = LinkService(store, provider, EventBus(), store_name="CLI")
    mp = sandbox.mercadopago

    def paid(sku: str) -> tuple[OrderView, dict[str, Any]]:
        made = store.reserve(
            ViewerRef("console", sku, sku), "c", [LineRequest(sku)], ttl=timedelta(minutes=15)
        )
        link = provider.create_link(links._order_request(made))
        order = store.set_order_link(made.code, link.url, link.preference_id)
        return order, mp.pay(mp.preferences[link.preference_id])

    async def refund(code: str, amount: str) -> tuple[int, str, str]:
        return await run_vivo("orders", "refund", code, "--amount", amount, "-c", str(config))

    ars, ars_payment = await asyncio.to_thread(paid, "TAZA")
    clp, clp_payment = await asyncio.to_thread(paid, "GORRA")
    assert (await run_vivo("payments", "sync", "-c", str(config)))[0] == 0

    # Today 0.005 ARS went back as 0.01 and 100.5 CLP as 101, each "in full".
    code, out, err = await refund(ars.code, "0.005")
    assert code == 1 and out == ""
    assert "0.005 ARS is finer than the smallest unit of ARS, 0.01" in err
    code, out, err = await refund(clp.code, "100.5")
    assert code == 1 and out == ""
    assert "100.5 CLP is finer than the smallest unit of CLP, 1" in err
    assert ars_payment["refunds"] == [] and clp_payment["refunds"] == []

    code, out, _ = await refund(ars.code, "0.01")
    assert code == 0
    assert "partial" in out and "in full" not in out
    assert [r["amount"] for r in ars_payment["refunds"]] == [Decimal("0.01")]
    code, out, _ = await refund(clp.code, "100")
    assert code == 0
    assert "partial" in out and "in full" not in out
    assert [r["amount"] for r in clp_payment["refunds"]] == [Decimal("100")]
    assert store.get_order(clp.code).status is OrderStatus.PAID

    # What is left, asked for exactly: the payment is refunded in full, and said so.
    code, out, _ = await refund(clp.code, "9800")
    assert code == 0
    assert "in full" in out and "partial" not in out
    assert clp_payment["status"] == "refunded"
    assert store.get_order(clp.code).status is OrderStatus.REFUNDED
    store.close()
