"""Moderation and the stream widgets in a real browser, on the whole bot as `vivo demo`
wires it: the overlay hides a filtered word and a leetspeak name, a held alert plays only
after the owner approves it in the panel (which shows it without a reload), the panel page
fits a phone, and each widget draws live data and follows a new payment.
`VIVO_SCREENSHOTS=docs/images` keeps the screenshots docs/overlay.md shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect
from test_panel import PHONE, WAIT_MS, shots_dir, signed_in, strict_csp

from bots.runtime.demo import sandbox_adapters
from bots.runtime.events import GoalChanged, OrderPaid, SpotlightChanged, TipReceived
from bots.testing import Stage, open_stage
from commerce.money import Money
from commerce.views import LineRequest, PaymentReport, TipSource, ViewerRef

ANA = ViewerRef("twitch", "u-ana", "ana")


@pytest.fixture
async def show(tmp_path: Path) -> AsyncIterator[Stage]:
    async with open_stage(tmp_path, sandbox_adapters, short_links=True) as stage:
        yield stage


async def tip(show: Stage, amount: int, message: str, viewer: ViewerRef = ANA) -> None:
    view = show.store.create_tip(
        viewer,
        "canal",
        Money(Decimal(amount), "ARS"),
        message,
        TipSource.BITS,
        ttl=timedelta(minutes=5),
        external_id=f"b-{viewer.user_id}-{amount}-{len(message)}",
    )
    await show.bot.bus.publish(TipReceived(view))


async def sale(show: Stage, sku: str, quantity: int, viewer: ViewerRef = ANA) -> None:
    order = show.store.reserve(
        viewer, "canal", [LineRequest(sku, quantity)], ttl=timedelta(minutes=15)
    )
    outcome = show.store.record_payment(
        PaymentReport(
            "mercadopago", f"b-{order.code}", "approved", order.total.amount, "ARS", order.code
        )
    )
    assert outcome.order is not None
    await show.bot.bus.publish(OrderPaid(outcome.order))


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0


async def test_filtered_words_and_names_and_a_held_alert_that_plays_once_approved(
    show: Stage, browser: BrowserContext, tmp_path: Path
) -> None:
    violations = await strict_csp(browser)
    overlay = await browser.new_page()
    await overlay.goto(f"{show.web_url}/overlay?layout=alerts&duration=8")
    await expect(overlay.locator("body")).to_have_attribute("data-connected", "true")

    # The default rule covers the words; a name in leetspeak is a name with the word.
    await tip(
        show, 500, "sos un P3ND3J0 jaja, mirá bit.ly/spam", ViewerRef("twitch", "t", "PUT4_rey")
    )
    card = overlay.locator(".alert").first
    await expect(card.locator(".alert-message")).to_have_text(
        "sos un *** jaja, mirá", timeout=WAIT_MS
    )
    await expect(card.locator(".alert-headline")).to_have_text("***_rey mandó Bits")

    # The owner holds alerts with a filtered word from the panel.
    panel = await signed_in(browser, show.bot.panel_link())
    await panel.goto(f"{show.web_url}/panel/moderacion")
    await panel.locator("select[name=action]").select_option("hold")
    await panel.locator(".mod-rules button").click()
    await expect(panel.locator(".notice.ok")).to_contain_text("guardadas")
    await expect(panel.locator("body")).to_have_attribute("data-queue", "live", timeout=WAIT_MS)

    await tip(show, 900, "qué mierda de stream")
    held = panel.locator("#held li[data-held]")
    await expect(held).to_have_count(1, timeout=WAIT_MS)  # no reload: the queue's stream
    await expect(held.locator(".held-message")).to_have_text("qué mierda de stream")
    # The bot held it instead of sending it: the overlay has only the first alert.
    await expect(overlay.locator(".alert-message", has_text="mierda")).to_have_count(0)

    shots = shots_dir(tmp_path)
    await panel.screenshot(
        path=str(shots / "panel-moderation-desktop.png"), full_page=True, animations="disabled"
    )
    await no_sideways_scroll(panel)
    phone = await browser.new_page()
    await phone.set_viewport_size(PHONE)
    await phone.goto(f"{show.web_url}/panel/moderacion")
    await expect(phone.locator("#held li[data-held]")).to_have_count(1)
    await no_sideways_scroll(phone)
    await phone.screenshot(
        path=str(shots / "panel-moderation-phone.png"), full_page=True, animations="disabled"
    )

    await held.locator('[data-action="approve"]').click()
    await expect(panel.locator(".notice.ok")).to_contain_text("aprobada")
    await expect(panel.locator("#held li[data-held]")).to_have_count(0)
    await expect(overlay.locator(".alert-message", has_text="qué mierda de stream")).to_be_visible(
        timeout=WAIT_MS
    )
    assert violations == []


WIDGETS = [
    ("recent", "?theme=dark&n=4", ".event"),
    ("top", "?by=tips&period=stream&theme=light", ".row"),
    ("ticker", "?theme=neon&speed=20", ".strip .item"),
    ("goal", "?shape=bar", ".bar-box .fill"),
    ("goal", "?shape=ring&theme=neon", ".ring-fill"),
    ("goal", "?shape=sold&sku=TAZA-01", ".sold .fill"),
]


async def test_each_widget_draws_live_data_and_follows_a_new_payment(
    show: Stage, browser: BrowserContext, tmp_path: Path
) -> None:
    violations = await strict_csp(browser)
    await show.bot.bus.publish(GoalChanged(Money(Decimal(100000), "ARS"), "tips"))
    await show.bot.bus.publish(SpotlightChanged(show.store.get_product("TAZA-01")))
    await tip(show, 5000, "¡vamos con todo!", ViewerRef("youtube", "y1", "Beto Gamer"))
    await tip(show, 12000, "saludos desde Rosario")
    await tip(show, 3000, "a la mierda", ViewerRef("twitch", "t2", "carla"))
    await sale(show, "TAZA-01", 2, ViewerRef("discord", "d1", "dani"))

    shots = shots_dir(tmp_path)
    pages: list[tuple[str, str, Page]] = []
    for name, query, part in WIDGETS:
        page = await browser.new_page()
        await page.set_viewport_size({"width": 560, "height": 380})
        await page.goto(f"{show.web_url}/overlay/widgets/{name}{query}&preview")
        await expect(page.locator(part).first).to_be_visible(timeout=WAIT_MS)
        pages.append((name, query, page))
    recent, top, ticker, bar, ring, sold = (p for _, _, p in pages)

    await expect(recent.locator(".event").first).to_contain_text("dani")
    await expect(recent.locator(".event.k-tip .detail", has_text="a la ***")).to_have_count(1)
    await expect(top.locator(".row.rank-1 .name")).to_have_text("ana")
    await expect(top.locator(".board-head .period")).to_have_text("este stream")
    await expect(ticker.locator(".strip .item").first).to_contain_text("dani compró")
    await expect(bar.locator(".bar-head .numbers")).to_have_text("$ 20.000,00 / $ 100.000,00")
    await expect(ring.locator(".ring-text .percent")).to_have_text("20%")
    await expect(sold.locator(".bar-head .numbers")).to_contain_text("2 de ")

    for (_, _, page), shot in zip(
        pages,
        ["recent", "top", "ticker", "goal-bar", "goal-ring", "goal-sold"],
        strict=True,
    ):
        await page.screenshot(path=str(shots / f"widget-{shot}.png"), animations="disabled")

    updates = {n: await p.evaluate("Number(document.body.dataset.updates)") for n, _, p in pages}
    await tip(show, 90000, "¡meta cumplida!", ViewerRef("twitch", "t3", "eli"))
    await sale(show, "TAZA-01", 1, ViewerRef("twitch", "t4", "fer"))
    await expect(recent.locator(".event").first).to_contain_text("fer")
    await expect(top.locator(".row.rank-1 .name")).to_have_text("eli")
    await expect(
        ticker.locator(".strip .item", has_text="eli dejó una propina").first
    ).to_be_attached()
    await expect(bar.locator(".bar-box")).to_have_class("bar-box reached", timeout=WAIT_MS)
    await expect(ring.locator(".ring-text .percent")).to_have_text("100%")
    await expect(sold.locator(".bar-head .numbers")).to_contain_text("3 de ")
    for name, _, page in pages:
        assert await page.evaluate("Number(document.body.dataset.updates)") > updates[name]
    assert violations == []
