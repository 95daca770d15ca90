"""Signing in to the owner's panel: one-time links, session cookies, CSRF, roles.

Every route the panel registers is enumerated from its router, so a route added later is
covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
import pytest
from panel_helpers import Browser, Served

from bots.web.panel.core import PUBLIC_ROUTES, STAFF_ROUTES
from commerce.sessions import PanelRole
from commerce.views import LineRequest, ViewerRef

SAMPLE = {"code": "NOSUCH", "sku": "TAZA", "name": "panel.css", "id": "1", "kind": "sale"}


@pytest.fixture
async def browser(served: Served) -> AsyncIterator[Browser]:
    b = Browser(served)
    yield b
    await b.close()


def routes(served: Served) -> list[tuple[str, str, str]]:
    """(method, concrete path, route name) for every route of the panel."""
    found = []
    for route in served.panel.app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        template = info.get("formatter") or info.get("path") or ""
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], template)
        found.append((route.method, path, route.name or ""))
    return found


def set_cookie(response: aiohttp.ClientResponse) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        jar.load(header)
    return jar


async def test_a_printed_link_signs_in_once_with_a_strict_http_only_cookie(
    served: Served, browser: Browser
) -> None:
    token = served.store.panel_link(PanelRole.OWNER, timedelta(minutes=5))
    page = await browser.get(f"/panel/entrar?t={token}")
    assert page.status == 200  # showing the link's page burns nothing
    response = await browser.post("/panel/entrar", {"t": token}, csrf=False)
    assert response.status == 303 and response.headers["Location"] == "/panel/"
    cookie = set_cookie(response)["vivo_panel"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/panel"
    assert not cookie["secure"]  # plain http on loopback
    assert token not in cookie.value
    assert (await browser.get("/panel/vivo")).status == 200
    again = Browser(served)
    try:
        reused = await again.post("/panel/entrar", {"t": token}, csrf=False)
        assert reused.status == 403 and "vivo_panel" not in set_cookie(reused)
        assert (await again.get("/panel/vivo")).status == 303
    finally:
        await again.close()


async def test_an_expired_or_made_up_link_is_refused(served: Served, browser: Browser) -> None:
    old = datetime.now(UTC) - timedelta(minutes=20)
    token = served.store.panel_link(PanelRole.OWNER, timedelta(minutes=15), now=old)
    for link in (token, "made-up-token"):
        response = await browser.post("/panel/entrar", {"t": link}, csrf=False)
        assert response.status == 403
    assert (await browser.get("/panel/vivo")).status == 303


async def test_the_cookie_is_secure_behind_https(served: Served, browser: Browser) -> None:
    token = served.store.panel_link(PanelRole.OWNER, timedelta(minutes=5))
    response = await browser.post(
        "/panel/entrar", {"t": token}, csrf=False, headers={"X-Forwarded-Proto": "https"}
    )
    assert set_cookie(response)["vivo_panel"]["secure"]


async def test_only_the_sign_in_page_and_static_files_are_public(served: Served) -> None:
    names = {name for _, _, name in routes(served)}
    assert {"panel.signin", "panel.signin_post", "panel.static"} == PUBLIC_ROUTES
    assert names >= PUBLIC_ROUTES
    assert len(names) > 20


async def test_every_route_refuses_a_visitor_without_a_session(served: Served) -> None:
    checked = 0
    async with aiohttp.ClientSession() as http:
        for method, path, name in routes(served):
            if name in PUBLIC_ROUTES:
                continue
            async with http.request(
                method,
                f"{served.url}{path}",
                allow_redirects=False,
                headers={"Origin": served.url},
            ) as response:
                if method == "GET":
                    assert response.status == 303, (method, path)
                    assert response.headers["Location"] == "/panel/entrar", path
                else:
                    assert response.status == 401, (method, path)
            checked += 1
    assert checked == len(routes(served)) - len(PUBLIC_ROUTES)


async def test_a_forged_session_cookie_is_no_session(served: Served) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar, cookies={"vivo_panel": "forged"}) as http,
        http.get(f"{served.url}/panel/pedidos", allow_redirects=False) as response,
    ):
        assert response.status == 303


async def test_a_state_change_needs_the_csrf_token_and_the_panels_own_origin(
    served: Served, browser: Browser, store: Any
) -> None:
    await browser.sign_in()
    assert browser.csrf
    path = "/panel/productos/TAZA/stock"
    refused = [
        await browser.post(path, {"stock": "7"}, csrf=False),
        await browser.post(path, {"stock": "7", "_csrf": "0" * 64}, csrf=False),
        await browser.post(path, {"stock": "7"}, headers={"Origin": "https://evil.example"}),
        await browser.post(path, {"stock": "7"}, headers={"Sec-Fetch-Site": "cross-site"}),
        await browser.post(path, {"stock": "7"}, headers={"Origin": "null"}),
    ]
    assert [r.status for r in refused] == [403] * 5
    assert store.get_product("TAZA").stock == 20
    done = await browser.post(path, {"stock": "7"}, headers={"Sec-Fetch-Site": "same-origin"})
    assert done.status == 303
    assert store.get_product("TAZA").stock == 7


async def test_a_cross_site_sign_in_post_is_refused(served: Served, browser: Browser) -> None:
    token = served.store.panel_link(PanelRole.OWNER, timedelta(minutes=5))
    response = await browser.post(
        "/panel/entrar", {"t": token}, csrf=False, headers={"Origin": "https://evil.example"}
    )
    assert response.status == 403
    assert (await browser.post("/panel/entrar", {"t": token}, csrf=False)).status == 303


async def test_sign_in_attempts_are_rate_limited(served: Served, browser: Browser) -> None:
    statuses = [
        (await browser.post("/panel/entrar", {"t": f"guess-{i}"}, csrf=False)).status
        for i in range(12)
    ]
    assert statuses[:10] == [403] * 10
    assert statuses[10:] == [429, 429]
    token = served.store.panel_link(PanelRole.OWNER, timedelta(minutes=5))
    # even a good link waits: the limit is on attempts, not on failures
    assert (await browser.post("/panel/entrar", {"t": token}, csrf=False)).status == 429


async def test_behind_a_trusted_proxy_each_visitor_has_their_own_sign_in_budget(
    served: Served, browser: Browser
) -> None:
    """The test connects from 127.0.0.1, a trusted proxy by default: X-Forwarded-For names
    the visitor, so one guesser cannot lock the owner out of their own panel."""

    async def attempt(visitor: str) -> int:
        sent = {"X-Forwarded-For": visitor}
        response = await browser.post("/panel/entrar", {"t": "guess"}, csrf=False, headers=sent)
        return response.status

    assert [await attempt("203.0.113.9") for _ in range(11)][-1] == 429
    assert await attempt("198.51.100.7") == 403  # another visitor: a wrong link, not a lockout


async def test_signing_out_everywhere_ends_every_session(
    served: Served, browser: Browser, store: Any
) -> None:
    await browser.sign_in()
    other = Browser(served)
    try:
        await other.sign_in()
        assert (await other.get("/panel/pedidos")).status == 200
        done = await browser.post("/panel/ajustes/cerrar-sesiones")
        assert done.status == 303
        assert (await other.get("/panel/pedidos")).status == 303
        assert (await browser.get("/panel/pedidos")).status == 303
    finally:
        await other.close()
    assert store.panel_sessions() == []


def test_sessions_expire(store: Any) -> None:
    token = store.panel_link(PanelRole.OWNER, timedelta(minutes=5))
    signed = store.panel_sign_in(token, timedelta(days=1))
    assert signed is not None
    session_token, view = signed
    assert view.role is PanelRole.OWNER
    assert store.panel_session(session_token) is not None
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert store.panel_session(session_token, now=later) is None
    assert store.panel_sign_in(token, timedelta(days=1)) is None  # the link was used


async def test_staff_reach_only_their_routes(served: Served, browser: Browser, store: Any) -> None:
    await browser.sign_in(PanelRole.STAFF)
    staff = served.panel.app[STAFF_ROUTES]
    assert {"panel.orders", "panel.order", "panel.order_fulfil"} <= staff
    closed = {
        "panel.order_refund",
        "panel.product_save",
        "panel.product_stock",
        "panel.settings",
        "panel.summary",
    }
    assert not closed & staff
    for method, path, name in routes(served):
        if name in PUBLIC_ROUTES or name == "panel.signout":
            continue
        if method == "GET":
            response = await browser.get(path)
        else:
            response = await browser.post(path, {"stock": "3", "amount": ""})
        if name in staff:
            assert response.status != 403, (name, response.status)
        else:
            assert response.status == 403, (name, response.status)
    assert store.get_product("TAZA").stock == 20


async def test_staff_fulfil_an_order_but_cannot_refund_it(
    served: Served, browser: Browser, store: Any
) -> None:
    order = store.reserve(
        ViewerRef("twitch", "u1", "ana"), "canal", [LineRequest("TAZA")], ttl=timedelta(minutes=5)
    )
    await browser.sign_in(PanelRole.STAFF)
    page = await browser.get(f"/panel/pedidos/{order.code}")
    assert page.status == 200
    refused = await browser.post(f"/panel/pedidos/{order.code}/reembolsar")
    assert refused.status == 403
    cancel = await browser.post(f"/panel/pedidos/{order.code}/cancelar")
    assert cancel.status == 403
    assert store.get_order(order.code).status.value == "pending"
