"""`[panel]` in config.toml: every key optional, each problem named with its fix."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bots.config import ConfigError, PanelSettings, parse_config

BASE = {"payments": {"mercadopago": {"access_token": "TEST-x"}}}


def test_defaults_without_a_panel_section() -> None:
    panel = parse_config(BASE, {}).panel
    assert panel == PanelSettings()
    assert (panel.link_ttl, panel.session_ttl) == (timedelta(minutes=15), timedelta(days=14))
    assert panel.stream_gap == timedelta(minutes=90) and panel.low_stock == 3


def test_every_key_is_read() -> None:
    raw = {
        **BASE,
        "panel": {
            "link_minutes": 5,
            "session_days": 2,
            "low_stock": 0,
            "stream_gap_minutes": 45,
            "timezone": "America/Lima",
        },
    }
    assert parse_config(raw, {}).panel == PanelSettings(5, 2, 0, 45, "America/Lima")


def test_problems_name_the_key() -> None:
    raw = {**BASE, "panel": {"link_minutes": 0, "timezone": "Marte/Olimpo"}}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, {})
    keys = {p.key for p in caught.value.problems}
    assert {"panel.link_minutes", "panel.timezone"} <= keys
