"""Pedidos: filters and search, an order's page and history, actions, the streamed CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from panel_helpers import Browser, Served, serve_panel

from bots.runtime.events import EventBus, LinkReady, OrderRefunded, StockChanged
from bots.runtime.links import LinkService
from bots.runtime.services import Settings
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.reports import OrderQuery
from commerce.sessions import PanelRole
from commerce.views import LineRequest, OrderStatus, OrderView, PaymentReport, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

ANA = ViewerRef("twitch", "u1", "Ana Paula")
BETO = ViewerRef("youtube", "u2", "beto")
TTL = timedelta(minutes=15)


_CHANNELS = itertools.count(1)


def buy(
    store: Any, viewer: ViewerRef, sku: str = "TAZA", quantity: int = 1, **kw: Any
) -> OrderView:
    """A separate order each time: a channel of its own, so it joins no pending cart."""
    channel = f"canal-{next(_CHANNELS)}"
    view: OrderView = store.reserve(viewer, channel, [LineRequest(sku, quantity)], ttl=TTL, **kw)
    return view


def pay(store: Any, order: OrderView) -> None:
    store.record_payment(
        PaymentReport(
            "mercadopago", f"pay-{order.code}", "approved", order.total.amount, "ARS", order.code
        )
    )


def codes(html: str, *orders: OrderView) -> set[str]:
    return {o.code for o in orders if f">{o.code}</a>" in html}


async def test_filter_by_status_platform_product_and_date_and_search(
    owner: Browser, store: Any
) -> None:
    old = buy(store, BETO, "STICK", now=datetime.now(UTC) - timedelta(days=40))
    a1 = buy(store, ANA)
    a2 = buy(store, ANA, "STICK", 2)
    b1 = buy(store, BETO)
    pay(store, a1)
    everyone = (old, a1, a2, b1)

    async def listed(query: str) -> set[str]:
        page = await owner.get(f"/panel/pedidos?{query}")
        assert page.status == 200
        return codes(await page.text(), *everyone)

    assert await listed("") == {o.code for o in everyone}
    assert await listed("status=paid") == {a1.code}
    assert await listed("platform=youtube") == {old.code, b1.code}
    assert await listed("sku=STICK") == {old.code, a2.code}
    assert await listed("q=paula") == {a1.code, a2.code}  # part of the name, any case
    assert await listed(f"q={b1.code.lower()}") == {b1.code}
    assert await listed("q=%25") == set()  # LIKE wildcards are literal
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert old.code not in await listed(f"desde={since}")
    assert await listed("status=bogus&pagina=x") == {o.code for o in everyone}


def test_a_page_of_orders_is_one_page_of_the_total(store: Any) -> None:
    for _ in range(7):
        buy(store, ANA, "SALUDO")
    page = store.panel_orders(OrderQuery(per_page=3, page=3))
    assert (page.total, page.pages, len(page.rows)) == (7, 3, 1)
    assert page.rows[0].items == "Saludo personalizado"


async def test_an_order_page_shows_lines_payments_and_history(
    owner: Browser, store: Any, served: Served
) -> None:
    order = buy(store, ANA, "TAZA", 2)
    pay(store, order)
    staff = Browser(served)
    try:
        await staff.sign_in(PanelRole.STAFF)
        done = await staff.post(f"/panel/pedidos/{order.code}/entregar")
        assert done.status == 303
    finally:
        await staff.close()
    assert store.get_order(order.code).status is OrderStatus.FULFILLED
    page = await owner.get(f"/panel/pedidos/{order.code}")
    html = await page.text()
    assert "Taza" in html and "Ana Paula" in html and f"pay-{order.code}" in html
    history = store.panel_order_history(order.code)
    assert [(e.kind, e.actor) for e in history] == [
        ("created", "buyer"),
        ("payment", "provider"),
        ("paid", "provider"),
        ("fulfilled", "staff"),
    ]
    for label in ("Pedido creado", "Pago informado", "Pagado", "Entregado", "ayudante"):
        assert label in html
    assert (await owner.get("/panel/pedidos/NOSUCH")).status == 404


async def test_cancel_releases_stock_and_fulfilling_twice_changes_nothing(
    owner: Browser, store: Any, served: Served
) -> None:
    pending = buy(store, ANA, "TAZA", 3)
    assert store.get_product("TAZA").available == 17
    response = await owner.post(f"/panel/pedidos/{pending.code}/cancelar")
    assert response.status == 303
    assert store.get_order(pending.code).status is OrderStatus.CANCELLED
    assert store.get_product("TAZA").available == 20
    assert any(isinstance(e, StockChanged) for e in served.events)
    again = await owner.post(f"/panel/pedidos/{pending.code}/entregar")
    assert again.status == 409  # a cancelled order cannot be fulfilled; said, not crashed
    assert "ya no se puede hacer" in await again.text()


async def test_resend_the_link_to_the_buyer(owner: Browser, store: Any, served: Served) -> None:
    order = buy(store, ANA)
    no_link = await owner.post(f"/panel/pedidos/{order.code}/reenviar")
    assert no_link.status == 409
    store.set_order_link(order.code, "https://pay.test/x", "pref-1")
    response = await owner.post(f"/panel/pedidos/{order.code}/reenviar")
    assert response.status == 303
    [sent] = [e for e in served.events if isinstance(e, LinkReady)]
    assert sent.order is not None and sent.order.code == order.code
    assert sent.url == "https://pay.test/x"
    assert store.panel_order_history(order.code)[-1].kind == "link_resent"


async def test_the_csv_export_streams_every_line(owner: Browser, store: Any) -> None:
    mallory = ViewerRef("twitch", "u9", '=HYPERLINK("x")')
    orders = [buy(store, ANA, "STICK") for _ in range(3)]
    orders.append(buy(store, mallory))
    async with owner.http.get(f"{owner.served.url}/panel/pedidos.csv") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert response.headers.get("Content-Length") is None  # streamed, not buffered
        text = await response.text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["code"] for r in rows] == [o.code for o in orders]
    assert rows[-1]["viewer"].startswith("'=")  # a chat name never becomes a formula
    assert rows[0]["unit_price"] == "2500.00" and rows[0]["currency"] == "ARS"


def test_the_export_pages_through_orders_by_id(store: Any) -> None:
    made = [buy(store, ANA, "SALUDO") for _ in range(5)]
    first = store.panel_export(0, 2)
    second = store.panel_export(first[-1].order_id, 2)
    third = store.panel_export(second[-1].order_id, 2)
    assert [line.code for line in first + second + third] == [o.code for o in made]
    assert store.panel_export(third[-1].order_id, 2) == []


class WebhookFirst(MercadoPagoProvider):
    """The refund's webhook (or the poller) records it before the refund call returns."""

    def __init__(self, store: Any, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.store = store

    def refund(self, payment_id: str, amount: Decimal | None = None, **kw: Any) -> PaymentReport:
        report = super().refund(payment_id, amount, **kw)
        self.store.record_payment(report)
        return report


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(SandboxConfig(mp_access_token="TEST-panel")) as running:
        yield running


async def test_refund_in_part_then_in_full_through_the_provider(
    store: Any, settings: Settings, sandbox: Sandbox
) -> None:
    provider = MercadoPagoProvider("TEST-panel", None, endpoint=f"{sandbox.url}/mercadopago")
    links = LinkService(store, provider, EventBus(), store_name="Panel")
    made = buy(store, ANA)
    link = await asyncio.to_thread(provider.create_link, links._order_request(made))
    store.set_order_link(made.code, link.url, link.preference_id)
    sandbox.mercadopago.pay(sandbox.mercadopago.preferences[link.preference_id])
    for report in await asyncio.to_thread(provider.search_by_reference, made.code):
        store.record_payment(report)
    assert store.get_order(made.code).status is OrderStatus.PAID
    assert store.get_product("TAZA").available == 19
    async with serve_panel(store, settings, provider) as served:
        owner = Browser(served)
        try:
            await owner.sign_in()
            bad = await owner.post(f"/panel/pedidos/{made.code}/reembolsar", {"amount": "99999"})
            assert bad.status == 409
            part = await owner.post(f"/panel/pedidos/{made.code}/reembolsar", {"amount": "1000"})
            assert part.status == 303
            assert store.get_order(made.code).status is OrderStatus.PAID  # kept the sale
            full = await owner.post(f"/panel/pedidos/{made.code}/reembolsar", {"amount": ""})
            assert full.status == 303
        finally:
            await owner.close()
        assert store.get_order(made.code).status is OrderStatus.REFUNDED
        assert store.get_product("TAZA").available == 20
        assert sum(isinstance(e, OrderRefunded) for e in served.events) == 1
    kinds = [(e.kind, e.actor) for e in store.panel_order_history(made.code)]
    assert kinds.count(("refund_requested", "owner")) == 2
    [payment] = store.payments_for(made.code)
    assert payment.status == "refunded" and payment.amount == Decimal(8500)


async def test_a_refund_the_webhook_recorded_first_is_announced_once(
    store: Any, settings: Settings, sandbox: Sandbox
) -> None:
    provider = WebhookFirst(store, "TEST-panel", None, endpoint=f"{sandbox.url}/mercadopago")
    links = LinkService(store, provider, EventBus(), store_name="Panel")
    made = buy(store, ANA)
    link = await asyncio.to_thread(provider.create_link, links._order_request(made))
    store.set_order_link(made.code, link.url, link.preference_id)
    sandbox.mercadopago.pay(sandbox.mercadopago.preferences[link.preference_id])
    for report in await asyncio.to_thread(provider.search_by_reference, made.code):
        store.record_payment(report)
    async with serve_panel(store, settings, provider) as served:
        owner = Browser(served)
        try:
            await owner.sign_in()
            full = await owner.post(f"/panel/pedidos/{made.code}/reembolsar", {"amount": ""})
            assert full.status == 303
        finally:
            await owner.close()
        assert store.get_order(made.code).status is OrderStatus.REFUNDED
        assert not any(isinstance(e, OrderRefunded) for e in served.events)
    assert store.get_product("TAZA").available == 20
