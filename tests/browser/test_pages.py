"""The overlay's layouts and the QR buy page, laid out by a real Chromium.

The bot's web app (build_app, with its security headers) serves the overlay and the buy
page from a fresh store whose products carry long names, variants and an image hosted on
another origin, as an owner's shop CDN would. Assertions are about geometry: nothing
overlaps, nothing runs off the page, the image is drawn. A Content-Security-Policy
violation on any page fails the test. `VIVO_SCREENSHOTS=docs/images` keeps the pictures.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, expect

from bots.chat.i18n import Messages
from bots.runtime.events import EventBus, GoalChanged, OrderPaid, SpotlightChanged
from bots.runtime.payments import PaymentRecorder
from bots.runtime.services import Settings
from bots.web.app import build_app
from bots.web.buy import BuyPage
from bots.web.overlay import Overlay
from commerce.money import Money
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderView, ProductSpec, TipView, VariantSpec, ViewerRef

WAIT_MS = 20_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PICTURE = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="400" viewBox="0 0 600 400">'
    '<rect width="600" height="400" fill="#f6c744"/><circle cx="300" cy="200" r="120" '
    'fill="#7c3aed"/></svg>'
)


@dataclass
class Site:
    url: str
    store: Store
    overlay: Overlay
    image_url: str


class Links:
    """Payment links that go nowhere: these tests stop at the buy page."""

    async def for_order(self, order: OrderView) -> str | None:
        return f"/p/{order.code}"

    async def for_tip(self, tip: TipView) -> str | None:
        return f"/p/{tip.code}"


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    images = web.Application()  # another origin, like the shop's CDN

    async def picture(request: web.Request) -> web.Response:
        return web.Response(text=PICTURE, content_type="image/svg+xml")

    images.router.add_get("/taza.svg", picture)
    image_runner, image_base = await _serve(images)
    image_url = f"{image_base}/taza.svg"

    store = Store(f"sqlite:///{tmp_path / 'pages.db'}")
    store.migrate()
    sizes = ("S", "M", "L", "XL")
    store.sync_catalog(
        [
            ProductSpec(
                "TAZA-01",
                "Taza edición especial del stream",
                Decimal("128500"),
                "ARS",
                description="Cerámica esmaltada de 350 ml, apta para lavavajillas y microondas",
                image_url=image_url,
                variants=tuple(
                    VariantSpec(
                        {"color": color, "tamaño": size},
                        stock=4,
                        price=Decimal("139900") if size == "XL" else None,
                    )
                    for color in ("negro", "blanco")
                    for size in sizes
                ),
            ),
            ProductSpec("STICK", "Stickers", Decimal("2500"), "ARS", stock=50),
        ]
    )
    messages = Messages()
    overlay = Overlay(store, messages, locale="es")
    provider = MercadoPagoProvider("TEST-token", "secret", endpoint="http://127.0.0.1:9")
    recorder = PaymentRecorder(store, provider, EventBus())
    buy = BuyPage(store, Links(), Settings(), messages)
    runner, url = await _serve(build_app(store, provider, recorder, (overlay, buy)))
    try:
        yield Site(url, store, overlay, image_url)
    finally:
        await runner.cleanup()
        await image_runner.cleanup()
        store.close()


async def _stage(site: Site) -> None:
    await site.overlay.on_event(SpotlightChanged(site.store.get_product("TAZA-01")))
    await site.overlay.on_event(GoalChanged(Money(Decimal("1500000"), "ARS"), "sales"))


async def _sale(site: Site) -> None:
    """An alert, for an overlay that is already connected (a fresh page replays none)."""
    viewer = ViewerRef("twitch", "u1", "Valentina_del_Mar")
    order = site.store.reserve(viewer, "canal", [LineRequest("STICK", 2)], ttl=timedelta(hours=1))
    await site.overlay.on_event(OrderPaid(order))


async def _open(browser: BrowserContext, url: str, viewport: dict[str, int]) -> Page:
    page = await browser.new_page()
    await page.set_viewport_size(viewport)  # type: ignore[arg-type]
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    await page.goto(url)
    page.set_default_timeout(WAIT_MS)
    page.violations = violations  # type: ignore[attr-defined]
    return page


Box = dict[str, float]


async def _box(page: Page, selector: str) -> Box:
    box = await page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not drawn"
    return dict(box)


async def _ink(page: Page, selector: str) -> Box:
    """Where an element's text is actually drawn, overflow included (its box may be
    narrower than a line that does not wrap)."""
    rect: dict[str, float] = await page.locator(selector).evaluate(
        """e => { const r = document.createRange(); r.selectNodeContents(e);
                  const b = r.getBoundingClientRect();
                  return {x: b.x, y: b.y, width: b.width, height: b.height}; }"""
    )
    assert rect["width"] > 0, f"{selector} has no text"
    return rect


def _overlap(a: Box, b: Box) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _inside(inner: Box, outer: Box) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


DOCUMENTED = {"overlay-side-light.png", "buy-page-phone.png"}  # the ones docs/ shows


def _shot(tmp_path: Path, name: str) -> str:
    kept = os.environ.get("VIVO_SCREENSHOTS", "")
    folder = Path(kept) if kept and name in DOCUMENTED else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)


async def _image_drawn(page: Page, selector: str) -> bool:
    drawn: Any = await page.locator(selector).evaluate(
        "img => img.complete && img.naturalWidth > 0"
    )
    return bool(drawn)


@pytest.mark.parametrize("theme", ["light", "neon", "dark"])
@pytest.mark.parametrize("layout", ["side", "full"])
async def test_overlay_widgets_do_not_overlap_or_wrap(
    site: Site, browser: BrowserContext, tmp_path: Path, theme: str, layout: str
) -> None:
    await _stage(site)
    page = await _open(
        browser,
        f"{site.url}/overlay?layout={layout}&theme={theme}&preview=1&duration=600",
        {"width": 1920, "height": 1080},
    )
    await expect(page.locator("#spot-name")).to_have_text("Taza edición especial del stream")
    await expect(page.locator("body")).to_have_attribute("data-connected", "true")
    await _sale(site)
    await expect(page.locator(".alert.order.in")).to_be_visible()
    await expect(page.locator("#spot-image")).to_be_visible()
    assert await _image_drawn(page, "#spot-image")
    await page.wait_for_timeout(700)  # let the alert's entrance animation settle (not asserted)
    screen = {"x": 0.0, "y": 0.0, "width": 1920.0, "height": 1080.0}

    spotlight = await _box(page, "#spotlight")
    goal = await _box(page, "#goal")
    alert = await _box(page, ".alert.order")
    for widget in (spotlight, goal, alert):
        assert _inside(widget, screen)
    assert not _overlap(spotlight, goal)
    assert not _overlap(alert, spotlight) and not _overlap(alert, goal)

    # inside the spotlight: picture, text and QR side by side, each within the card
    text, qr, image = [await _box(page, s) for s in (".spot-text", ".spot-qr", "#spot-image")]
    for part in ("#spot-name", "#spot-price", "#spot-stock", ".spot-tag"):
        assert _inside(await _ink(page, part), text), part
        assert not _overlap(await _ink(page, part), qr), part
    for part in (text, qr, image):
        assert _inside(part, spotlight)
    assert not _overlap(image, text) and not _overlap(image, qr)
    price_lines = await page.locator("#spot-price").evaluate(
        "e => Math.round(e.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(e).lineHeight))"
    )
    assert price_lines == 1

    # the pill says what it is, not only a star
    await expect(page.locator(".spot-tag")).to_have_text("★ Destacado")

    # the goal's header is one line: label and numbers side by side
    label, numbers = await _ink(page, ".goal-label"), await _ink(page, ".goal-numbers")
    assert label["x"] + label["width"] <= numbers["x"]
    assert abs(label["y"] + label["height"] - (numbers["y"] + numbers["height"])) < 12
    assert _inside(numbers, goal)

    assert page.violations == []  # type: ignore[attr-defined]
    await page.screenshot(path=_shot(tmp_path, f"overlay-{layout}-{theme}.png"))


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
async def test_buy_page_fits_the_screen_and_shows_the_product_image(
    site: Site, browser: BrowserContext, tmp_path: Path, name: str, viewport: dict[str, int]
) -> None:
    page = await _open(browser, f"{site.url}/c/TAZA-01", viewport)
    await expect(page.locator("h1")).to_have_text("Taza edición especial del stream")
    await expect(page.locator("img.photo")).to_be_visible()
    assert await _image_drawn(page, "img.photo")
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow == 0
    width = float(viewport["width"])
    for selector in ("img.photo", "input[name=name]", "select[name=variant]", "button", "h1"):
        box = await _box(page, selector)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    assert page.violations == []  # type: ignore[attr-defined]
    await page.screenshot(path=_shot(tmp_path, f"buy-page-{name}.png"), full_page=True)

    # pressing the button still works under the page's policy: reserved, sent on
    await page.locator("input[name=name]").fill("Valentina")
    await page.locator("button").click()
    await page.wait_for_url("**/p/*")
    [order] = site.store.list_orders()
    assert order.viewer.display_name == "Valentina" and order.platform == "web"
