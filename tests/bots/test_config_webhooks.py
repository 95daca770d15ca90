"""`[[webhooks]]` in config.toml: each problem named with its key and fix, secrets never quoted."""

from __future__ import annotations

from typing import Any

import pytest

from bots.config import ConfigError, WebhookConfig, parse_config
from bots.runtime.webhook_payloads import EVENT_TYPES

BASE = {"payments": {"mercadopago": {"access_token": "TEST-x"}}}
SECRET = "s3cr3t-0123456789abcdef"


def _problems(*hooks: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "webhooks": list(hooks)}, env or {})
    return {p.key: str(p) for p in caught.value.problems}


def test_webhooks_are_read_with_their_events_and_secret_from_the_environment() -> None:
    raw = {
        **BASE,
        "webhooks": [
            {
                "name": "zapier",
                "url": "https://hooks.zapier.com/hooks/catch/1/abc/",
                "events": ["order.paid", "tip.received"],
                "secret": "env:ZAPIER_SECRET",
            },
            {"url": "http://127.0.0.1:5678/webhook/vivo", "events": ["*"], "secret": SECRET},
        ],
    }
    config = parse_config(raw, {"ZAPIER_SECRET": "z" * 32})
    zapier, n8n = config.webhooks
    assert zapier == WebhookConfig(
        "zapier",
        "https://hooks.zapier.com/hooks/catch/1/abc/",
        frozenset({"order.paid", "tip.received"}),
        "z" * 32,
    )
    assert n8n.name == "127.0.0.1" and n8n.events == frozenset(EVENT_TYPES)
    assert config.webhook("zapier") is zapier and config.webhook(n8n.url) is n8n
    assert {"z" * 32, SECRET} <= set(config.secrets())  # redacted from every log line
    assert SECRET not in repr(n8n)


def test_no_webhooks_is_fine() -> None:
    assert parse_config(BASE, {}).webhooks == ()


def test_a_bad_url_names_the_key_and_the_fix() -> None:
    found = _problems(
        {"url": "hooks.zapier.com/x", "events": ["order.paid"], "secret": SECRET},
        {"url": "https://user:pw@example.com/x", "events": ["order.paid"], "secret": SECRET},
        {"events": ["order.paid"], "secret": SECRET},
    )
    assert "must be an http(s):// address" in found["webhooks[0].url"]
    assert "user name or password" in found["webhooks[1].url"]
    assert "is missing" in found["webhooks[2].url"]


def test_unknown_events_are_named_with_what_was_meant() -> None:
    found = _problems(
        {"url": "https://a.example/x", "events": ["order.payed"], "secret": SECRET},
        {"url": "https://b.example/x", "events": ["sale"], "secret": SECRET},
        {"url": "https://c.example/x", "secret": SECRET},
    )
    assert "'order.payed' is not an event" in found["webhooks[0].events"]
    assert "did you mean order.paid?" in found["webhooks[0].events"]
    assert "stock.changed" in found["webhooks[1].events"]  # the known names are listed
    assert "is missing" in found["webhooks[2].events"]


def test_the_secret_is_required_and_never_quoted() -> None:
    short = "tiny-secret"
    found = _problems(
        {"url": "https://a.example/x", "events": ["order.paid"]},
        {"url": "https://b.example/x", "events": ["order.paid"], "secret": short},
        {"url": "https://c.example/x", "events": ["order.paid"], "secret": 12345},
        {"url": "https://d.example/x", "events": ["order.paid"], "secret": "env:NOT_SET"},
    )
    assert "is missing" in found["webhooks[0].secret"]
    assert "secrets.token_hex" in found["webhooks[0].secret"]
    assert "too short" in found["webhooks[1].secret"]
    assert "must be text, got a number" in found["webhooks[2].secret"]
    assert "NOT_SET is not set" in found["webhooks[3].secret"]
    assert not any(short in text or "12345" in text for text in found.values())


def test_two_webhooks_on_one_host_need_names_and_typos_in_keys_are_caught() -> None:
    hook = {"url": "https://hooks.zapier.com/a", "events": ["order.paid"], "secret": SECRET}
    found = _problems(hook, {**hook, "url": "https://hooks.zapier.com/b", "evnts": []})
    assert "'hooks.zapier.com' names two webhooks" in found["webhooks[1].name"]
    assert "did you mean events?" in found["webhooks[1].evnts"]
