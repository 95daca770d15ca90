"""Every response of the bot's web app carries its security headers, errors included.

The buy page may not be framed (its button reserves stock); the overlay may, since OBS
loads it as a page of its own and it has nothing to click.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from chat_helpers import Links

from bots.chat.i18n import Messages
from bots.runtime.events import EventBus
from bots.runtime.payments import PaymentRecorder
from bots.runtime.services import Settings
from bots.web.app import build_app
from bots.web.buy import BuyPage
from bots.web.overlay import Overlay
from commerce.payments.mercadopago import MercadoPagoProvider


@pytest.fixture
async def url(store: Any, links: Links, settings: Settings) -> AsyncIterator[str]:
    provider = MercadoPagoProvider("TEST-token", "secret", endpoint="http://127.0.0.1:9")
    recorder = PaymentRecorder(store, provider, EventBus())
    pages = (Overlay(store, Messages()), BuyPage(store, links, settings, Messages()))
    runner = web.AppRunner(build_app(store, provider, recorder, pages))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


REQUESTS = [
    ("GET", "/c/TAZA", 200),
    ("POST", "/c/TAZA", 403),
    ("GET", "/c/static/buy.css", 200),
    ("GET", "/c/NOPE", 404),
    ("GET", "/p/NOPE", 404),
    ("GET", "/healthz", 200),
    ("GET", "/no-such-page", 404),
    ("POST", "/webhooks/mercadopago", 400),  # an empty body is no notification
    ("GET", "/overlay", 200),
    ("GET", "/overlay/state", 200),
    ("GET", "/overlay/static/overlay.js", 200),
    ("GET", "/overlay/events", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), REQUESTS)
async def test_every_response_has_nosniff_a_referrer_policy_and_a_csp(
    url: str, method: str, path: str, status: int
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url + path, allow_redirects=False) as response,
    ):
        assert response.status == status
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "base-uri 'none'" in csp
    if path == "/overlay":  # the page OBS loads; its data and files are framed by no one
        assert "frame-ancestors" not in csp and "X-Frame-Options" not in headers
    else:
        assert "frame-ancestors 'none'" in csp and headers["X-Frame-Options"] == "DENY"


async def test_pages_allow_only_their_own_scripts_and_styles(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/c/TAZA") as response:
            buy_csp = response.headers["Content-Security-Policy"]
            buy_html = await response.text()
        async with http.get(f"{url}/overlay") as response:
            overlay_csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in buy_csp  # the buy page runs no script at all
    assert "style-src 'self'" in buy_csp and "unsafe-inline" not in buy_csp
    assert "<style" not in buy_html and "<script" not in buy_html
    assert "script-src 'self'" in overlay_csp and "connect-src 'self'" in overlay_csp
