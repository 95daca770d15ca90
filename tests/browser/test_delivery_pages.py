"""The order's checkout page and the panel's delivery pages, in a real Chromium.

The bot's web app (build_app, security headers and all) serves `/p/<code>` with the
checkout page, and the panel; payment links are made by the real LinkService through
the MercadoPago provider against the sandbox's stand-in, whose checkout page shows what
the buyer is asked to pay. A buyer picks shipping, types their details and lands on the
stand-in's checkout for the goods plus shipping; a returning buyer finds their details;
bad contacts are explained in Spanish and in English; a 375 px phone never scrolls
sideways. The owner prints the packing list, marks orders shipped in bulk, and reads it
in the order's history. A Content-Security-Policy violation fails the test.
`VIVO_SCREENSHOTS=docs/images` keeps the pictures docs/delivery.md shows.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, expect

from bots.chat.i18n import Messages
from bots.runtime.events import EventBus
from bots.runtime.links import LinkService
from bots.runtime.payments import PaymentRecorder
from bots.runtime.services import Settings
from bots.web.app import build_app
from bots.web.checkout import CheckoutPage
from bots.web.panel import Panel, PanelContext
from bots.web.panel.auth import sign_in_link
from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.sessions import PanelRole
from commerce.store import Store
from commerce.views import LineRequest, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

WAIT_MS = 20_000  # how long an expectation may wait (not asserted on)
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 740}
ANA = ViewerRef("twitch", "u-ana", "ana_tw")
BOB = ViewerRef("youtube", "u-bob", "bob")
RULES = DeliveryRules(
    shipping=(
        ShippingOption("correo", "Correo Argentino", price=Decimal("3000")),
        ShippingOption("moto", "Moto en CABA", price=Decimal("1500")),
    ),
    pickup=(PickupPoint("local", "Local Palermo", "Honduras 4000, CABA", "lun a vie 10-18"),),
)


@dataclass
class Site:
    url: str
    store: Store
    links: LinkService
    provider: MercadoPagoProvider


def shot(tmp_path: Path, name: str) -> str:
    folder = Path(os.environ.get("VIVO_SCREENSHOTS", "") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    store = Store(f"sqlite:///{tmp_path / 'delivery.db'}")
    store.migrate()
    store.sync_catalog(
        [
            ProductSpec("REMERA", "Remera del stream", Decimal("8500"), "ARS", stock=20),
            ProductSpec("TAZA", "Taza edición especial", Decimal("6000"), "ARS", stock=20),
        ]
    )
    settings = Settings(store_name="Tienda Vivo", currency="ARS", locale="es")
    messages = Messages()
    async with Sandbox(SandboxConfig(mp_access_token="TEST-delivery")) as sandbox:
        provider = MercadoPagoProvider("TEST-delivery", None, endpoint=f"{sandbox.url}/mercadopago")
        bus = EventBus()
        links = LinkService(store, provider, bus, store_name="Tienda Vivo")
        checkout = CheckoutPage(store, links, RULES, settings, messages)
        panel = Panel(PanelContext(store, provider, settings, messages, bus=bus))
        recorder = PaymentRecorder(store, provider, bus)
        app = build_app(store, provider, recorder, (checkout, panel))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            yield Site(url, store, links, provider)
        finally:
            await runner.cleanup()
            store.close()


def csp_watch(browser: BrowserContext) -> list[str]:
    violations: list[str] = []

    def listen(page: Page) -> None:
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )

    browser.on("page", listen)
    return violations


async def ordered(site: Site, viewer: ViewerRef, channel: str, locale: str = "es") -> OrderView:
    """What `!comprar` does: reserve, then the payment link is made (and sent as /p/CODE)."""
    order = await asyncio.to_thread(
        site.store.reserve,
        viewer,
        channel,
        [LineRequest("REMERA", 1)],
        ttl=timedelta(minutes=30),
        locale=locale,
    )
    assert await site.links.for_order(order)
    return order


async def fill(page: Page, contact: str, choice: str = "correo", name: str = "Ana Pérez") -> None:
    await page.check(f'input[name="choice"][value="{choice}"]')
    await page.fill('input[name="name"]', name)
    await page.fill('input[name="contact"]', contact)
    await page.fill('input[name="street"]', "Av. Siempreviva 742")
    await page.fill('input[name="city"]', "Villa María")
    await page.fill('input[name="province"]', "Córdoba")
    await page.fill('input[name="postal_code"]', "5900")


async def no_sideways_scroll(page: Page) -> None:
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], wide


async def test_a_buyer_picks_shipping_and_pays_the_total_with_it(
    browser: BrowserContext, site: Site, tmp_path: Path
) -> None:
    violations = csp_watch(browser)
    order = await ordered(site, ANA, "canal-1")
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    await page.goto(f"{site.url}/p/{order.code}")
    await expect(page.locator("h1")).to_contain_text(order.code)
    await expect(page.locator("[data-subtotal]")).to_contain_text("8.500")
    await expect(page.locator("label.choice").first).to_contain_text("11.500")
    await fill(page, "ana@example.com")
    await page.screenshot(path=shot(tmp_path, "checkout-desktop.png"), full_page=True)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/mercadopago/checkout/v1/redirect**")
    await expect(page.locator(".total")).to_have_text("ARS 11.500,00")
    await expect(page.locator("table")).to_contain_text("Envío")
    now = site.store.get_order(order.code)
    assert now.total.amount == Decimal("11500") and now.revision == 1
    assert not violations, violations


async def test_a_returning_buyer_is_prefilled_and_a_phone_never_scrolls_sideways(
    browser: BrowserContext, site: Site, tmp_path: Path
) -> None:
    violations = csp_watch(browser)
    first = await ordered(site, ANA, "canal-1")
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.goto(f"{site.url}/p/{first.code}")
    await no_sideways_scroll(page)
    await fill(page, "+54 9 11 5555-1234")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/mercadopago/checkout/**")
    second = await ordered(site, ANA, "canal-2")
    await page.goto(f"{site.url}/p/{second.code}")
    saved = page.locator("[data-prefilled]")
    await expect(saved).to_contain_text("A••• P•••")  # masked: the link may be public
    await expect(saved).to_contain_text("+54•••1234")
    await expect(page.locator('input[name="keep"]')).to_be_checked()
    await expect(page.locator('input[name="name"]')).to_have_attribute("placeholder", "A••• P•••")
    assert "Siempreviva" not in await page.content()
    await no_sideways_scroll(page)
    await page.screenshot(path=shot(tmp_path, "checkout-phone.png"), full_page=True)
    await page.check('input[name="choice"][value="correo"]')
    await page.click("button[type=submit]")
    await page.wait_for_url("**/mercadopago/checkout/**")
    kept = site.store.delivery_details(second.code)
    assert kept is not None and kept.street == "Av. Siempreviva 742"
    assert kept.contact == "+5491155551234"
    assert not violations, violations


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("es", "Revisa tus datos de entrega: un email o un WhatsApp con código de país."),
        ("en", "Please check your delivery details: an email or a WhatsApp number"),
    ],
)
async def test_a_bad_contact_is_explained_in_the_buyers_language(
    browser: BrowserContext, site: Site, locale: str, said: str
) -> None:
    order = await ordered(site, BOB, f"canal-{locale}", locale)
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.goto(f"{site.url}/p/{order.code}")
    await fill(page, "bob@")
    await page.click("button[type=submit]")
    await expect(page.locator("#problem")).to_contain_text(said)
    await expect(page.locator('input[name="contact"]')).to_have_value("bob@")
    await expect(page.locator('input[name="street"]')).to_have_value("Av. Siempreviva 742")
    await expect(page.locator('input[name="contact"]')).to_have_attribute("aria-invalid", "true")
    await no_sideways_scroll(page)
    assert not site.store.get_order(order.code).details_complete


async def pay_on_the_stand_in(page: Page, site: Site, code: str) -> None:
    """The buyer pays on MercadoPago's (stand-in) checkout; the bot then hears of it."""
    await page.click("button.pay")
    await expect(page.locator(".result")).to_contain_text("aprobado")
    for report in await asyncio.to_thread(site.provider.search_by_reference, code):
        await asyncio.to_thread(site.store.record_payment, report)


