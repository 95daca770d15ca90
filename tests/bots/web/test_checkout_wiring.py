"""The running bot shows the checkout page at /p/<code> only with a public URL."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import aiohttp

from bots.runtime.demo import EXAMPLE
from bots.testing import RecordingAdapter, open_stage
from bots.web import security
from commerce.views import LineRequest, ViewerRef

EVA = ViewerRef("twitch", "u-eva", "eva")


async def _open(tmp_path: Path, public_url: str, sku: str) -> tuple[int, str, str]:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r'^public_url = ""$', f'public_url = "{public_url}"', text, flags=re.M)
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    async with open_stage(
        tmp_path, lambda *_: [RecordingAdapter("twitch")], config_path=config
    ) as stage:
        order = stage.store.reserve(EVA, "canal", [LineRequest(sku, 1)], ttl=timedelta(minutes=15))
        assert await stage.bot.links.for_order(order)
        address = f"{stage.web_url}/p/{order.code}"
        async with aiohttp.ClientSession() as http, http.get(address, allow_redirects=False) as r:
            return r.status, r.headers.get(security.CSP, ""), await r.text()


async def test_with_a_public_url_a_shipped_order_shows_the_checkout_page(
    tmp_path: Path,
) -> None:
    status, policy, text = await _open(tmp_path, "https://tienda.example", "STICK-PACK")
    assert status == 200 and policy == security.CHECKOUT
    assert "Correo Argentino" in text and "Local de Palermo" in text  # config.example's


async def test_a_digital_order_goes_straight_to_pay(tmp_path: Path) -> None:
    status, _, _ = await _open(tmp_path, "https://tienda.example", "SALUDO")
    assert status == 302


async def test_without_a_public_url_the_short_link_only_redirects(tmp_path: Path) -> None:
    status, _, _ = await _open(tmp_path, "", "STICK-PACK")
    assert status == 302
