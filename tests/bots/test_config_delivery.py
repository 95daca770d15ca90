"""`[delivery]` and the products' delivery keys in config.toml: each problem names its fix."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bots.config import ConfigError, load_config, parse_config
from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption

BASE: dict[str, Any] = {"payments": {"mercadopago": {"access_token": "TEST-x"}}}
ROOT = Path(__file__).resolve().parents[2]


def _problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, {})
    found: dict[str, str] = {}
    for p in caught.value.problems:
        found[p.key] = f"{found[p.key]} | {p.fix}" if p.key in found else p.fix
    return found


def test_defaults_without_a_delivery_section() -> None:
    assert parse_config(BASE, {}).delivery == DeliveryRules()


def test_every_key_is_read() -> None:
    raw = {
        **BASE,
        "delivery": {
            "keep_personal_data_days": 30,
            "combine_minutes": 60,
            "shipping": [
                {
                    "id": "correo",
                    "name": "Correo",
                    "price": "3500",
                    "free_above": "60000",
                    "provinces": {"CABA": "2500"},
                },
                {"id": "moto", "name": "Moto", "provinces": {"CABA": 1500}},
            ],
            "pickup": [
                {"id": "local", "name": "Local", "address": "Honduras 4000", "hours": "10-18"}
            ],
        },
    }
    rules = parse_config(raw, {}).delivery
    assert rules == DeliveryRules(
        shipping=(
            ShippingOption(
                "correo", "Correo", Decimal("3500"), {"CABA": Decimal("2500")}, Decimal("60000")
            ),
            ShippingOption("moto", "Moto", None, {"CABA": Decimal("1500")}, None),
        ),
        pickup=(PickupPoint("local", "Local", "Honduras 4000", "10-18"),),
        keep_personal_data_days=30,
        combine_gap=timedelta(minutes=60),
    )


def test_problems_name_the_key_and_the_fix() -> None:
    raw = {
        **BASE,
        "delivery": {
            "keep_personal_data_days": 0,
            "shipping": [
                {"id": "Correo Argentino", "price": 3500.5},
                {"id": "moto"},
                {"id": "flete", "price": "-1", "colour": "x"},
            ],
            "pickup": [{"id": "moto", "name": "Local"}],
        },
    }
    found = _problems(raw)
    assert "delivery.keep_personal_data_days" in found
    assert found["delivery.shipping[0].id"] == 'write id = "correo"'
    assert "string" in found["delivery.shipping[0].price"]
    assert "provinces" in found["delivery.shipping[1].price"]
    assert "delivery.shipping[2].price" in found
    assert "delivery.shipping[2].colour" in found
    assert found["delivery.pickup[0].id"] == "give each option its own id"
    assert "address" in found["delivery.pickup[0].address"]


def test_product_delivery_keys() -> None:
    def product(**extra: Any) -> dict[str, Any]:
        return {**BASE, "products": [{"sku": "A", "name": "A", "price": "10", **extra}]}

    spec = parse_config(product(), {}).products[0]
    assert spec.delivery_method == "ship"
    spec = parse_config(product(digital=True, queue=True), {}).products[0]
    assert (spec.delivery_method, spec.queue) == ("digital", True)
    spec = parse_config(product(delivery="digital", deliver_text="CODE-1"), {}).products[0]
    assert (spec.delivery_method, spec.deliver_text) == ("digital", "CODE-1")
    assert parse_config(product(delivery="pickup"), {}).products[0].delivery_method == "pickup"
    assert _problems(product(delivery="mail"))["products[A].delivery"] == (
        "use ship, pickup or digital"
    )
    assert "products[A].queue" in _problems(product(queue=True))


def test_the_sample_config_sells_a_digital_queued_saludo() -> None:
    config = load_config(ROOT / "config.example.toml", {"MP_ACCESS_TOKEN": "TEST-x"})
    saludo = next(p for p in config.products if p.sku == "SALUDO")
    assert (saludo.delivery_method, saludo.queue) == ("digital", True)
    assert [o.id for o in config.delivery.shipping] == ["correo"]
    assert [p.id for p in config.delivery.pickup] == ["local"]


def test_chat_keys_ask_in_chat_and_contact() -> None:
    from bots.config import DeliveryChat

    assert parse_config(BASE, {}).delivery_chat == DeliveryChat(ask_in_chat=True, contact="")
    raw = {**BASE, "delivery": {"ask_in_chat": False, "contact": "WhatsApp +54 9 11 5555-0000"}}
    assert parse_config(raw, {}).delivery_chat == DeliveryChat(
        ask_in_chat=False, contact="WhatsApp +54 9 11 5555-0000"
    )
    problems = _problems({**BASE, "delivery": {"ask_in_chat": "yes", "contact": 5}})
    assert problems["delivery.ask_in_chat"] == "write ask_in_chat = true"
    assert "contact" in problems["delivery.contact"]
