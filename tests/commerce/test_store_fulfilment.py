"""Fulfilment after paid (commerce.fulfilment) and the packing list, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from delivery_helpers import HOME, RULES, digital_catalog, pay
from store_helpers import ANA, BETO, T0, buy

from commerce import errors
from commerce.store import Store
from commerce.views import OrderStatus

LATER = T0 + timedelta(hours=1)


def _shipping_order(store: Store, viewer=ANA, sku: str = "TAZA", minutes: int = 0) -> str:  # type: ignore[no-untyped-def]
    order = buy(store, sku, viewer=viewer, now=T0 + timedelta(minutes=minutes))
    store.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    pay(store, order.code, f"p-{order.code}")
    return order.code


def test_ship_then_deliver_is_idempotent_and_in_the_history(shop: Store) -> None:
    a, b = _shipping_order(shop), _shipping_order(shop, BETO)
    moved = shop.mark_shipped([a, b], "Andreani", "AR123", actor="owner", now=LATER)
    assert [t.changed for t in moved] == [True, True]
    view = moved[0].order
    assert (view.fulfilment, view.carrier, view.tracking) == ("shipped", "Andreani", "AR123")
    assert view.shipped_at == LATER and view.status == OrderStatus.PAID
    again = shop.mark_shipped([a], "Andreani", "AR123", now=LATER + timedelta(minutes=5))
    assert not again[0].changed and again[0].order.shipped_at == LATER
    fixed = shop.mark_shipped([a], None, "AR999", now=LATER + timedelta(minutes=6))
    assert fixed[0].changed and fixed[0].order.tracking == "AR999"
    assert fixed[0].order.carrier == "Andreani"
    done = shop.mark_delivered(a, now=LATER + timedelta(days=2))
    assert done.changed and done.order.status == OrderStatus.FULFILLED
    assert done.order.fulfilment == "delivered"
    assert done.order.fulfilled_at == LATER + timedelta(days=2)
    assert not shop.mark_delivered(a).changed
    assert not shop.mark_shipped([a])[0].changed  # delivered already: nothing to do
    kinds = [e.kind for e in shop.panel_order_history(a)]
    assert kinds.count("shipped") == 1 and kinds.count("delivered") == 1
    assert kinds.count("tracking") == 1
    assert [e.detail for e in shop.panel_order_history(a) if e.kind == "shipped"] == [
        "Andreani AR123"
    ]


def test_pickup_goes_ready_then_picked_up(shop: Store) -> None:
    order = buy(shop)
    shop.set_delivery_details(order.code, RULES, "local", HOME, now=T0)
    pay(shop, order.code, "p1")
    assert shop.get_order(order.code).fulfilment == "preparing"
    with pytest.raises(errors.InvalidTransition):
        shop.mark_shipped([order.code])
    ready = shop.mark_ready_for_pickup(order.code, now=LATER)
    assert ready.changed and ready.order.fulfilment == "ready_for_pickup"
    assert ready.order.ready_at == LATER
    assert not shop.mark_ready_for_pickup(order.code).changed
    with pytest.raises(errors.InvalidTransition):
        shop.mark_delivered(order.code)
    got = shop.mark_picked_up(order.code, now=LATER + timedelta(hours=1))
    assert got.changed and got.order.status == OrderStatus.FULFILLED
    assert got.order.fulfilment == "picked_up"
    assert not shop.mark_picked_up(order.code).changed


def test_unpaid_orders_do_not_move(shop: Store) -> None:
    order = buy(shop)
    with pytest.raises(errors.InvalidTransition):
        shop.mark_shipped([order.code])
    with pytest.raises(errors.InvalidTransition):
        shop.mark_delivered(order.code)


def test_bulk_shipping_is_all_or_nothing(shop: Store) -> None:
    paid = _shipping_order(shop)
    unpaid = buy(shop, viewer=BETO)
    with pytest.raises(errors.InvalidTransition):
        shop.mark_shipped([paid, unpaid.code], tracking="X")
    assert shop.get_order(paid).fulfilment == "ready_to_ship"


def test_digital_orders_are_delivered_and_the_old_fulfil_still_works(shop: Store) -> None:
    digital_catalog(shop)
    ebook = buy(shop, "EBOOK")
    pay(shop, ebook.code, "p1")
    assert shop.get_order(ebook.code).fulfilment == "to_deliver"
    assert shop.mark_delivered(ebook.code).order.fulfilment == "delivered"
    plain = _shipping_order(shop, BETO)
    old = shop.fulfill_order(plain)
    assert old.status == OrderStatus.FULFILLED and old.fulfilment == "delivered"
    pickup = buy(shop, "MATE", viewer=BETO, now=T0 + timedelta(minutes=2))
    pay(shop, pickup.code, "p3")
    assert shop.panel_fulfill(pickup.code, "owner").fulfilment == "picked_up"


def test_packing_list_groups_by_buyer_and_address(shop: Store) -> None:
    digital_catalog(shop)
    first = _shipping_order(shop)
    second = buy(shop, "TAZA", now=T0 + timedelta(minutes=10))
    shop.set_delivery_details(second.code, RULES, f"with:{first}", HOME, now=T0)
    pay(shop, second.code, "p2")
    beto = _shipping_order(shop, BETO, sku="STICK", minutes=1)
    ebook = buy(shop, "EBOOK", viewer=BETO, now=T0 + timedelta(minutes=11))
    pay(shop, ebook.code, "p3")
    shipped = _shipping_order(shop, BETO, minutes=12)
    shop.mark_shipped([shipped])
    groups = {g.buyer.display_name: g for g in shop.packing_list()}
    assert set(groups) == {"ana", "beto"}
    ana = groups["ana"]
    assert ana.orders == (first, second.code)
    assert [(li.sku, li.quantity) for li in ana.lines] == [("TAZA", 2)]
    assert ana.details is not None and ana.details.postal_code == "5900"
    assert groups["beto"].orders == (beto,)
