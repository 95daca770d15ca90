"""Delivery rules and details shared by the delivery, fulfilment and privacy tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from store_helpers import T0

from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.money import Money
from commerce.store import Store
from commerce.views import DeliveryDetails, PaymentReport, ProductSpec

RULES = DeliveryRules(
    shipping=(
        ShippingOption(
            "correo",
            "Correo",
            price=Decimal("3000"),
            provinces={"Córdoba": Decimal("4500")},
            free_above=Decimal("30000"),
        ),
        ShippingOption("moto", "Moto CABA", provinces={"CABA": Decimal("1500")}),
    ),
    pickup=(PickupPoint("local", "Local Palermo", "Honduras 4000", "lun a vie 10-18"),),
)
HOME = DeliveryDetails(
    name="Ana Pérez",
    contact="+54 9 11 5555-1234",
    street="Av. Siempreviva 742",
    city="Villa María",
    province="cordoba",
    postal_code="5900",
    notes="timbre 2",
)


def digital_catalog(store: Store) -> None:
    store.seed_catalog(
        [
            ProductSpec(
                "SALUDO",
                "Saludo",
                Decimal("2000"),
                "ARS",
                stock=100,
                digital=True,
                queue=True,
            ),
            ProductSpec(
                "EBOOK",
                "Ebook",
                Decimal("1000"),
                "ARS",
                stock=100,
                delivery="digital",
                deliver_text="https://example.com/ebook",
            ),
            ProductSpec("MATE", "Mate", Decimal("9000"), "ARS", stock=10, delivery="pickup"),
        ]
    )


def pay(store: Store, code: str, payment_id: str, minutes: int = 1, **payer: str) -> None:
    order = store.get_order(code)
    store.record_payment(
        PaymentReport(
            "mercadopago",
            payment_id,
            "approved",
            order.total.amount,
            order.total.currency,
            code,
            raw={"id": payment_id, "payer": {"email": payer.get("payer_email", "")}},
            payer_name=payer.get("payer_name"),
            payer_email=payer.get("payer_email"),
        ),
        now=T0 + timedelta(minutes=minutes),
    )


def ars(amount: str) -> Money:
    return Money(Decimal(amount), "ARS")
