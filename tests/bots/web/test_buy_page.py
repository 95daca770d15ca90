"""`/c/{sku}`, where the overlay's QR leads: GET only shows, POST reserves and redirects.

A POST reserves only with the cookie and token its page gave, only from this site, within
a per-visitor budget (the visitor's address read through trusted proxies only), and only
while web buyers together hold less than their share of the product.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from chat_helpers import Links

from bots.chat.i18n import Messages
from bots.config import load_config
from bots.runtime.bot import _buy_secret
from bots.runtime.demo import EXAMPLE
from bots.runtime.services import Settings
from bots.web.buy import BuyPage

Serve = Callable[..., Awaitable[str]]


@pytest.fixture
async def serve(store: Any, links: Links, settings: Settings) -> AsyncIterator[Serve]:
    """Start a buy page with the given BuyPage options; returns its base URL."""
    runners: list[web.AppRunner] = []

    async def start(**options: Any) -> str:
        app = web.Application()
        BuyPage(store, links, settings, Messages(), **options).setup(app)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def url(serve: Serve) -> str:
    return await serve()


def browser() -> aiohttp.ClientSession:
    """A browser keeps cookies for 127.0.0.1; aiohttp's client only does when told to."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def token_from(http: aiohttp.ClientSession, page: str) -> str:
    async with http.get(page) as response:
        assert response.status == 200
        found = re.search(r'name=token value="([0-9a-f]+)"', await response.text())
    assert found is not None
    return found.group(1)


async def buy(
    http: aiohttp.ClientSession,
    page: str,
    name: str = "eva",
    headers: Mapping[str, str] | None = None,
) -> int:
    """Open the page, then press its button, as a phone would."""
    token = await token_from(http, page)
    async with http.post(
        page, data={"name": name, "token": token}, headers=headers, allow_redirects=False
    ) as response:
        return response.status


async def test_showing_reserves_nothing_buying_reserves_one_and_redirects(
    url: str, store: Any, links: Links
) -> None:
    before = store.get_product("TAZA").available
    async with browser() as http:
        token = await token_from(http, f"{url}/c/TAZA")
        assert store.get_product("TAZA").available == before
        async with http.post(
            f"{url}/c/TAZA", data={"name": "eva", "token": token}, allow_redirects=False
        ) as response:
            assert response.status == 303
            location = response.headers["Location"]
    [order] = links.orders
    assert location == f"http://pay.test/{order.code}"
    assert (order.viewer.display_name, order.platform) == ("eva", "web")
    assert store.get_product("TAZA").available == before - 1


async def test_unknown_inactive_and_sold_out_products(url: str, store: Any) -> None:
    async with browser() as http:
        for sku in ("NOPE", "GORRA"):
            async with http.get(f"{url}/c/{sku}") as response:
                assert response.status == 404
        assert await buy(http, f"{url}/c/LLAVERO") == 409
    assert store.get_product("LLAVERO").available == 0


async def test_one_browser_is_one_viewer(url: str, store: Any) -> None:
    before = store.get_product("STICK").available
    async with browser() as http:
        statuses = [await buy(http, f"{url}/c/STICK") for _ in range(3)]
    # the cookie made every purchase the same viewer's, so max_per_viewer counts them all
    assert statuses == [303] * 3
    assert len({o.viewer.user_id for o in store.list_orders()}) == 1
    async with browser() as other:
        assert await buy(other, f"{url}/c/TAZA", "leo") == 303
    assert len({o.viewer.user_id for o in store.list_orders()}) == 2
    assert store.get_product("STICK").available == before - 3


async def test_a_post_without_the_pages_cookie_and_token_reserves_nothing(
    url: str, store: Any, links: Links
) -> None:
    before = store.get_product("TAZA").available
    async with browser() as http:
        token = await token_from(http, f"{url}/c/TAZA")
        attempts = [
            {"name": "eva"},  # no token
            {"name": "eva", "token": "0" * 64},  # a made-up one
        ]
        for data in attempts:
            async with http.post(f"{url}/c/TAZA", data=data, allow_redirects=False) as response:
                assert response.status == 403
                page = await response.text()
                assert "No se reservó nada" in page and 'href="/c/TAZA"' in page
    # a form on another site: SameSite keeps the cookie home, so only the token arrives
    async with (
        aiohttp.ClientSession() as cookieless,
        cookieless.post(
            f"{url}/c/TAZA", data={"name": "eva", "token": token}, allow_redirects=False
        ) as response,
    ):
        assert response.status == 403
    # each cookie-less POST used to be a new buyer, past max_per_viewer
    for _ in range(6):
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{url}/c/STICK", data={"name": "x"}, allow_redirects=False) as response,
        ):
            assert response.status == 403
    assert links.orders == []
    assert store.get_product("TAZA").available == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
async def test_a_post_from_another_site_reserves_nothing(
    url: str, store: Any, links: Links, headers: dict[str, str]
) -> None:
    async with browser() as http:
        assert await buy(http, f"{url}/c/TAZA", headers=headers) == 403
    assert links.orders == []


