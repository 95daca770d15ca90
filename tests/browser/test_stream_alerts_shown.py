"""Alerts in a real Chromium: what a sale, a tip, Bits and a Super Chat look and sound like
on the overlay, the variation a big tip gets, a test alert sent from the panel that leaves
the goal bar alone, and read-aloud that speaks an allowed message and not a filtered one.

Chromium runs with `--autoplay-policy=no-user-gesture-required`, as OBS's browser source
plays sound without a click. Sounds are checked through the page's media state (the
<audio> element playing, its clock moving); speech through an init script that records
what the page hands to `speechSynthesis.speak`. `VIVO_SCREENSHOTS=docs/images` keeps a
picture of each alert type and of the panel page at desktop and phone widths.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from bots.chat.i18n import Messages
from bots.config import PanelSettings
from bots.runtime.events import EventBus, GoalChanged, OrderPaid, TipReceived
from bots.runtime.payments import PaymentRecorder
from bots.runtime.services import Settings
from bots.web import alert_config
from bots.web.alert_config import AlertSettings, AlertStyle, ReadAloud, Variation
from bots.web.alert_media import MediaStore
from bots.web.alert_text import Screened, TextKind
from bots.web.app import build_app
from bots.web.overlay import Overlay
from bots.web.panel import Panel, PanelContext
from bots.web.panel.auth import sign_in_link
from commerce.money import Money
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, PaymentReport, ProductSpec, TipSource, TipView, ViewerRef

WAIT_MS = 20_000  # how long an expectation may wait (not asserted on)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
expect.set_options(timeout=WAIT_MS)
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 375, "height": 740}
FILTERED = "palabrota"
# Records what the page asks the browser to say, instead of saying it.
SPEECH_SPY = """
window.__spoken = [];
if (window.SpeechSynthesis) {
  SpeechSynthesis.prototype.speak = function (u) { window.__spoken.push(u.text); };
}
"""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real, drawable PNG of one colour (made here, so the test needs no picture file)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\0" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class Moderation:
    """The moderation side's screen as the overlay is configured with it: one word hidden."""

    async def __call__(self, kind: TextKind, text: str, amount: Money | None) -> Screened:
        return Screened("", hidden=True) if FILTERED in text else Screened(text)


@dataclass
class Site:
    url: str
    store: Store
    overlay: Overlay
    bus: EventBus
    media: MediaStore


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: run `make test` as root, or apt-get it")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=ARGS,
            headless=True,
            viewport={"width": 1600, "height": 900},
        )
        await context.add_init_script(SPEECH_SPY)
        try:
            yield context
        finally:
            await context.close()


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    store = Store(f"sqlite:///{tmp_path / 'alerts.db'}")
    store.migrate()
    store.sync_catalog(
        [ProductSpec("REM", "Remera Vivo edición stream", Decimal("12500"), "ARS", stock=50)]
    )
    messages = Messages()
    bus = EventBus()
    media = MediaStore(tmp_path / "media")
    overlay = Overlay(store, messages, locale="es", media=media, screen=Moderation())
    bus.subscribe(overlay.on_event)
    provider = MercadoPagoProvider("TEST-token", "secret", endpoint="http://127.0.0.1:9")
    recorder = PaymentRecorder(store, provider, bus)
    context = PanelContext(store, provider, Settings(), messages, PanelSettings(), bus=bus)
    context.media = media
    app = build_app(store, provider, recorder, (overlay, Panel(context)))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield Site(f"http://127.0.0.1:{runner.addresses[0][1]}", store, overlay, bus, media)
    finally:
        await runner.cleanup()
        store.close()


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("VIVO_SCREENSHOTS", "") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def shoot(page: Page, tmp_path: Path, name: str) -> None:
    """The alert and a margin of the preview background around it (not the whole stage)."""
    box = await page.locator(".alert.in").bounding_box()
    assert box is not None
    clip = {"x": box["x"] - 40, "y": 0, "width": box["width"] + 80, "height": box["height"] + 80}
    await page.screenshot(path=str(shots(tmp_path) / name), clip=clip)  # type: ignore[arg-type]


def save(site: Site, settings: AlertSettings) -> None:
    site.store.set_owner_setting(alert_config.SETTING_KEY, settings.to_json())


def sale(site: Site, name: str = "Valentina_del_Mar") -> Any:
    viewer = ViewerRef("twitch", "u1", name)
    order = site.store.reserve(viewer, "c", [LineRequest("REM", 2)], ttl=timedelta(hours=1))
    site.store.record_payment(
        PaymentReport(
            "mercadopago", f"p-{order.code}", "approved", order.total.amount, "ARS", order.code
        )
    )
    return site.store.get_order(order.code)


