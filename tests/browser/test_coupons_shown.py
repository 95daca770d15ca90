"""The panel's Cupones page in a real browser at desktop and phone widths, on the whole bot:
the owner creates a coupon and disables one from config, a viewer's `!cupon` then gets the
discount or the "unknown" answer, and the page fits a phone without sideways scrolling.
`VIVO_SCREENSHOTS=docs/images` keeps both screenshots."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect
from test_panel import DESKTOP, PHONE, shots_dir, signed_in, strict_csp

from bots.chat.i18n import Messages
from bots.testing import RecordingAdapter, open_stage


async def _fits(page: Page, width: int) -> None:
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, wide


async def test_the_owner_makes_and_disables_coupons_on_desktop_and_phone(
    browser: BrowserContext, tmp_path: Path
) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        stage.bot.services.conversations = None
        violations = await strict_csp(browser)
        panel = await signed_in(browser, stage.bot.panel_link())
        await panel.goto(f"{stage.web_url}/panel/cupones")
        rows = panel.locator("tr[data-coupon]")
        await expect(rows).to_have_count(2)  # VIVO10 and MENOS1000 from config.example.toml

        await panel.fill('input[name="code"]', "finde20")
        await panel.select_option('select[name="kind"]', "percent")
        await panel.fill('input[name="value"]', "20")
        await panel.fill('input[name="max_uses"]', "10")
        await panel.locator("#coupon-form button.primary").click()
        await expect(panel.locator(".notice.ok")).to_contain_text("Cupón creado")
        await expect(rows).to_have_count(3)
        finde = panel.locator('tr[data-coupon="FINDE20"]')
        await expect(finde.locator('[data-col="uses"]')).to_have_text("0 / 10")

        menos = panel.locator('tr[data-coupon="MENOS1000"]')
        await menos.locator('[data-action="disable"]').click()
        await expect(panel.locator(".notice.ok")).to_contain_text("desactivado")
        await expect(menos.locator('[data-action="enable"]')).to_be_visible()

        await chat.say("ana", "!comprar taza FINDE20")
        await chat.say("ana", "!cupon MENOS1000")
        await stage.bot.wait_idle(quiet=0.2)
        [order] = stage.store.viewer_orders(chat.platform, "ana")
        assert order.coupon == "FINDE20" and order.total.amount == 6800
        unknown = Messages().t("es", "coupon_unknown", coupon="MENOS1000")  # disabled
        assert any(r.text == unknown for r in chat.to("ana"))

        await panel.reload()
        await expect(finde.locator('[data-col="uses"]')).to_have_text("1 / 10")
        await panel.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        shots = shots_dir(tmp_path)
        await panel.screenshot(
            path=str(shots / "panel-coupons-desktop.png"), full_page=True, animations="disabled"
        )
        phone = await browser.new_page()
        await phone.set_viewport_size(PHONE)  # type: ignore[arg-type]
        await phone.goto(f"{stage.web_url}/panel/cupones")
        await expect(phone.locator("tr[data-coupon]")).to_have_count(3)
        await expect(phone.locator("#coupon-form button.primary")).to_be_visible()
        await _fits(phone, PHONE["width"])
        await phone.screenshot(
            path=str(shots / "panel-coupons-phone.png"), full_page=True, animations="disabled"
        )
        assert violations == []