async def test_the_owner_prints_the_packing_list_and_marks_orders_shipped_in_bulk(
    browser: BrowserContext, site: Site, tmp_path: Path
) -> None:
    violations = csp_watch(browser)
    buyer = await browser.new_page()
    buyer.set_default_timeout(WAIT_MS)
    codes = []
    buyers = ((ANA, "correo", "Ana Pérez"), (BOB, "moto", "Roberto Gómez"))
    for viewer, choice, name in buyers:
        order = await ordered(site, viewer, f"canal-{viewer.user_id}")
        await buyer.goto(f"{site.url}/p/{order.code}")
        await fill(buyer, f"{viewer.user_id[2:]}@example.com", choice, name)
        await buyer.click("button[type=submit]")
        await buyer.wait_for_url("**/mercadopago/checkout/**")
        await pay_on_the_stand_in(buyer, site, order.code)
        codes.append(order.code)
    assert all(site.store.get_order(c).status.value == "paid" for c in codes)

    owner = await browser.new_page()
    owner.set_default_timeout(WAIT_MS)
    await owner.set_viewport_size({"width": 1440, "height": 900})
    await owner.goto(sign_in_link(site.store, site.url, timedelta(minutes=5), PanelRole.OWNER))
    await owner.wait_for_url("**/panel/vivo")
    await owner.goto(f"{site.url}/panel/pedidos/empaque")
    await expect(owner.locator(".parcel")).to_have_count(2)
    await expect(owner.locator(".parcel").first).to_contain_text("Av. Siempreviva 742")
    await owner.emulate_media(media="print")
    await expect(owner.locator("header.top")).to_be_hidden()
    await owner.screenshot(path=shot(tmp_path, "panel-packing-list.png"), full_page=True)
    await owner.emulate_media(media="screen")

    await owner.goto(f"{site.url}/panel/pedidos")
    for code in codes:
        await owner.check(f'input[name="code"][value="{code}"]')
    await owner.fill('#bulk input[name="tracking"]', "AR000123")
    await owner.fill('#bulk input[name="carrier"]', "Correo Argentino")
    await owner.click('[data-action="ship-many"]')
    await expect(owner.locator(".notice.ok")).to_contain_text("enviados")
    await owner.goto(f"{site.url}/panel/pedidos/{codes[0]}")
    await expect(owner.locator('[data-field="fulfilment"]')).to_contain_text("Enviado")
    await expect(owner.locator('[data-field="tracking"]')).to_have_text("AR000123")
    await expect(owner.locator(".timeline")).to_contain_text("Enviado")
    await expect(owner.locator('[data-field="details"]')).to_contain_text("Villa María")
    await owner.screenshot(path=shot(tmp_path, "panel-order-delivery.png"), full_page=True)
    assert all(site.store.get_order(c).fulfilment == "shipped" for c in codes)
    assert not violations, violations