async def test_this_sites_own_origin_and_fetch_headers_are_welcome(serve: Serve) -> None:
    url = await serve(public_url="https://tienda.example")
    welcome = [
        {"Sec-Fetch-Site": "same-origin", "Origin": url},
        {"Origin": url},
        {"Origin": "https://tienda.example"},  # behind the proxy that serves public_url
    ]
    async with browser() as http:
        assert [await buy(http, f"{url}/c/TAZA", headers=h) for h in welcome] == [303] * 3


async def test_one_address_cannot_hoard_the_stock(url: str, store: Any) -> None:
    before = store.get_product("TAZA").available
    statuses = []
    for _ in range(7):
        async with browser() as http:  # a fresh cookie each time: a new "buyer"
            statuses.append(await buy(http, f"{url}/c/TAZA", "bot"))
    assert statuses == [303] * 5 + [429] * 2
    assert store.get_product("TAZA").available == before - 5


async def test_behind_a_trusted_proxy_each_visitor_has_their_own_budget(serve: Serve) -> None:
    url = await serve(trusted_proxies=["127.0.0.1"])
    statuses: dict[str, list[int]] = {"203.0.113.7": [], "198.51.100.2": []}
    for _ in range(6):
        for visitor, seen in statuses.items():
            async with browser() as http:
                # the proxy appends the address it saw; the client may have written anything
                forwarded = {"X-Forwarded-For": f"10.9.9.9, {visitor}"}
                seen.append(await buy(http, f"{url}/c/STICK", headers=forwarded))
    assert statuses == {v: [303] * 5 + [429] for v in statuses}


async def test_rfc_7239_forwarded_is_read_too(serve: Serve) -> None:
    url = await serve(trusted_proxies=["127.0.0.1"])
    statuses = []
    for visitor in ['"[2001:db8::1]:4711"', "203.0.113.9"]:
        for _ in range(6):
            async with browser() as http:
                forwarded = {"Forwarded": f"for={visitor};proto=https"}
                statuses.append(await buy(http, f"{url}/c/STICK", headers=forwarded))
    assert statuses == ([303] * 5 + [429]) * 2


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(serve: Serve) -> None:
    url = await serve(trusted_proxies=["10.0.0.0/8"])  # the connection is from 127.0.0.1
    statuses = []
    for i in range(6):
        async with browser() as http:
            spoofed = {"X-Forwarded-For": f"203.0.113.{i}", "Forwarded": f"for=198.51.100.{i}"}
            statuses.append(await buy(http, f"{url}/c/STICK", headers=spoofed))
    assert statuses == [303] * 5 + [429]


async def test_web_buyers_together_hold_at_most_half_the_stock(
    serve: Serve, store: Any, links: Links
) -> None:
    url = await serve(trusted_proxies=["127.0.0.1"])
    stock = store.get_product("TAZA").stock  # 20
    statuses = []
    for i in range(stock):
        async with browser() as http:  # many phones, each its own address
            address = {"X-Forwarded-For": f"203.0.113.{i}"}
            statuses.append(await buy(http, f"{url}/c/TAZA", f"v{i}", headers=address))
    assert statuses == [303] * (stock // 2) + [409] * (stock - stock // 2)
    assert store.get_product("TAZA").available == stock - stock // 2
    # a reservation that ends (paid, cancelled, expired) frees its place for the next one
    store.cancel_order(links.orders[0].code)
    async with browser() as http:
        assert await buy(http, f"{url}/c/TAZA", headers={"X-Forwarded-For": "192.0.2.1"}) == 303


async def test_processes_sharing_a_secret_accept_each_others_pages(serve: Serve) -> None:
    """Behind one address, the GET and the POST may reach different `vivo run` processes."""
    first, second = await serve(secret=b"k" * 32), await serve(secret=b"k" * 32)
    stranger = await serve()  # its own random secret, as a process without one makes
    async with browser() as http:
        token = await token_from(http, f"{first}/c/TAZA")
        for other, status in ((stranger, 403), (second, 303)):
            async with http.post(
                f"{other}/c/TAZA", data={"name": "eva", "token": token}, allow_redirects=False
            ) as response:
                assert response.status == status


def test_every_process_of_a_store_derives_the_same_secret() -> None:
    env = {"MP_ACCESS_TOKEN": "APP_USR-1", "MP_WEBHOOK_SECRET": "s"}
    one, two = load_config(EXAMPLE, env), load_config(EXAMPLE, env)
    other = load_config(EXAMPLE, {**env, "MP_ACCESS_TOKEN": "APP_USR-2"})
    assert _buy_secret(one) == _buy_secret(two) != _buy_secret(other)
    assert _buy_secret(one) not in (None, b"APP_USR-1")


async def test_a_purchase_on_the_page_is_published_as_order_reserved(
    serve: Serve, store: Any
) -> None:
    from bots.runtime.events import Event, EventBus, OrderReserved
    from bots.testing import until

    bus = EventBus()
    heard: list[Event] = []

    async def listen(event: Event) -> None:
        heard.append(event)

    bus.subscribe(listen)
    url = await serve(bus=bus)
    async with browser() as http:
        assert await buy(http, f"{url}/c/TAZA") == 303
    [event] = await until(lambda: heard)
    assert isinstance(event, OrderReserved)
    assert (event.order.platform, event.order.lines[0].sku) == ("web", "TAZA")
