"""A coupon's discount in the MercadoPago preference, through the real SDK and the stand-in.

MercadoPago takes no negative item, so the discount is spread over the unit prices: the
items still add up to the order's total to the cent, shipping stays its own item, and a
flash price on a line is the price the preference asks, even once the sale is over.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bots.runtime.events import EventBus
from bots.runtime.links import LinkPolicy, LinkService
from commerce.coupons import CouponSpec
from commerce.delivery import DeliveryRules, ShippingOption
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import DeliveryDetails, LineRequest, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

TOKEN = "TEST-coupon-links"
SECRET = "coupon-links-secret"
FAST = LinkPolicy(wait_seconds=2.0, first_retry=0.05, max_retry=0.2)
ANA = ViewerRef("test", "ana", "ana")


@dataclass
class Rig:
    store: Store
    sandbox: Sandbox
    links: LinkService

    def items_for(self, code: str) -> list[tuple[str, int, Decimal]]:
        [preference] = [
            p
            for p in self.sandbox.mercadopago.preferences.values()
            if p.get("external_reference") == code
        ]
        items = preference["items"]
        assert isinstance(items, list)
        return [(i["id"], int(i["quantity"]), Decimal(str(i["unit_price"]))) for i in items]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.sync_catalog(
        [
            ProductSpec(sku="TAZA", name="Taza", price=Decimal("8500"), currency="ARS", stock=9),
            ProductSpec(sku="PIN", name="Pin", price=Decimal("999"), currency="ARS", stock=9),
        ]
    )
    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN))
    await sandbox.start()
    provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox.url}/mercadopago", timeout=5)
    links = LinkService(store, provider, EventBus(), store_name="Test", policy=FAST)
    try:
        yield Rig(store, sandbox, links)
    finally:
        await links.stop()
        await sandbox.stop()
        store.close()


def _reserve(rig: Rig, *lines: LineRequest) -> OrderView:
    return rig.store.reserve(ANA, "c", list(lines), ttl=timedelta(minutes=15))


def _sum(items: list[tuple[str, int, Decimal]]) -> Decimal:
    return sum((q * p for _, q, p in items), Decimal(0))


async def test_a_percent_coupon_is_spread_over_the_unit_prices(rig: Rig) -> None:
    rig.store.seed_coupons([CouponSpec("CUPON10", "percent", "ARS", percent=10)])
    order = _reserve(rig, LineRequest("TAZA", 1), LineRequest("PIN", 3))
    order = rig.store.apply_coupon(order.code, "CUPON10", ANA)
    assert order.total.amount == Decimal("10347.30")  # 11497 − 10% (ARS has cents)
    assert await rig.links.for_order(order) is not None
    items = rig.items_for(order.code)
    assert _sum(items) == order.total.amount
    assert all(price > 0 for _, _, price in items)
    assert sum(q for sku, q, _ in items if sku == "PIN") == 3


async def test_a_fixed_coupon_with_shipping_adds_up_to_the_total(rig: Rig) -> None:
    rig.store.seed_coupons([CouponSpec("MENOS1000", "amount", "ARS", amount=Decimal(1000))])
    order = _reserve(rig, LineRequest("TAZA", 3))
    rig.store.apply_coupon(order.code, "MENOS1000", ANA)
    rules = DeliveryRules(shipping=(ShippingOption("correo", "Correo", Decimal("3500")),))
    details = DeliveryDetails(
        name="Ana", contact="ana@mail.com", street="Calle 1", city="X", province="Y",
        postal_code="1000",
    )  # fmt: skip
    shipped = rig.store.set_delivery_details(order.code, rules, "correo", details)
    assert shipped.total.amount == Decimal("28000")  # 25500 − 1000 + 3500
    assert await rig.links.for_order(shipped) is not None
    items = rig.items_for(order.code)
    assert items[-1] == ("shipping", 1, Decimal("3500"))
    assert _sum(items) == Decimal("28000")
    assert sorted(items[:-1]) == [("TAZA", 1, Decimal("8166.66")), ("TAZA", 2, Decimal("8166.67"))]


async def test_a_link_made_after_the_sale_asks_the_reserved_price(rig: Rig) -> None:
    rig.store.start_flash_sale("TAZA", percent=20, duration=timedelta(minutes=5))
    order = _reserve(rig, LineRequest("TAZA", 1))
    rig.store.end_flash_sale()
    later = rig.store.get_order(order.code)
    assert await rig.links.for_order(later) is not None
    assert rig.items_for(order.code) == [("TAZA", 1, Decimal("6800"))]
