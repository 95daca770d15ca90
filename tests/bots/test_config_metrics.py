"""`[metrics]` and `[logging]` in config.toml: optional, and each problem names its fix."""

from __future__ import annotations

import pytest

from bots.config import ConfigError, LoggingSettings, MetricsSettings, parse_config

BASE = {"payments": {"mercadopago": {"access_token": "TEST-x"}}}
TOKEN = "0123456789abcdef0123"


def test_defaults_serve_loopback_only_in_text() -> None:
    config = parse_config(BASE, {})
    assert config.metrics == MetricsSettings(token=None)
    assert config.logging == LoggingSettings(format="text")


def test_the_token_may_come_from_the_environment_and_is_redacted() -> None:
    raw = {**BASE, "metrics": {"token": "env:VIVO_METRICS_TOKEN"}, "logging": {"format": "JSON"}}
    config = parse_config(raw, {"VIVO_METRICS_TOKEN": TOKEN})
    assert config.metrics.token == TOKEN and config.logging.format == "json"
    assert TOKEN in config.secrets()


def test_problems_name_the_key_and_the_fix() -> None:
    raw = {**BASE, "metrics": {"token": "xyzzy42", "port": 9}, "logging": {"format": "xml"}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, {})
    problems = {p.key: p for p in caught.value.problems}
    assert {"metrics.token", "logging.format"} <= set(problems)
    assert "VIVO_METRICS_TOKEN" in str(problems["metrics.token"])
    assert "json" in str(problems["logging.format"])
    assert "xyzzy42" not in str(problems["metrics.token"])  # a secret is never echoed
    assert any("port" in str(p) for p in caught.value.problems)  # unknown key
