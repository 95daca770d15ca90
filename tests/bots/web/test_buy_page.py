"""`/c/{sku}`, where the overlay's QR leads: GET only shows, POST reserves and redirects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from chat_helpers import Links

from bots.i18n import Messages
from bots.services import Settings
from bots.web.buy import BuyPage


@pytest.fixture
async def url(store: Any, links: Links, settings: Settings) -> AsyncIterator[str]:
    app = web.Application()
    BuyPage(store, links, settings, Messages()).setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_showing_reserves_nothing_buying_reserves_one_and_redirects(
    url: str, store: Any, links: Links
) -> None:
    before = store.get_product("TAZA").available
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/c/TAZA") as response:
            assert response.status == 200 and "Taza" in await response.text()
        assert store.get_product("TAZA").available == before
        async with http.post(
            f"{url}/c/TAZA", data={"name": "eva"}, allow_redirects=False
        ) as response:
            assert response.status == 303
            location = response.headers["Location"]
    [order] = links.orders
    assert location == f"http://pay.test/{order.code}"
    assert (order.viewer.display_name, order.platform) == ("eva", "web")
    assert store.get_product("TAZA").available == before - 1


async def test_unknown_inactive_and_sold_out_products(url: str, store: Any) -> None:
    async with aiohttp.ClientSession() as http:
        for sku in ("NOPE", "GORRA"):
            async with http.get(f"{url}/c/{sku}") as response:
                assert response.status == 404
        async with http.post(f"{url}/c/LLAVERO", allow_redirects=False) as response:
            assert response.status == 409
    assert store.get_product("LLAVERO").available == 0


async def test_one_browser_is_one_viewer(url: str, store: Any) -> None:
    before = store.get_product("STICK").available
    # a browser keeps cookies for 127.0.0.1; aiohttp's client only does when told to
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{url}/c/STICK") as response:
            assert response.status == 200
        statuses = []
        for _ in range(3):
            async with http.post(
                f"{url}/c/STICK", data={"name": "eva"}, allow_redirects=False
            ) as response:
                statuses.append(response.status)
    # the cookie made every purchase the same viewer's, so max_per_viewer counts them all
    assert statuses == [303] * 3
    orders = {o.viewer.user_id for o in store.list_orders()}
    assert len(orders) == 1
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other,
        other.post(f"{url}/c/TAZA", data={"name": "leo"}, allow_redirects=False) as response,
    ):
        assert response.status == 303
    assert len({o.viewer.user_id for o in store.list_orders()}) == 2
    assert store.get_product("STICK").available == before - 3


async def test_one_address_cannot_hoard_the_stock(url: str, store: Any) -> None:
    before = store.get_product("TAZA").available
    statuses = []
    for _ in range(7):
        # a fresh session each time: no cookie to tie the purchases together
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/c/TAZA", data={"name": "bot"}, allow_redirects=False) as response,
        ):
            statuses.append(response.status)
    assert statuses == [303] * 5 + [429] * 2
    assert store.get_product("TAZA").available == before - 5
