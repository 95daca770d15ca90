"""A flash sale on the overlay in a real browser, on the whole bot: `!oferta` shows the card
with the old price struck through and a countdown that runs, the spotlight card shows the
same when the product is in it, a buyer pays the sale price, and `!oferta fin` takes it off
without a reload. `VIVO_SCREENSHOTS=docs/images` keeps the screenshot docs/live-selling.md
shows.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from playwright.async_api import BrowserContext, expect
from test_panel import WAIT_MS, shots_dir, strict_csp

from adapters.base import Role
from bots.chat.i18n import Messages
from bots.testing import RecordingAdapter, open_stage
from commerce.money import Money

CLOCK = re.compile(r"^[45]:\d\d$")


async def test_a_flash_sale_counts_down_with_the_old_price_struck_through(
    browser: BrowserContext, tmp_path: Path
) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        violations = await strict_csp(browser)
        overlay = await browser.new_page()
        await overlay.set_viewport_size({"width": 1920, "height": 1080})
        await overlay.goto(f"{stage.web_url}/overlay?preview")
        await expect(overlay.locator("body")).to_have_attribute("data-connected", "true")
        await expect(overlay.locator("#flash")).to_be_hidden()

        [taza] = [p for p in stage.store.list_products() if p.name.lower().startswith("taza")]
        old = Messages().money(taza.price, "es")
        new = Messages().money(Money(taza.price.amount * Decimal("0.8"), "ARS"), "es")
        await chat.say("mora", f"!destacar {taza.sku}", role=Role.MODERATOR)
        await chat.say("mora", f"!oferta {taza.sku} 20% 5m", role=Role.MODERATOR)

        card = overlay.locator("#flash")
        await expect(card).to_be_visible(timeout=WAIT_MS)
        await expect(card.locator("s.old-price")).to_have_text(old)
        await expect(card.locator(".flash-price")).to_have_text(new)
        await expect(card.locator(".flash-tag")).to_contain_text("Oferta relámpago")
        countdown = card.locator(".countdown")
        await expect(countdown).to_have_text(CLOCK)
        first = await countdown.text_content()
        await expect(countdown).not_to_have_text(first or "", timeout=WAIT_MS)  # it runs
        strike = await card.locator("s.old-price").evaluate(
            "e => getComputedStyle(e).textDecorationLine"
        )
        assert "line-through" in strike

        spot = overlay.locator("#spotlight")
        await expect(spot.locator("#spot-price")).to_have_text(new)
        await expect(spot.locator("#spot-old")).to_have_text(old)
        await expect(spot.locator("#spot-countdown")).to_have_text(CLOCK)
        await overlay.screenshot(
            path=str(shots_dir(tmp_path) / "overlay-flash-sale.png"), animations="disabled"
        )

        # A buyer reserves at the sale price, and pays it.
        await chat.say("ana", f"!comprar {taza.sku}")
        await stage.bot.wait_idle(quiet=0.2)
        [order] = stage.store.viewer_orders(chat.platform, "ana")
        assert order.lines[0].unit_price.amount == taza.price.amount * Decimal("0.8")

        await chat.say("mora", "!oferta fin", role=Role.MODERATOR)
        await expect(card).to_be_hidden(timeout=WAIT_MS)
        await expect(spot.locator("#spot-flash")).to_be_hidden()
        await expect(spot.locator("#spot-price")).to_have_text(old)
        assert stage.store.get_order(order.code).total == order.total  # kept its price
        assert violations == []
