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

    from bots.runtime.launch import make_provider

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


def _enable(raw: dict[str, Any], platform: str, value: Any = True) -> None:
    raw["platforms"][platform]["enabled"] = value


def _discord_token(raw: dict[str, Any], token: str) -> None:
    if raw["platforms"]["discord"]["enabled"] is False:  # `"yes"` counts as meant: kept
        _enable(raw, "discord")
    raw["platforms"]["discord"]["token"] = token


def _twitch_without_channel(raw: dict[str, Any]) -> None:
    _enable(raw, "twitch")
    del raw["platforms"]["twitch"]["channel"]


def _rename(table: dict[str, Any], old: str, new: str) -> None:
    table[new] = table.pop(old)


# Each mistake an owner was seen making, with the key it must name and a word of its fix.
OWNER_MISTAKES = [
    pytest.param(
        lambda r: _rename(r["store"], "reservation_minutes", "reservaton_minutes"),
        "store.reservaton_minutes",
        "did you mean reservation_minutes?",
        id="misspelled-store-key",
    ),
    pytest.param(
        lambda r: _rename(r["bot"], "prefix", "prefx"),
        "bot.prefx",
        "did you mean prefix?",
        id="misspelled-bot-key",
    ),
    pytest.param(
        lambda r: _rename(r["products"][1], "stock", "stok"),
        "products[TAZA-01].stok",
        "did you mean stock?",
        id="misspelled-product-key",
    ),
    pytest.param(
        lambda r: _enable(r, "discord", "yes"),
        "platforms.discord.enabled",
        "write enabled = true (no quotes)",
        id="enabled-as-text",
    ),
    pytest.param(
        lambda r: r["web"].__setitem__("port", 99999),
        "web.port",
        "from 0 to 65535",
        id="port-out-of-range",
    ),
    pytest.param(
        lambda r: _discord_token(r, ""),
        "platforms.discord.token",
        "is empty",
        id="empty-secret-of-enabled-platform",
    ),
    pytest.param(
        lambda r: r["platforms"]["telegram"].update(enabled=True, token="   "),
        "platforms.telegram.token",
        "is empty",
        id="blank-telegram-token",
    ),
    pytest.param(
        _twitch_without_channel,
        "platforms.twitch.channel",
        "is missing",
        id="enabled-twitch-without-channel",
    ),
    pytest.param(
        lambda r: r["platforms"]["telegram"].__setitem__("webhook_port", 70000),
        "platforms.telegram.webhook_port",
        "from 1 to 65535",
        id="webhook-port-out-of-range",
    ),
    pytest.param(
        lambda r: r["platforms"]["telegram"].update(
            enabled=True, webhook_url="https://t.example.com/telegram/webhook"
        ),
        "platforms.telegram.webhook_secret",
        "TELEGRAM_WEBHOOK_SECRET",
        id="telegram-webhook-without-secret",
    ),
    pytest.param(
        lambda r: r["platforms"]["telegram"].__setitem__("webhook_url", "http://t.example.com"),
        "platforms.telegram.webhook_url",
        "https://",
        id="telegram-webhook-not-https",
    ),
    pytest.param(
        lambda r: r["platforms"]["youtube"].__setitem__("daily_budget", "10000"),
        "platforms.youtube.daily_budget",
        "whole number",
        id="number-as-text",
    ),
    pytest.param(
        lambda r: r["platforms"]["discord"].__setitem__("moderator_roles", "Mods"),
        "platforms.discord.moderator_roles",
        "list",
        id="list-as-text",
    ),
    pytest.param(
        lambda r: r["platforms"]["twitch"].__setitem__("bits_rate", 1.5),
        "platforms.twitch.bits_rate",
        'write it as a string: "1.5"',
        id="float-rate",
    ),
    pytest.param(
        lambda r: r["platforms"]["twitch"].__setitem__("chanel", "x"),
        "platforms.twitch.chanel",
        "did you mean channel?",
        id="misspelled-platform-key",
    ),
    pytest.param(
        lambda r: r["products"][0].__setitem__("digital", "no"),
        "products[REM-VIVO].digital",
        "write digital = false",
        id="product-flag-as-text",
    ),
    pytest.param(
        lambda r: r["web"].__setitem__("trusted_proxies", ["10.0.0.1", "proxy"]),
        "web.trusted_proxies",
        "'proxy' is not an IP address",
        id="trusted-proxy-not-an-address",
    ),
    pytest.param(
        lambda r: r.__setitem__("messages", {"es": {"order_paid_thank": "¡Gracias!"}}),
        "messages.es.order_paid_thank",
        "did you mean order_paid_thanks?",
        id="misspelled-reply-key",
    ),
    pytest.param(
        lambda r: _rename(r["products"][0]["variants"][1], "stock", "stok"),
        "products[REM-VIVO].variants[1].stok",
        "did you mean stock?",
        id="misspelled-variant-stock",
    ),
    pytest.param(
        lambda r: r.__setitem__("paymets", {}),
        "paymets",
        "did you mean payments?",
        id="misspelled-section",
    ),
]


