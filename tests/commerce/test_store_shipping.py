"""Delivery options, costs and the buyer's details (commerce.delivery), on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from delivery_helpers import HOME, RULES, ars, digital_catalog, pay
from store_helpers import ANA, BETO, T0, buy

from commerce import errors
from commerce.store import Store
from commerce.views import DeliveryDetails


def _ids(store: Store, code: str, province: str | None = None) -> dict[str, str]:
    found = store.delivery_options(code, RULES, province)
    return {c.id: str(c.cost.amount) for c in found.choices}


def test_options_price_flat_by_province_and_pickup(shop: Store) -> None:
    order = buy(shop)  # one taza, 8500
    assert _ids(shop, order.code) == {"correo": "3000.00", "moto": "1500.00", "local": "0.00"}
    assert _ids(shop, order.code, "Cordoba") == {"correo": "4500.00", "local": "0.00"}
    assert _ids(shop, order.code, "caba") == {
        "correo": "3000.00",
        "moto": "1500.00",
        "local": "0.00",
    }
    found = shop.delivery_options(order.code, RULES)
    assert found.needs == "ship" and found.subtotal == ars("8500")
    pickup = next(c for c in found.choices if c.id == "local")
    assert (pickup.method, pickup.address, pickup.hours) == (
        "pickup",
        "Honduras 4000",
        "lun a vie 10-18",
    )


def test_shipping_is_free_above_the_subtotal(shop: Store) -> None:
    order = buy(shop, quantity=4)  # 34000 >= 30000
    assert _ids(shop, order.code, "Córdoba")["correo"] == "0.00"


def test_details_put_shipping_in_the_total_and_bump_the_revision(shop: Store) -> None:
    order = buy(shop)
    shop.set_order_link(order.code, "https://mp/1", "pref-1", revision=order.revision)
    after = shop.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    assert after.total == ars("13000")  # 8500 + 4500 to Córdoba
    assert after.shipping == ars("4500")
    assert after.revision == order.revision + 1
    assert after.payment_url is None and after.preference_id is None
    assert after.delivery_method == "ship" and after.delivery_option == "correo"
    assert after.details_complete
    saved = shop.delivery_details(order.code)
    assert saved is not None
    assert saved.contact == "+5491155551234" and saved.city == "Villa María"
    # The same choice again changes no total, so the new link stays valid.
    again = shop.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    assert (again.total, again.revision) == (after.total, after.revision)
    # Switching to pickup drops the shipping and the address.
    picked = shop.set_delivery_details(order.code, RULES, "local", HOME, now=T0)
    assert picked.total == ars("8500") and picked.revision == after.revision + 1
    kept = shop.delivery_details(order.code)
    assert kept is not None and kept.street == "" and kept.name == "Ana Pérez"


def test_a_payment_of_the_total_with_shipping_pays_the_order(shop: Store) -> None:
    order = buy(shop)
    shop.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    pay(shop, order.code, "p1")
    paid = shop.get_order(order.code)
    assert paid.status == "paid" and paid.fulfilment == "ready_to_ship"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " "}, "name"),
        ({"contact": ""}, "contact"),
        ({"contact": "ana@"}, "contact"),
        ({"contact": "12-34"}, "contact"),
        ({"street": ""}, "street"),
        ({"postal_code": ""}, "postal_code"),
    ],
)
def test_bad_details_name_the_field_and_change_nothing(
    shop: Store, change: dict[str, str], field: str
) -> None:
    order = buy(shop)
    with pytest.raises(errors.InvalidDeliveryDetails) as caught:
        shop.set_delivery_details(order.code, RULES, "correo", replace(HOME, **change))
    assert caught.value.field == field
    assert shop.get_order(order.code).total == ars("8500")
    assert shop.delivery_details(order.code) is None


def test_an_option_not_offered_is_refused(shop: Store) -> None:
    order = buy(shop)
    with pytest.raises(errors.InvalidDeliveryDetails) as caught:
        shop.set_delivery_details(order.code, RULES, "moto", HOME)  # not to Córdoba
    assert caught.value.field == "method"


def test_a_paid_order_takes_the_buyers_details_once_before_it_ships(shop: Store) -> None:
    order = buy(shop)
    pay(shop, order.code, "p1", payer_name="Ana Pérez", payer_email="ANA@mail.com")
    paid = shop.get_order(order.code)
    after = shop.set_delivery_details(order.code, RULES, "correo", replace(HOME, name="Ana G."))
    # What was paid stays the total: the shipping chosen now is not charged by Vivo.
    assert after.total == paid.total and after.revision == paid.revision
    assert after.shipping.amount == 0 and after.details_complete
    got = shop.delivery_details(order.code)
    assert got is not None and (got.name, got.source) == ("Ana G.", "buyer")
    assert (got.payer_name, got.payer_contact) == ("Ana Pérez", "ana@mail.com")
    with pytest.raises(errors.InvalidTransition):  # once given, not again
        shop.set_delivery_details(order.code, RULES, "local", HOME)
    shipped = buy(shop, viewer=BETO)
    pay(shop, shipped.code, "p2")
    shop.mark_shipped([shipped.code])
    with pytest.raises(errors.InvalidTransition):  # on its way: too late
        shop.set_delivery_details(shipped.code, RULES, "correo", HOME)


def test_email_contact_and_pickup_need_no_address(shop: Store) -> None:
    order = buy(shop)
    details = DeliveryDetails(name="Beto", contact="Beto@Example.com")
    after = shop.set_delivery_details(order.code, RULES, "local", details)
    assert after.details_complete and after.delivery_method == "pickup"
    saved = shop.delivery_details(order.code)
    assert saved is not None and saved.contact == "beto@example.com"


def test_digital_orders_need_nothing_and_pickup_only_products_offer_pickup(shop: Store) -> None:
    digital_catalog(shop)
    saludo = buy(shop, "SALUDO", viewer=BETO)
    found = shop.delivery_options(saludo.code, RULES)
    assert found.needs == "digital" and found.choices == ()
    assert shop.get_order(saludo.code).details_complete
    mate = buy(shop, "MATE")
    assert _ids(shop, mate.code) == {"local": "0.00"}
    assert shop.get_product("SALUDO").delivery == "digital"
    assert shop.get_product("SALUDO").queue
    assert shop.get_product("EBOOK").deliver_text == "https://example.com/ebook"
    assert shop.get_product("TAZA").delivery == "ship"


def test_a_returning_buyer_is_prefilled(shop: Store) -> None:
    assert shop.last_details_for("twitch", ANA.user_id) is None
    first = buy(shop)
    shop.set_delivery_details(first.code, RULES, "correo", HOME, now=T0)
    pay(shop, first.code, "p1")
    found = shop.last_details_for("twitch", ANA.user_id)
    assert found is not None and found.street == HOME.street
    assert shop.last_details_for("twitch", BETO.user_id) is None
    assert shop.last_details_for("discord", ANA.user_id) is None


def test_orders_missing_details_are_paid_physical_ones(shop: Store) -> None:
    digital_catalog(shop)
    bare = buy(shop)
    done = buy(shop, viewer=BETO)
    shop.set_delivery_details(done.code, RULES, "local", HOME, now=T0)
    digital = buy(shop, "EBOOK", viewer=BETO, now=T0 + timedelta(seconds=1))
    pending = buy(shop, "STICK", viewer=ANA, now=T0 + timedelta(minutes=30))
    for code, pid in ((bare.code, "p1"), (done.code, "p2"), (digital.code, "p3")):
        pay(shop, code, pid)
    late = T0 + timedelta(hours=3)
    missing = shop.orders_missing_details(timedelta(hours=2), now=late)
    assert [o.code for o in missing] == [bare.code]
    assert shop.orders_missing_details(timedelta(hours=5), now=late) == []
    assert pending.code not in {o.code for o in missing}


def test_payer_details_fill_an_order_without_details_only(shop: Store) -> None:
    plain = buy(shop)
    typed = buy(shop, viewer=BETO)
    shop.set_delivery_details(typed.code, RULES, "local", HOME, now=T0)
    pay(shop, plain.code, "p1", payer_name="Ana Pérez", payer_email="ANA@mail.com")
    pay(shop, typed.code, "p2", payer_name="Otro Nombre", payer_email="otro@mail.com")
    got = shop.delivery_details(plain.code)
    assert got is not None
    assert (got.name, got.contact, got.source) == ("Ana Pérez", "ana@mail.com", "payer")
    kept = shop.delivery_details(typed.code)
    assert kept is not None and kept.name == "Ana Pérez" and kept.source == "buyer"
    assert (kept.payer_name, kept.payer_contact) == ("Otro Nombre", "otro@mail.com")
    assert not shop.get_order(plain.code).details_complete  # no address yet
    assert not shop.record_payer_details(plain.code, "X", "x@mail.com")
    # Payer data is not kept in the stored payment.
    assert all("payer" not in str(p) for p in shop.payments_for(plain.code))


def test_a_later_order_in_the_stream_can_ship_with_the_first(shop: Store) -> None:
    first = buy(shop)
    shop.set_delivery_details(first.code, RULES, "correo", HOME, now=T0)
    pay(shop, first.code, "p1")
    second = buy(shop, "STICK", now=T0 + timedelta(minutes=20))
    found = shop.delivery_options(second.code, RULES)
    together = found.choices[0]
    assert together.id == f"with:{first.code}" and together.cost == ars("0")
    assert together.ship_with == first.code
    bare = DeliveryDetails(name="Ana Pérez", contact="ana@mail.com")
    after = shop.set_delivery_details(second.code, RULES, together.id, bare)
    assert after.total == ars("2500.50") and after.ship_with == first.code
    assert after.details_complete  # the address came from the first order
    # Another buyer, or a day later, is not offered it.
    other = buy(shop, viewer=BETO, now=T0 + timedelta(minutes=21))
    assert not any(c.ship_with for c in shop.delivery_options(other.code, RULES).choices)
    later = buy(shop, "STICK", now=T0 + timedelta(days=1))
    assert not any(c.ship_with for c in shop.delivery_options(later.code, RULES).choices)
