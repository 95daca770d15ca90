"""The shout-out queue in a real browser, on the whole bot: a paid saludo appears in the
overlay's corner with its message, the owner marks it done in the panel, it leaves the
overlay without a reload and the buyer is thanked in the chat they bought in.
`VIVO_SCREENSHOTS=docs/images` keeps the corner's screenshot that docs/overlay.md shows.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import BrowserContext, expect
from test_panel import WAIT_MS, shots_dir, signed_in, strict_csp

from adapters.base import Role
from bots.chat.i18n import Messages
from bots.testing import RecordingAdapter, open_stage, until
from commerce.views import OrderStatus


async def test_a_paid_saludo_is_shown_then_done_from_the_panel_and_the_buyer_thanked(
    browser: BrowserContext, tmp_path: Path
) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        violations = await strict_csp(browser)
        overlay = await browser.new_page()
        await overlay.set_viewport_size({"width": 1280, "height": 720})
        await overlay.goto(f"{stage.web_url}/overlay/widgets/queue?layout=corner&preview")
        await expect(overlay.locator("body")).to_have_attribute("data-connected", "true")
        await expect(overlay.locator(".queue .empty")).to_be_visible()

        await chat.say("ana", "!comprar saludo ¡feliz cumple, Ana!")
        await chat.say("beto", "!comprar saludo")
        await stage.bot.wait_idle(quiet=0.2)
        [first] = stage.store.viewer_orders(chat.platform, "ana")
        [second] = stage.store.viewer_orders(chat.platform, "beto")
        for order in (first, second):
            await stage.pay(order.code)
            await until(lambda o=order: stage.store.get_order(o.code).status is OrderStatus.PAID)

        items = overlay.locator(".shoutout")
        await expect(items).to_have_count(2, timeout=WAIT_MS)
        await expect(items.nth(0).locator(".name")).to_have_text("ana")
        await expect(items.nth(0).locator(".message")).to_have_text("¡feliz cumple, Ana!")
        await expect(items.nth(1).locator(".name")).to_have_text("beto")
        box = await overlay.locator(".queue").bounding_box()
        assert box is not None and box["x"] > 640 and box["y"] < 60  # small, top right
        await overlay.screenshot(
            path=str(shots_dir(tmp_path) / "overlay-shoutouts-corner.png"),
            animations="disabled",
        )

        panel = await signed_in(browser, stage.bot.panel_link())
        await panel.goto(f"{stage.web_url}/panel/saludos")
        await expect(panel.locator("body")).to_have_attribute("data-shoutouts", "live")
        rows = panel.locator("#shoutouts li[data-shoutout]")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0).locator(".held-message")).to_have_text("¡feliz cumple, Ana!")
        await rows.nth(0).locator('[data-action="done"]').click()
        await expect(panel.locator(".notice.ok")).to_contain_text("Saludo hecho")
        await expect(rows).to_have_count(1)

        await expect(items).to_have_count(1, timeout=WAIT_MS)  # no reload: its stream
        await expect(items.nth(0).locator(".name")).to_have_text("beto")
        thanks = Messages().t("es", "shoutout_thanks", name="ana", code=first.code)
        await until(lambda: [r for r in chat.to("ana") if r.text == thanks])
        await stage.bot.wait_idle(quiet=0.2)
        assert len([r for r in chat.to("ana") if r.text == thanks]) == 1
        assert not [r for r in chat.to("beto") if "saludo" in r.text and "salió" in r.text]

        # A moderator's !hecho does the next one from chat: the same thanks, the same path.
        await chat.say("mora", "!hecho", role=Role.MODERATOR)
        await expect(overlay.locator(".queue .empty")).to_be_visible(timeout=WAIT_MS)
        beto = Messages().t("es", "shoutout_thanks", name="beto", code=second.code)
        await until(lambda: [r for r in chat.to("beto") if r.text == beto])
        await expect(rows).to_have_count(0, timeout=WAIT_MS)
        assert violations == []
