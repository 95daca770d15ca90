"""The panel's Webhooks page in a real browser at desktop and phone widths, on the whole bot:
the owner's bad address is named next to its field, a good webhook shows its secret once,
a viewer's purchase then reaches a local receiver signed with that secret, pausing it in
the panel stops the next one, and the page fits a phone without sideways scrolling.
`VIVO_SCREENSHOTS=docs/images` keeps panel-webhooks.png (desktop) and the phone's."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import BrowserContext, Page, expect
from test_panel import DESKTOP, PHONE, shots_dir, signed_in, strict_csp

from bots.runtime.webhook_signing import verify
from bots.runtime.webhooks import DeliveryPolicy
from bots.testing import RecordingAdapter, open_stage, until
from tests.bots.webhook_receiver import receiving

FAST = DeliveryPolicy(first_retry=0.05, max_retry=0.2, timeout=5.0, poll=0.2, lease_seconds=0.5)


async def _fits(page: Page, width: int) -> None:
    wide = await page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, wide


async def test_the_owner_adds_a_webhook_that_gets_the_next_sale(
    browser: BrowserContext, tmp_path: Path
) -> None:
    chat = RecordingAdapter()
    async with (
        receiving() as receiver,
        open_stage(tmp_path, lambda *_: [chat], webhook_policy=FAST) as stage,
    ):
        violations = await strict_csp(browser)
        panel = await signed_in(browser, stage.bot.panel_link())
        await panel.goto(f"{stage.web_url}/panel/webhooks")
        form = panel.locator("#webhook-form")
        await form.locator('input[name="name"]').fill("planilla")
        await form.locator('input[name="url"]').fill("ftp://files.example/x")
        await form.locator('input[value="order.reserved"]').check()
        await form.locator("button.primary").click()
        await expect(panel.locator('[data-problem="url"]')).to_contain_text("http://")
        await expect(panel.locator("[data-secret]")).to_have_count(0)

        form = panel.locator("#webhook-form")
        await form.locator('input[name="url"]').fill(receiver.url)
        await form.locator("button.primary").click()
        secret = (await panel.locator("[data-secret]").inner_text()).strip()
        assert secret.startswith("whsec_")
        row = panel.locator('tr[data-webhook="planilla"]')
        await expect(row.locator('[data-col="events"]')).to_have_text("order.reserved")

        shots = shots_dir(tmp_path)
        await panel.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        await panel.screenshot(
            path=str(shots / "panel-webhooks.png"), full_page=True, animations="disabled"
        )

        await chat.say("ana", "!comprar taza")
        [got] = await until(lambda: receiver.of_type("order.reserved"))
        assert verify(secret, got.headers["Vivo-Signature"], got.body)

        await panel.goto(f"{stage.web_url}/panel/webhooks")
        await expect(panel.locator("[data-secret]")).to_have_count(0)  # shown once only
        assert secret not in await panel.content()
        row = panel.locator('tr[data-webhook="planilla"]')
        await row.locator("summary").click()
        await row.locator('input[name="enabled"]').uncheck()
        await row.locator('[data-form="edit"] button.primary').click()
        await expect(panel.locator(".notice.ok")).to_contain_text("Webhook guardado")
        await expect(panel.locator('tr[data-webhook="planilla"] [data-paused]')).to_be_visible()
        await chat.say("bob", "!comprar taza")
        await stage.bot.wait_idle(quiet=0.3)
        assert len(receiver.of_type("order.reserved")) == 1  # paused: bob's went nowhere

        phone = await browser.new_page()
        await phone.set_viewport_size(PHONE)  # type: ignore[arg-type]
        await phone.goto(f"{stage.web_url}/panel/webhooks")
        await expect(phone.locator("#webhook-form button.primary")).to_be_visible()
        await expect(phone.locator("tr[data-delivery]")).to_have_count(1)
        await _fits(phone, PHONE["width"])
        await phone.screenshot(
            path=str(shots / "panel-webhooks-phone.png"), full_page=True, animations="disabled"
        )
        assert violations == []