def tip(
    site: Site, amount: int, message: str, source: TipSource = TipSource.LINK, name: str = "Lu"
) -> TipView:
    platform = {"bits": "twitch", "superchat": "youtube"}.get(source.value, "telegram")
    viewer = ViewerRef(platform, f"id-{name}", name)
    view: TipView = site.store.create_tip(
        viewer, "c", Money(amount, "ARS"), message, source, ttl=timedelta(hours=1)
    )
    return view


async def overlay_page(browser: BrowserContext, site: Site, query: str = "") -> Page:
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    page.violations = violations  # type: ignore[attr-defined]
    await page.goto(f"{site.url}/overlay?layout=alerts&preview=1{query}")
    await expect(page.locator("body")).to_have_attribute("data-connected", "true")
    return page


async def sound_playing(page: Page, kind: str) -> None:
    """The sound of an alert of this type started: playing now, or (a short one) played to
    its end."""
    await page.wait_for_function(
        """kind => { const a = document.querySelector(`audio.alert-sound[data-type="${kind}"]`);
                     return a && a.currentTime > 0 && (!a.paused || a.ended); }""",
        arg=kind,
    )


async def test_a_sale_alert_shows_amount_image_animation_and_plays_its_sound(
    browser: BrowserContext, site: Site, tmp_path: Path
) -> None:
    picture = site.media.save(png(120, 120, (255, 210, 63)))
    style = AlertStyle(
        image=picture.url, sound="/overlay/sounds/chime.wav", volume=60, enter="bounce"
    )
    save(site, AlertSettings().with_style("sale", style))
    page = await overlay_page(browser, site, "&duration=600")
    order = sale(site)
    await site.bus.publish(OrderPaid(order))
    card = page.locator(".alert.type-sale.in")
    await expect(card).to_be_visible()
    await expect(card.locator(".alert-headline")).to_have_text("Valentina_del_Mar compró")
    await expect(card.locator(".alert-title")).to_have_text("2× Remera Vivo edición stream")
    await expect(card.locator(".alert-amount")).to_have_text(
        Messages().money(Money(25000, "ARS"), "es")
    )
    image = card.locator("img.alert-image")
    await expect(image).to_have_attribute("src", picture.url.lstrip("/"))
    await page.wait_for_function(
        "() => { const i = document.querySelector('img.alert-image');"
        " return i && i.complete && i.naturalWidth === 120; }"
    )
    animation = await card.evaluate("e => getComputedStyle(e).animationName")
    assert animation == "vivo-enter-bounce"
    await sound_playing(page, "sale")
    volume = await page.locator('audio[data-type="sale"]').evaluate("a => a.volume")
    assert volume == pytest.approx(0.6)
    await page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState === 'finished')"
    )
    await shoot(page, tmp_path, "alert-sale.png")
    assert page.violations == []  # type: ignore[attr-defined]


async def test_each_tip_type_and_the_variation_a_big_tip_reaches(
    browser: BrowserContext, site: Site, tmp_path: Path
) -> None:
    big = site.media.save(png(200, 140, (255, 79, 163)))
    tips = AlertStyle(
        template="{buyer} dejó {amount}",
        sound="/overlay/sounds/coin.wav",
        duration=2,
        variations=(Variation(Decimal(10000), "¡LLUVIA de {buyer}!", big.url, ""),),
    )
    save(site, AlertSettings().with_style("tip", tips))
    page = await overlay_page(browser, site, "&duration=3")
    small = tip(site, 5000, "¡Saludos desde Rosario!")
    large = tip(site, 20000, "¡Para el envío!", name="Martina")
    for event in (small, large):
        await site.bus.publish(TipReceived(event))
    first = page.locator(".alert.type-tip.in")
    await expect(first.locator(".alert-headline")).to_have_text(
        f"Lu dejó {Messages().money(Money(5000, 'ARS'), 'es')}"
    )
    assert await first.get_attribute("data-variation") is None
    await sound_playing(page, "tip")
    await shoot(page, tmp_path, "alert-tip.png")
    varied = page.locator('.alert.type-tip.in[data-variation="0"]')
    await expect(varied.locator(".alert-headline")).to_have_text("¡LLUVIA de Martina!")
    await expect(varied.locator(".alert-title")).to_have_text(
        Messages().money(Money(20000, "ARS"), "es")
    )
    await expect(varied.locator("img.alert-image")).to_have_attribute("src", big.url.lstrip("/"))
    await page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState === 'finished')"
    )
    await shoot(page, tmp_path, "alert-tip-variation.png")
    for source, name in ((TipSource.BITS, "bits"), (TipSource.SUPERCHAT, "superchat")):
        await site.bus.publish(TipReceived(tip(site, 3000, "¡Vamos!", source, "Juli")))
        card = page.locator(f".alert.type-{name}.in")
        await expect(card).to_be_visible()
        await sound_playing(page, name)
        await page.wait_for_function(
            "() => document.getAnimations().every(a => a.playState === 'finished')"
        )
        await shoot(page, tmp_path, f"alert-{name}.png")
    assert page.violations == []  # type: ignore[attr-defined]