@pytest.mark.parametrize(("mutate", "key", "hint"), OWNER_MISTAKES)
def test_owner_mistakes_name_the_key_and_the_fix(mutate: Any, key: str, hint: str) -> None:
    raw = example()
    mutate(raw)
    found = problems(raw, env={**ENV, "DISCORD_TOKEN": "d" * 20, "TELEGRAM_TOKEN": "1:abc"})
    assert key in found, found
    assert hint in found[key]


def test_every_owner_mistake_is_reported_in_one_run() -> None:
    raw = example()
    for case in OWNER_MISTAKES:
        case.values[0](raw)
    found = problems(raw, env={**ENV, "DISCORD_TOKEN": "d" * 20, "TELEGRAM_TOKEN": "1:abc"})
    missing = {case.values[1] for case in OWNER_MISTAKES} - set(found)
    assert not missing, found


def test_known_keys_that_another_table_reads_are_accepted() -> None:
    raw = example()
    raw["web"]["trusted_proxies"] = ["127.0.0.1", "10.0.0.0/8"]
    raw["platforms"]["telegram"].update(
        webhook_url="https://t.example.com/telegram/webhook", webhook_secret="abc_DEF-1"
    )
    config = parse_config(raw, ENV)
    assert config.web.trusted_proxies == ("127.0.0.1", "10.0.0.0/8")


def test_a_secret_of_the_wrong_type_is_described_not_quoted() -> None:
    raw = example()
    raw["payments"]["mercadopago"]["access_token"] = 123456789012
    raw["platforms"]["telegram"].update(enabled=True, token=987654321098)
    with pytest.raises(ConfigError) as info:
        parse_config(raw, ENV)
    text = str(info.value)
    assert "payments.mercadopago.access_token: must be text, got a number" in text
    assert "platforms.telegram.token: must be text, got a number" in text
    assert "123456789012" not in text and "987654321098" not in text
    assert 'access_token = "env:MP_ACCESS_TOKEN"' in text


def test_the_header_names_the_file_and_counts_right(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    path.write_text(text.replace('currency = "ARS"', 'currency = "EUR"'), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV)
    assert str(info.value).startswith(f"{path} has 1 problem:\n")
    path.write_text(
        text.replace('currency = "ARS"', 'currency = "EUR"').replace(
            'locale = "es"', 'locale = "fr"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, ENV)
    assert str(info.value).startswith(f"{path} has 2 problems:\n")


def test_secrets_lists_every_resolved_credential() -> None:
    raw = example()
    raw["platforms"]["telegram"]["enabled"] = True
    config = parse_config(raw, {**ENV, "TELEGRAM_TOKEN": "7000000001:AAH-secret"})
    assert set(config.secrets()) == {"TEST-token", "s3cret", "7000000001:AAH-secret"}


def test_alerts_default_to_every_private_chat_and_no_digest() -> None:
    alerts = parse_config(example(), ENV).alerts
    assert dict(alerts.routes) == {
        "paid": ("telegram", "discord"),
        "tip": ("telegram", "discord"),
        "refund_needed": ("telegram", "discord"),
        "missing_details": ("telegram", "discord"),
    }
    assert (alerts.missing_details_hours, alerts.digest, alerts.digest_minutes) == (6, False, 15)


def test_alerts_choose_destinations_per_event() -> None:
    raw = example()
    raw["alerts"] = {
        "paid": ["Telegram"],
        "tip": [],
        "refund_needed": ["discord", "panel"],
        "missing_details_hours": 24,
        "digest": True,
        "digest_minutes": 30,
    }
    alerts = parse_config(raw, ENV).alerts
    assert alerts.routes["paid"] == ("telegram",)
    assert alerts.routes["tip"] == ()
    assert alerts.routes["refund_needed"] == ("discord",)
    assert alerts.routes["missing_details"] == ("telegram", "discord")
    assert alerts.missing_details_after.total_seconds() == 24 * 3600
    assert alerts.digest and alerts.digest_every.total_seconds() == 30 * 60


def test_bad_alerts_name_the_key_and_the_fix() -> None:
    raw = example()
    raw["alerts"] = {
        "paid": ["telegran"],
        "tip": "telegram",
        "missing_details_hours": 0,
        "digest": "yes",
        "digest_minutes": 0,
        "refunds": ["discord"],
    }
    found = problems(raw)
    assert "did you mean telegram?" in found["alerts.paid"]
    assert "list of words" in found["alerts.tip"]
    assert "from 1 to 720" in found["alerts.missing_details_hours"]
    assert "digest = true" in found["alerts.digest"]
    assert "digest_minutes" in found["alerts.digest_minutes"]
    assert "did you mean refund_needed?" in found["alerts.refunds"]
