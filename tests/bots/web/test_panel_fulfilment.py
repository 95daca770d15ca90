"""Despachos in the panel: an order's delivery and fulfilment, bulk shipping, the orders
still missing details, the packing list, and the CSV's delivery columns (owner only)."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta
from decimal import Decimal
from typing import Any

from panel_helpers import Browser, Served

from bots.runtime.events import OrderPickedUp, OrderReadyForPickup, OrderShipped
from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.sessions import PanelRole
from commerce.views import (
    DeliveryDetails,
    LineRequest,
    OrderView,
    PaymentReport,
    ProductSpec,
    ViewerRef,
)

ANA = ViewerRef("twitch", "u1", "ana_tw")
BETO = ViewerRef("youtube", "u2", "beto")
RULES = DeliveryRules(
    shipping=(ShippingOption("correo", "Correo", price=Decimal("3000")),),
    pickup=(PickupPoint("local", "Local Palermo", "Honduras 4000", "lun a vie 10-18"),),
)
HOME = DeliveryDetails(
    name="Ana Pérez",
    contact="ana@example.com",
    street="Av. Siempreviva 742",
    city="Villa María",
    province="Córdoba",
    postal_code="5900",
)
_CHANNELS = itertools.count(1)


def paid(
    store: Any,
    viewer: ViewerRef = ANA,
    sku: str = "TAZA",
    choice: str | None = "correo",
    details: DeliveryDetails = HOME,
) -> OrderView:
    """A paid order of its own (own channel: no shared cart), with details when `choice`."""
    order = store.reserve(
        viewer, f"canal-{next(_CHANNELS)}", [LineRequest(sku, 1)], ttl=timedelta(minutes=15)
    )
    if choice is not None:
        order = store.set_delivery_details(order.code, RULES, choice, details)
    store.record_payment(
        PaymentReport(
            "mercadopago", f"pay-{order.code}", "approved", order.total.amount, "ARS", order.code
        )
    )
    return store.get_order(order.code)  # type: ignore[no-any-return]


async def text(browser: Browser, path: str) -> str:
    async with browser.http.get(f"{browser.served.url}{path}") as page:
        assert page.status == 200, path
        return await page.text()


async def test_bulk_shipping_tells_each_buyer_once_and_shows_in_history(
    owner: Browser, served: Served, store: Any
) -> None:
    one, two = paid(store), paid(store, BETO)
    listing = await text(owner, "/panel/pedidos")
    assert f'name="code" value="{one.code}"' in listing
    form = {"code": one.code, "tracking": "AR123", "carrier": "Correo Argentino"}
    sent = await owner.http.post(
        f"{served.url}/panel/pedidos/enviar",
        data=[("_csrf", owner.csrf), ("code", one.code), ("code", two.code)]
        + [(k, v) for k, v in form.items() if k != "code"],
        headers={"Origin": served.url},
        allow_redirects=False,
    )
    assert sent.status == 303 and "ok=shipped_many" in sent.headers["Location"]
    for order in (one, two):
        now = store.get_order(order.code)
        assert now.fulfilment == "shipped" and now.tracking == "AR123"
    shipped = [e for e in served.events if isinstance(e, OrderShipped)]
    assert sorted(e.order.code for e in shipped) == sorted([one.code, two.code])
    page = await text(owner, f"/panel/pedidos/{one.code}")
    assert "Enviado" in page and "AR123" in page and "Correo Argentino" in page
    assert "Ana Pérez" in page and "Av. Siempreviva 742" in page
    again = await owner.post(f"/panel/pedidos/{one.code}/enviado", {"tracking": "AR123"})
    assert again.status == 303
    assert len([e for e in served.events if isinstance(e, OrderShipped)]) == 2  # no change
    delivered = await owner.post(f"/panel/pedidos/{one.code}/recibido")
    assert delivered.status == 303
    assert store.get_order(one.code).status.value == "fulfilled"


async def test_bulk_shipping_is_all_or_none(owner: Browser, served: Served, store: Any) -> None:
    good = paid(store)
    pending = store.reserve(BETO, "otro", [LineRequest("TAZA", 1)], ttl=timedelta(minutes=15))
    sent = await owner.http.post(
        f"{served.url}/panel/pedidos/enviar",
        data=[("_csrf", owner.csrf), ("code", good.code), ("code", pending.code)],
        headers={"Origin": served.url},
        allow_redirects=False,
    )
    assert sent.status == 303 and "ok=bulk_refused" in sent.headers["Location"]
    assert store.get_order(good.code).fulfilment == "ready_to_ship"
    assert not [e for e in served.events if isinstance(e, OrderShipped)]


async def test_a_pickup_order_is_made_ready_then_picked_up(
    owner: Browser, served: Served, store: Any
) -> None:
    store.seed_catalog(
        [ProductSpec("MATE", "Mate", Decimal("9000"), "ARS", stock=5, delivery="pickup")]
    )
    order = paid(store, sku="MATE", choice="local")
    page = await text(owner, f"/panel/pedidos/{order.code}")
    assert 'data-action="ready"' in page and "Retiro" in page
    assert (await owner.post(f"/panel/pedidos/{order.code}/listo-retiro")).status == 303
    assert store.get_order(order.code).fulfilment == "ready_for_pickup"
    assert (await owner.post(f"/panel/pedidos/{order.code}/retirado")).status == 303
    assert store.get_order(order.code).fulfilment == "picked_up"
    kinds = [type(e) for e in served.events]
    assert OrderReadyForPickup in kinds and OrderPickedUp in kinds
    history = await text(owner, f"/panel/pedidos/{order.code}")
    assert "Listo para retirar" in history and "Retirado" in history


async def test_the_missing_list_shows_only_orders_lacking_details(
    owner: Browser, store: Any
) -> None:
    complete, lacking = paid(store), paid(store, BETO, choice=None)
    page = await text(owner, "/panel/pedidos/sin-datos")
    assert f">{lacking.code}</a>" in page and f">{complete.code}</a>" not in page
    order_page = await text(owner, f"/panel/pedidos/{lacking.code}")
    assert 'data-field="missing"' in order_page
    # The buyer gives their details after paying (a Telegram deep link): the order leaves
    # the list, and the payer MercadoPago named is still shown beside them.
    store.record_payer_details(lacking.code, "Beto Pagador", "beto@pago.example")
    later = DeliveryDetails(name="Beto Gómez", contact="+54 9 11 5555-0000")
    store.set_delivery_details(lacking.code, RULES, "local", later)
    page = await text(owner, "/panel/pedidos/sin-datos")
    assert f">{lacking.code}</a>" not in page
    order_page = await text(owner, f"/panel/pedidos/{lacking.code}")
    assert 'data-field="missing"' not in order_page and "Beto Gómez" in order_page
    assert 'data-field="payer">Beto Pagador · beto@pago.example<' in order_page


async def test_the_packing_list_groups_by_buyer_and_address(owner: Browser, store: Any) -> None:
    first, second = paid(store), paid(store, sku="STICK")
    other = paid(store, BETO, choice=None)
    page = await text(owner, "/panel/pedidos/empaque")
    assert page.count('class="card parcel"') == 2
    assert "Av. Siempreviva 742" in page and "Villa María" in page
    assert first.code in page and second.code in page and other.code in page
    assert "@media print" in await text(owner, "/panel/static/panel.css")


async def test_staff_see_details_but_only_the_owner_exports_them(
    owner: Browser, served: Served, store: Any
) -> None:
    order = paid(store)
    async with owner.http.get(f"{served.url}/panel/pedidos.csv") as response:
        rows = list(csv.DictReader(io.StringIO(await response.text())))
    mine = [r for r in rows if r["code"] == order.code]
    assert mine and mine[0]["delivery_contact"] == "ana@example.com"
    assert mine[0]["delivery_street"] == "Av. Siempreviva 742"
    staff = Browser(served)
    try:
        await staff.sign_in(PanelRole.STAFF)
        assert (await staff.get("/panel/pedidos.csv")).status == 403
        listing = await text(staff, "/panel/pedidos")
        assert "pedidos.csv" not in listing
        page = await text(staff, f"/panel/pedidos/{order.code}")
        assert "ana@example.com" in page
        assert (await staff.post(f"/panel/pedidos/{order.code}/enviado")).status == 303
    finally:
        await staff.close()
