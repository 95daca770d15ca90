"""Config: the example is valid, and every mistake names its key and the fix."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bots.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
ENV = {"MP_ACCESS_TOKEN": "TEST-token", "MP_WEBHOOK_SECRET": "s3cret"}


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def problems(raw: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, ENV if env is None else env)
    return {p.key: f"{p.message} — {p.fix}" for p in info.value.problems}


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(EXAMPLE, ENV)
    skus = {p.sku for p in config.products}
    assert skus == {"REM-VIVO", "TAZA-01", "STICK-PACK", "SALUDO"}
    remera = next(p for p in config.products if p.sku == "REM-VIVO")
    assert {v.options["talle"] for v in remera.variants} == {"S", "M", "L", "XL"}
    assert remera.stock == sum(v.stock for v in remera.variants)
    xl = next(v for v in remera.variants if v.options["talle"] == "XL")
    assert xl.price == Decimal("16500")
    assert isinstance(remera.price, Decimal)
    assert config.settings.currency == "ARS"
    assert config.mercadopago is not None
    assert config.mercadopago.access_token == "TEST-token"
    assert config.mercadopago.webhook_secret == "s3cret"
    assert config.enabled_platforms() == ["console"]
    assert config.settings.owner_ids["console"] == frozenset({"lu"})
    # a relative SQLite path is anchored next to the config file
    assert config.database_url == f"sqlite:///{(ROOT / 'vivo.db').resolve()}"


def test_missing_environment_variable_names_the_key_and_variable() -> None:
    found = problems(example(), env={"MP_WEBHOOK_SECRET": "x"})
    assert "payments.mercadopago.access_token" in found
    assert "MP_ACCESS_TOKEN" in found["payments.mercadopago.access_token"]


def test_float_price_is_refused_with_the_string_fix() -> None:
    raw = example()
    raw["products"][1]["price"] = 8500.5
    found = problems(raw)
    assert 'write it as a string: "8500.5"' in found["products[TAZA-01].price"]


@pytest.mark.parametrize(
    ("mutate", "key", "hint"),
    [
        (lambda r: r["store"].__setitem__("currency", "EUR"), "store.currency", "ARS"),
        (lambda r: r["store"].__setitem__("locale", "fr"), "store.locale", "es, en or pt"),
        (
            lambda r: r["store"].__setitem__("reservation_minutes", 0),
            "store.reservation_minutes",
            "at least 1",
        ),
        (lambda r: r["bot"].__setitem__("prefix", "ab"), "bot.prefix", "one symbol"),
        (lambda r: r["products"][0].pop("price"), "products[REM-VIVO].price", "is missing"),
        (
            lambda r: r["products"][2].__setitem__("price", "abc"),
            "products[STICK-PACK].price",
            "not an amount",
        ),
        (
            lambda r: r["products"][2].__setitem__("price", "-3"),
            "products[STICK-PACK].price",
            "positive",
        ),
        (
            lambda r: r["products"][1].__setitem__("price", "10.123"),
            "products[TAZA-01].price",
            "decimals",
        ),
        (
            lambda r: r["products"][1].__setitem__("sku", "STICK-PACK"),
            "products[STICK-PACK].sku",
            "twice",
        ),
        (
            lambda r: r["products"][0]["variants"][0].__setitem__("stock", -1),
            "products[REM-VIVO].variants[0].stock",
            ">= 0",
        ),
        (
            lambda r: r["web"].__setitem__("public_url", "http://example.invalid"),
            "web.public_url",
            "https",
        ),
        (lambda r: r.__setitem__("shop", {}), "shop", "known section"),
        (lambda r: r["platforms"].__setitem__("myspace", {}), "platforms.myspace", "platform"),
        (
            lambda r: r["payments"].__setitem__("provider", "paypal"),
            "payments.provider",
            "mercadopago",
        ),
    ],
)
def test_each_mistake_names_its_key(mutate: Any, key: str, hint: str) -> None:
    raw = example()
    mutate(raw)
    found = problems(raw)
    assert key in found, found
    assert hint in found[key]


def test_all_problems_are_reported_at_once() -> None:
    raw = example()
    raw["store"]["currency"] = "EUR"
    raw["bot"]["prefix"] = "ab"
    assert {"store.currency", "bot.prefix"} <= set(problems(raw))


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.toml", ENV)
    assert "vivo init" in str(info.value)


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "config.toml"
    bad.write_text("[store\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(bad, ENV)
    assert "not valid TOML" in str(info.value)


def test_message_overrides_are_kept() -> None:
    raw = example()
    raw["messages"] = {"es": {"order_paid_thanks": "¡Gracias {name}!"}}
    config = parse_config(raw, ENV)
    assert config.messages["es"]["order_paid_thanks"] == "¡Gracias {name}!"


def test_signature_tolerance_reaches_the_provider() -> None:
    from datetime import timedelta

    from bots.launch import make_provider

    default = parse_config(example(), ENV)
    assert default.mercadopago is not None
    assert default.mercadopago.signature_tolerance_seconds == 300
    raw = example()
    raw["payments"]["mercadopago"]["signature_tolerance_seconds"] = 60
    provider = make_provider(parse_config(raw, ENV))
    assert provider._tolerance == timedelta(seconds=60)
    raw["payments"]["mercadopago"]["signature_tolerance_seconds"] = 0
    assert make_provider(parse_config(raw, ENV))._tolerance is None
    raw["payments"]["mercadopago"]["signature_tolerance_seconds"] = -5
    assert "payments.mercadopago.signature_tolerance_seconds" in problems(raw)


def test_webhook_secret_is_optional_when_payments_are_polled() -> None:
    config = parse_config(example(), {"MP_ACCESS_TOKEN": "TEST-token"})
    assert config.mercadopago is not None
    assert config.mercadopago.webhook_secret is None


def test_webhook_secret_is_required_with_a_public_url() -> None:
    raw = example()
    raw["web"]["public_url"] = "https://tienda.example.com"
    found = problems(raw, env={"MP_ACCESS_TOKEN": "TEST-token"})
    assert "MP_WEBHOOK_SECRET" in found["payments.mercadopago.webhook_secret"]
