"""Productos: the catalog with reserved / sold / available, and edits through the Store."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from panel_helpers import Browser, Served

from bots.runtime.events import StockChanged
from commerce.views import LineRequest, PaymentReport, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")


def pay(store: Any, code: str, amount: str) -> None:
    store.record_payment(
        PaymentReport("mercadopago", f"pay-{code}", "approved", Decimal(amount), "ARS", code)
    )


def row(html: str, sku: str, variant: str | None = None) -> list[str]:
    """The numbers in a product's row of the list: price, stock, reserved, sold, available."""
    marker = f'data-sku="{sku}"' + (f' data-variant="{variant}"' if variant else "")
    start = html.index(marker)
    chunk = html[start : html.index("</tr>", start)]
    stock = re.search(r'name="stock"[^>]*value="(\d+)"', chunk)
    cells = dict(re.findall(r'data-col="(\w+)">(?:<span[^>]*>)?([^<]+)<', chunk))
    assert stock is not None
    return [cells[k].strip() for k in ("price", "reserved", "sold", "available")] + [stock.group(1)]


async def test_the_list_shows_reserved_sold_and_available(owner: Browser, store: Any) -> None:
    paid = store.reserve(ANA, "c", [LineRequest("TAZA", 2)], ttl=timedelta(minutes=5))
    pay(store, paid.code, "17000")
    store.reserve(ANA, "c", [LineRequest("TAZA", 3)], ttl=timedelta(minutes=5))
    store.reserve(
        ANA, "c", [LineRequest("REM", 1, "color=negro,talle=M")], ttl=timedelta(minutes=5)
    )
    page = await owner.get("/panel/productos")
    html = await page.text()
    price, reserved, sold, available, stock = row(html, "TAZA")
    assert (reserved, sold, available, stock) == ("3", "2", "15", "20")
    assert price.startswith("$") and "8.500" in price
    _, reserved, sold, available, stock = row(html, "REM", "color=negro,talle=M")
    assert (reserved, sold, available, stock) == ("1", "0", "4", "5")
    assert "Gorra" in html  # inactive products are listed too, marked
    assert "no a la venta" in html


async def test_an_edit_changes_every_field_through_the_store(
    owner: Browser, served: Served, store: Any
) -> None:
    form = {
        "name": "Taza grande",
        "price": "9.000",
        "stock": "30",
        "aliases": "mug, tazón",
        "image_url": "https://example.test/taza.png",
        "max_per_viewer": "2",
        "description": "De cerámica",
        "active": "1",
    }
    response = await owner.post("/panel/productos/TAZA", form)
    assert response.status == 303 and "ok=saved" in response.headers["Location"]
    taza = store.get_product("TAZA")
    assert (taza.name, taza.price.amount, taza.stock) == ("Taza grande", Decimal(9000), 30)
    assert (taza.aliases, taza.max_per_viewer) == (("mug", "tazón"), 2)
    assert taza.image_url == "https://example.test/taza.png" and taza.active
    assert any(isinstance(e, StockChanged) for e in served.events)  # the overlay reads again


async def test_stock_below_reserved_and_sold_is_refused_with_a_clear_message(
    owner: Browser, store: Any
) -> None:
    store.reserve(ANA, "c", [LineRequest("TAZA", 3)], ttl=timedelta(minutes=5))
    quick = await owner.post("/panel/productos/TAZA/stock", {"stock": "2"})
    assert quick.status == 409
    assert "ya hay 3 reservados o vendidos" in await quick.text()
    full = await owner.post(
        "/panel/productos/TAZA", {"name": "Taza", "price": "8500", "stock": "1", "active": "1"}
    )
    assert full.status == 409
    text = await full.text()
    assert "No se puede dejar el stock en 1" in text
    assert 'value="Taza"' in text  # what the owner typed is shown again
    assert store.get_product("TAZA").stock == 20


async def test_bad_input_is_explained_and_changes_nothing(owner: Browser, store: Any) -> None:
    for form in (
        {"name": "Taza", "price": "gratis", "stock": "5"},
        {"name": "Taza", "price": "8500", "stock": "-5"},
        {"name": "", "price": "8500", "stock": "5"},
        {"name": "Taza", "price": "8500", "stock": "5", "image_url": "javascript:alert(1)"},
    ):
        response = await owner.post("/panel/productos/TAZA", form)
        assert response.status == 400, form
        assert 'class="notice bad"' in await response.text()
    assert store.get_product("TAZA").stock == 20


