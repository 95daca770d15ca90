"""`vivo orders ship|delivered|ready|picked-up|packing-list` and `vivo buyers forget`,
driven through the real `vivo` executable on the store the owner's config names."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cli_helpers import owner_shop, vivo

from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.store import Store
from commerce.views import DeliveryDetails, LineRequest, PaymentReport, ProductSpec, ViewerRef

RULES = DeliveryRules(
    shipping=(ShippingOption("correo", "Correo", Decimal("3500")),),
    pickup=(PickupPoint("local", "Local", "Honduras 4000", "10-18"),),
)
HOME = DeliveryDetails(
    name="Ana Pérez",
    contact="ana@mail.com",
    street="Siempreviva 742",
    city="Springfield",
    province="CABA",
    postal_code="1414",
)


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Path, Store]]:
    owner_shop(tmp_path)
    store = Store(f"sqlite:///{tmp_path / 'vivo.db'}")
    store.seed_catalog([ProductSpec("GORRA", "Gorra", Decimal("9000"), "ARS", stock=9)])
    yield tmp_path, store
    store.close()


def _paid(store: Store, user: str, choice: str) -> str:
    viewer = ViewerRef("twitch", user, user)
    order = store.reserve(viewer, "c", [LineRequest("GORRA", 2)], ttl=timedelta(minutes=15))
    order = store.set_delivery_details(order.code, RULES, choice, HOME)
    store.record_payment(
        PaymentReport("mp", f"pay-{user}", "approved", order.total.amount, "ARS", order.code)
    )
    return order.code


def test_ship_twice_then_deliver(shop: tuple[Path, Store]) -> None:
    workdir, store = shop
    a, b = _paid(store, "ana", "correo"), _paid(store, "beto", "correo")
    ran = vivo(workdir, "orders", "ship", a, b.lower(), "--carrier", "Correo", "--tracking", "CP1")
    assert ran.code == 0, ran.err
    assert f"{a}  shipped  Correo CP1" in ran.out and f"{b}  shipped" in ran.out
    again = vivo(workdir, "orders", "ship", a)
    assert again.code == 0 and f"{a}  already shipped" in again.out
    assert store.get_order(a).tracking == "CP1"
    done = vivo(workdir, "orders", "delivered", a)
    assert done.code == 0 and f"{a}  delivered" in done.out
    assert store.get_order(a).status == "fulfilled"
    kinds = [e.kind for e in store.panel_order_history(a)]
    assert kinds.count("shipped") == 1 and "delivered" in kinds


def test_pickup_ready_and_picked_up(shop: tuple[Path, Store]) -> None:
    workdir, store = shop
    code = _paid(store, "ana", "local")
    refused = vivo(workdir, "orders", "ship", code)
    assert refused.code == 1 and "error:" in refused.err
    assert vivo(workdir, "orders", "ready", code).code == 0
    assert store.get_order(code).fulfilment == "ready_for_pickup"
    ran = vivo(workdir, "orders", "picked-up", code)
    assert ran.code == 0 and f"{code}  picked-up" in ran.out
    assert store.get_order(code).fulfilment == "picked_up"


def test_packing_list_groups_by_buyer(shop: tuple[Path, Store]) -> None:
    workdir, store = shop
    assert "nothing to pack" in vivo(workdir, "orders", "packing-list").out
    code = _paid(store, "ana", "correo")
    out = vivo(workdir, "orders", "packing-list").out
    assert "Ana Pérez (twitch) ana@mail.com" in out
    assert "Siempreviva 742, Springfield, CABA, 1414" in out
    assert f"orders: {code}" in out and "2 × Gorra  [GORRA]" in out


def test_buyers_forget(shop: tuple[Path, Store]) -> None:
    workdir, store = shop
    code = _paid(store, "ana", "correo")
    ran = vivo(workdir, "buyers", "forget", "twitch", "ana")
    assert ran.code == 0 and "erased" in ran.out
    assert store.delivery_details(code) is None
    assert store.get_order(code).total.amount == Decimal("21500.00")
    missing = vivo(workdir, "buyers", "forget", "twitch", "ana")
    assert missing.code == 1 and "no buyer twitch:ana" in missing.out
