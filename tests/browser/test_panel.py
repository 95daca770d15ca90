"""The owner's panel in a real browser, on the whole bot as `vivo demo` wires it.

Signs in from the link the bot prints, is refused with a used or expired link and from a
page on another origin, changes a stock and sees `!tienda` in the sandbox chat follow,
watches a payment made on the MercadoPago stand-in's checkout arrive in the live feed
without a reload, refunds it and sees the stock come back, and checks that a helper
(staff) cannot refund. `VIVO_SCREENSHOTS=docs/images` keeps desktop (1440 px) and phone
(375 px) screenshots for docs/panel.md.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect
from test_live_show import bot_line, say

from bots.runtime.demo import sandbox_adapters
from bots.testing import Stage, open_stage
from bots.web.panel.auth import sign_in_link
from commerce.money import Money
from commerce.sessions import PanelRole
from commerce.views import LineRequest, OrderView, TipSource, ViewerRef

WAIT_MS = 20_000  # how long a browser expectation may wait for the bot (not asserted on)
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
async def show(tmp_path: Path) -> AsyncIterator[Stage]:
    async with open_stage(tmp_path, sandbox_adapters, short_links=True) as stage:
        yield stage


def shots_dir(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("VIVO_SCREENSHOTS", "") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


async def strict_csp(browser: BrowserContext) -> list[str]:
    """The Content-Security-Policy violations the browser reports (it logs each one to the
    console) while the panel runs under the policy the app itself sends."""
    violations: list[str] = []

    def listen(page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    browser.on("page", listen)
    return violations


async def signed_in(browser: BrowserContext, link: str) -> Page:
    page = await browser.new_page()
    await page.set_viewport_size(DESKTOP)
    await page.goto(link)
    await expect(page.locator("#live-state")).to_have_attribute(
        "data-state", "live", timeout=WAIT_MS
    )
    return page


async def test_sign_in_from_the_printed_link_and_what_is_refused(
    show: Stage, browser: BrowserContext
) -> None:
    link = show.bot.panel_link()
    assert link.startswith(f"{show.web_url}/panel/entrar?t=")
    page = await signed_in(browser, link)
    assert page.url == f"{show.web_url}/panel/vivo"
    cookies = {c["name"]: c for c in await browser.cookies()}
    assert cookies["vivo_panel"]["httpOnly"] and cookies["vivo_panel"]["sameSite"] == "Strict"

    # The same link again, from a browser without the cookie (another host name for the
    # same server keeps its own cookies): refused; so is an expired link.
    elsewhere = show.web_url.replace("127.0.0.1", "localhost")
    stranger = await browser.new_page()
    await stranger.goto(link.replace(show.web_url, elsewhere))
    await expect(stranger.locator(".notice.bad")).to_contain_text("ya se usó o venció")
    await expect(stranger.locator("#live-state")).to_have_count(0)
    expired = sign_in_link(show.store, elsewhere, timedelta(minutes=-1), PanelRole.OWNER)
    await stranger.goto(expired)
    await expect(stranger.locator(".notice.bad")).to_contain_text("ya se usó o venció")
    await stranger.goto(f"{elsewhere}/panel/pedidos")
    assert stranger.url == f"{elsewhere}/panel/entrar"

    # A page on another origin (the sandbox's) posts to the panel with the owner's cookie.
    before = show.store.get_product("TAZA-01").stock
    attacker = await browser.new_page()
    await attacker.goto(f"{show.sandbox.url}/")
    await attacker.evaluate(
        """(action) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const stock = document.createElement("input");
            stock.name = "stock";
            stock.value = "0";
            form.appendChild(stock);
            document.body.appendChild(form);
            form.submit();
        }""",
        f"{show.web_url}/panel/productos/TAZA-01/stock",
    )
    await expect(attacker.locator("body")).to_contain_text("cross-site request refused")
    assert show.store.get_product("TAZA-01").stock == before


async def test_a_stock_changed_in_the_panel_is_what_tienda_says(
    show: Stage, browser: BrowserContext, tmp_path: Path
) -> None:
    page = await signed_in(browser, show.bot.panel_link())
    await page.goto(f"{show.web_url}/panel/productos")
    row = page.locator('tr[data-sku="TAZA-01"]')
    await row.locator('input[name="stock"]').fill("0")
    await row.get_by_role("button").first.click()
    await expect(page.locator(".notice.ok")).to_be_visible()
    await expect(row.locator('[data-col="available"]')).to_have_text("0")
    assert show.store.get_product("TAZA-01").stock == 0

    chat = await browser.new_page()
    await chat.goto(f"{show.sandbox.url}/")
    await expect(chat.locator("body")).to_have_attribute("data-feed", "live", timeout=WAIT_MS)
    await say(chat, "twitch", "!tienda", who="beto")
    await expect(bot_line(chat, "twitch", "Taza del stream")).to_contain_text(
        "sin stock", timeout=WAIT_MS
    )


async def test_a_payment_arrives_in_the_live_feed_and_a_refund_returns_its_stock(
    show: Stage, browser: BrowserContext, tmp_path: Path
) -> None:
    panel = await signed_in(browser, show.bot.panel_link())
    available = show.store.get_product("TAZA-01").available

    order: OrderView = show.store.reserve(
        ViewerRef("twitch", "u-ana", "ana"),
        "canal",
        [LineRequest("TAZA-01", 2)],
        ttl=timedelta(minutes=15),
    )
    url = await show.bot.links.for_order(order)
    assert url is not None
    checkout = await browser.new_page()
    await checkout.goto(url)
    await checkout.get_by_role("button", name="Pagar").click()
    await expect(checkout.locator("main")).to_contain_text("aprobado", timeout=WAIT_MS)

    item = panel.locator(f'#feed li.k-paid[data-code="{order.code}"]')
    await expect(item).to_be_visible(timeout=WAIT_MS)  # no reload: the SSE feed brought it
    await expect(item).to_contain_text("ana pagó")
    await expect(panel.locator('[data-stat="orders"]')).to_have_text("1", timeout=WAIT_MS)
    assert show.store.get_product("TAZA-01").available == available - 2

    shots = shots_dir(tmp_path)
    await panel.screenshot(
        path=str(shots / "panel-live-desktop.png"), full_page=True, animations="disabled"
    )
    phone = await browser.new_page()
    await phone.set_viewport_size(PHONE)
    await phone.goto(f"{show.web_url}/panel/vivo")
    await expect(phone.locator("#feed li.k-paid")).to_be_visible(timeout=WAIT_MS)
    await phone.screenshot(
        path=str(shots / "panel-live-phone.png"), full_page=True, animations="disabled"
    )

    # A helper sees the order but has no refund button, and a forged refund is refused.
    elsewhere = show.web_url.replace("127.0.0.1", "localhost")  # its own cookies
    helper = await browser.new_page()
    await helper.set_viewport_size(DESKTOP)
    await helper.goto(sign_in_link(show.store, elsewhere, timedelta(minutes=5), PanelRole.STAFF))
    await expect(helper.locator(".badge", has_text="ayudante")).to_be_visible(timeout=WAIT_MS)
    await helper.goto(f"{elsewhere}/panel/pedidos/{order.code}")
    await expect(helper.locator('[data-action="fulfil"]')).to_be_visible()
    await expect(helper.locator('[data-action="refund"]')).to_have_count(0)
    status = await helper.evaluate(
        """async (action) => {
            const body = new URLSearchParams({_csrf: document.body.dataset.csrf});
            const answer = await fetch(action, {method: "POST", body});
            return answer.status;
        }""",
        f"{elsewhere}/panel/pedidos/{order.code}/reembolsar",
    )
    assert status == 403
    await helper.goto(f"{elsewhere}/panel/resumen")
    await expect(helper.locator("h1")).to_have_text("Solo el dueño")

    # The owner refunds it from the order's page; the units are back for sale.
    await panel.goto(f"{show.web_url}/panel/pedidos/{order.code}")
    await panel.screenshot(
        path=str(shots / "panel-order-desktop.png"), full_page=True, animations="disabled"
    )
    panel.once("dialog", lambda dialog: dialog.accept())
    await panel.locator('[data-action="refund"]').click()
    await expect(panel.locator(".notice.ok")).to_be_visible(timeout=WAIT_MS)
    await expect(panel.locator("h1 .status")).to_have_text("reembolsado")
    assert show.store.get_product("TAZA-01").available == available
    await panel.goto(f"{show.web_url}/panel/vivo")
    await expect(panel.locator("#feed li.k-refunded")).to_be_visible(timeout=WAIT_MS)


async def test_a_rush_of_payments_is_counted_and_shown_as_it_lands(
    show: Stage, browser: BrowserContext, tmp_path: Path
) -> None:
    """Eight buyers on four platforms pay within seconds, one tips, two still owe: the live
    page shows each as it lands and counts them all. Also the screenshots for the docs."""
    violations = await strict_csp(browser)
    panel = await signed_in(browser, show.bot.panel_link())
    mp = show.sandbox.mercadopago
    buyers = [
        ("twitch", "ana", "TAZA-01", 1),
        ("youtube", "beto", "REM-VIVO", 1),
        ("discord", "caro", "STICK-PACK", 3),
        ("telegram", "dani", "TAZA-01", 2),
        ("twitch", "eli", "SALUDO", 1),
        ("youtube", "fede", "STICK-PACK", 1),
        ("discord", "gabi", "REM-VIVO", 1),
        ("telegram", "hugo", "TAZA-01", 1),
    ]
    unpaid = [("twitch", "iris", "SALUDO", 1), ("youtube", "juan", "TAZA-01", 1)]
    for platform, name, sku, quantity in [*buyers, *unpaid]:
        variant = "talle=M" if sku == "REM-VIVO" else None
        order = show.store.reserve(
            ViewerRef(platform, f"id-{name}", name),
            "canal",
            [LineRequest(sku, quantity, variant)],
            ttl=timedelta(minutes=2),
        )
        await show.bot.links.for_order(order)
        if name not in ("iris", "juan"):  # these two have not paid yet
            made = show.store.get_order(order.code)
            mp.pay(mp.preferences[str(made.preference_id)])
    tip = show.store.create_tip(
        ViewerRef("twitch", "id-beto", "beto"),
        "canal",
        Money(Decimal(2000), "ARS"),
        "¡saludos desde Lima!",
        TipSource.LINK,
        ttl=timedelta(minutes=15),
    )
    await show.bot.links.for_tip(tip)
    mp.pay(mp.preferences[str(show.store.get_tip(tip.code).preference_id)])

    await expect(panel.locator("#feed li.k-paid")).to_have_count(len(buyers), timeout=WAIT_MS)
    await expect(panel.locator("#feed li.k-tip")).to_contain_text("¡saludos desde Lima!")
    await expect(panel.locator('[data-stat="orders"]')).to_have_text("10", timeout=WAIT_MS)
    await expect(panel.locator(".card", has_text="Reservas por vencer")).to_contain_text("iris")

    shots = shots_dir(tmp_path)
    await panel.screenshot(path=str(shots / "panel-live-desktop.png"), animations="disabled")
    for width, view in (("desktop", DESKTOP), ("phone", PHONE)):
        await panel.set_viewport_size(view)
        for name, path in (
            ("live", "/panel/vivo"),
            ("orders", "/panel/pedidos"),
            ("products", "/panel/productos"),
            ("summary", "/panel/resumen"),
        ):
            if (name, width) == ("live", "desktop"):
                continue
            await panel.goto(f"{show.web_url}{path}")
            if name == "live":
                await expect(panel.locator("#feed li.k-paid")).to_have_count(len(buyers))
            await panel.screenshot(
                path=str(shots / f"panel-{name}-{width}.png"), full_page=True, animations="disabled"
            )
            wide = await panel.evaluate("document.documentElement.scrollWidth")
            assert wide <= view["width"], (name, width, wide)  # nothing scrolls sideways
    await panel.goto(f"{show.web_url}/panel/resumen")
    await expect(panel.locator("#sales-chart canvas")).to_be_visible()  # uPlot drew it
    assert violations == []  # every page worked under a strict Content-Security-Policy
    [first] = show.store.viewer_orders("twitch", "id-ana")
    await panel.set_viewport_size(PHONE)
    for path in (f"/panel/pedidos/{first.code}", "/panel/productos/REM-VIVO", "/panel/ajustes"):
        await panel.goto(f"{show.web_url}{path}")
        if path.startswith("/panel/pedidos/"):
            await panel.screenshot(path=str(shots / "panel-order-phone.png"), full_page=True)
        assert await panel.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    await panel.set_viewport_size(DESKTOP)
    await panel.goto(f"{show.web_url}/panel/pedidos/{first.code}")
    await panel.screenshot(path=str(shots / "panel-order-desktop.png"), full_page=True)
    assert (shots / "panel-live-desktop.png").stat().st_size > 10_000