async def test_add_a_product_with_variants_and_refuse_a_taken_sku(
    owner: Browser, store: Any
) -> None:
    form: dict[str, Any] = {
        "sku": "BUZO",
        "name": "Buzo",
        "price": "25000",
        "stock": "0",
        "active": "1",
    }
    data = [*form.items(), ("v_options", "talle=M"), ("v_stock", "4"), ("v_price", "")]
    data += [("v_options", "talle=L"), ("v_stock", "2"), ("v_price", "27000")]
    response = await owner.http.post(
        f"{owner.served.url}/panel/productos/nuevo",
        data=[*data, ("_csrf", owner.csrf)],
        headers={"Origin": owner.served.url},
        allow_redirects=False,
    )
    assert response.status == 303
    buzo = store.get_product("BUZO")
    assert buzo.stock == 6 and {v.key: v.price.amount for v in buzo.variants} == {
        "talle=M": Decimal(25000),
        "talle=L": Decimal(27000),
    }
    taken = await owner.post(
        "/panel/productos/nuevo", {"sku": "TAZA", "name": "Otra", "price": "1", "stock": "1"}
    )
    assert taken.status == 409 and "Ya existe un producto con SKU TAZA" in await taken.text()
    assert store.get_product("TAZA").name == "Taza"


async def test_edit_a_variants_stock_and_price(owner: Browser, store: Any) -> None:
    page = await owner.get("/panel/productos/REM")
    assert page.status == 200
    form = await page.text()
    assert 'name="price" value="15000"' in form  # as an owner types it, not 15000.00
    assert 'name="v_price" value="16500"' in form and "readonly" in form  # stock per variant
    rem = store.get_product("REM")
    data: list[tuple[str, str]] = [
        ("name", "Remera"),
        ("price", "15000"),
        ("stock", "0"),
        ("active", "1"),
        ("_csrf", owner.csrf),
    ]
    for v in rem.variants:
        stock = "9" if v.key == "color=negro,talle=M" else str(v.stock)
        price = "15500" if v.key == "color=negro,talle=M" else ""
        data += [("v_options", v.key), ("v_stock", stock), ("v_price", price)]
    response = await owner.http.post(
        f"{owner.served.url}/panel/productos/REM",
        data=data,
        headers={"Origin": owner.served.url},
        allow_redirects=False,
    )
    assert response.status == 303
    after = {v.key: v for v in store.get_product("REM").variants}
    assert after["color=negro,talle=M"].stock == 9
    assert after["color=negro,talle=M"].price.amount == Decimal(15500)
    assert after["color=blanco,talle=S"].price.amount == Decimal(15000)
    assert len(after) == 6


async def test_quick_stock_sets_one_variant(owner: Browser, store: Any) -> None:
    response = await owner.post(
        "/panel/productos/REM/stock", {"stock": "12", "variant": "color=blanco,talle=L"}
    )
    assert response.status == 303
    found = {v.key: v.stock for v in store.get_product("REM").variants}
    assert found["color=blanco,talle=L"] == 12


async def test_the_form_sets_how_a_product_is_delivered(owner: Browser, store: Any) -> None:
    base = {"name": "Taza", "price": "8500", "stock": "20", "active": "1"}
    response = await owner.post("/panel/productos/TAZA", {**base, "delivery": "pickup"})
    assert response.status == 303
    assert store.get_product("TAZA").delivery == "pickup"
    digital = {**base, "delivery": "digital", "queue": "1", "deliver_text": "https://x.test/d"}
    await owner.post("/panel/productos/TAZA", digital)
    taza = store.get_product("TAZA")
    assert (taza.delivery, taza.digital, taza.queue) == ("digital", True, True)
    assert taza.deliver_text == "https://x.test/d"
    async with owner.http.get(f"{owner.served.url}/panel/productos/TAZA") as page:
        shown = await page.text()
    assert '<option value="digital" selected>' in shown and "https://x.test/d" in shown
    await owner.post("/panel/productos/TAZA", {**base, "delivery": "teleport"})
    assert store.get_product("TAZA").delivery == "ship"  # unknown: the default
