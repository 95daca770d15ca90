"""The Telegram deep-link token of an order paid before its details (bots.chat.deep_links)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bots.chat import deep_links

SECRET = b"k" * 32
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def test_a_token_names_its_order_fits_telegram_and_expires() -> None:
    token = deep_links.make(SECRET, "K7Q2M9XPZA", NOW)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)  # Telegram's start parameter
    assert deep_links.read(SECRET, token, NOW) == "K7Q2M9XPZA"
    assert deep_links.read(SECRET, token, NOW + deep_links.LIFETIME - timedelta(seconds=1))
    assert deep_links.read(SECRET, token, NOW + deep_links.LIFETIME + timedelta(seconds=1)) is None
    assert deep_links.url("vivo_bot", token) == f"https://t.me/vivo_bot?start={token}"


def test_a_token_cannot_be_made_for_another_order_or_stretched() -> None:
    code, expiry, mac = deep_links.make(SECRET, "K7Q2M9XPZA", NOW).split("_", 2)
    assert deep_links.read(SECRET, f"K7Q2M9XPZB_{expiry}_{mac}", NOW) is None
    later = deep_links.make(SECRET, code, NOW + timedelta(days=30)).split("_", 2)[1]
    assert deep_links.read(SECRET, f"{code}_{later}_{mac}", NOW) is None
    assert deep_links.read(b"o" * 32, f"{code}_{expiry}_{mac}", NOW) is None
    assert deep_links.read(SECRET, "", NOW) is None
    assert deep_links.read(SECRET, "hola", NOW) is None