async def test_a_test_alert_from_the_panel_plays_and_the_goal_does_not_move(
    browser: BrowserContext, site: Site, tmp_path: Path
) -> None:
    await site.bus.publish(GoalChanged(Money(50000, "ARS"), "tips"))
    await site.bus.publish(TipReceived(tip(site, 10000, "uno real")))  # 20 %, before the test
    page = await browser.new_page()
    page.set_default_timeout(WAIT_MS)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security" in m.text else 0)
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    await page.goto(sign_in_link(site.store, site.url, timedelta(minutes=5)))
    await page.goto(f"{site.url}/panel/alertas")
    preview = page.frame_locator("iframe.preview-frame")
    await expect(preview.locator("body")).to_have_attribute("data-connected", "true")
    await page.click('button[data-test="tip"]')  # sent in the background: no reload
    frame = page.frame_locator("iframe.preview-frame")
    card = frame.locator('.alert.type-tip[data-test="true"]')
    await expect(card).to_be_visible()
    await expect(card.locator(".alert-badge")).to_have_text("Prueba")
    assert site.overlay.state(site.url)["goal"]["percent"] == 20.0
    sale_editor = page.locator("section#sale")
    await sale_editor.locator('input[name="template"]').fill("¡{buyer} se llevó {product}!")
    await sale_editor.locator('button[data-preview="sale"]').click()  # not saved: a preview
    await expect(frame.locator('.alert.type-sale[data-test="true"] .alert-headline')).to_have_text(
        "¡Prueba se llevó Remera de prueba!"
    )
    assert site.store.owner_setting(alert_config.SETTING_KEY) is None
    assert site.overlay.state(site.url)["goal"]["percent"] == 20.0
    await page.screenshot(path=str(shots(tmp_path) / "alerts-panel-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off a phone's screen
    await page.screenshot(path=str(shots(tmp_path) / "alerts-panel-phone.png"), full_page=True)
    assert violations == []


async def test_read_aloud_speaks_an_allowed_message_and_not_a_filtered_one(
    browser: BrowserContext, site: Site
) -> None:
    save(site, AlertSettings(read_aloud=ReadAloud(True, Decimal(1000), 60)))
    page = await overlay_page(browser, site, "&duration=2")
    allowed = tip(site, 5000, "¡Hola a todos desde Montevideo!", name="Ana")
    filtered = tip(site, 5000, f"sos un {FILTERED}", name="Beto")
    for event in (allowed, filtered):
        await site.bus.publish(TipReceived(event))
    await page.wait_for_function("() => window.__spoken.length >= 1")
    second = page.locator(".alert.type-tip.in", has_text="Beto")
    await expect(second).to_be_visible()
    await expect(second.locator(".alert-message")).to_have_count(0)  # hidden on screen too
    beto = await second.get_attribute("data-id")
    await page.wait_for_function(
        "id => { const a = document.querySelector(`audio.alert-sound[data-id='${id}']`);"
        " return a && a.dataset.done === 'true'; }",  # ended, and its voice (if any) asked
        arg=beto,
    )
    spoken = await page.evaluate("window.__spoken")
    assert spoken == ["¡Hola a todos desde Montevideo!"]


async def test_the_server_voice_plays_in_the_overlay(browser: BrowserContext, site: Site) -> None:
    save(site, AlertSettings(read_aloud=ReadAloud(True, Decimal(0), 100, "server")))
    page = await overlay_page(browser, site, "&duration=30")
    await site.bus.publish(TipReceived(tip(site, 5000, "¡Gracias por el stream!")))
    await page.wait_for_function(
        "() => { const a = document.querySelector('audio.alert-speech');"
        " return a && a.currentTime > 0 && (!a.paused || a.ended); }"
    )
    assert await page.evaluate("window.__spoken") == []  # one voice, not two
