"""The auction card in a real browser, on the whole bot: the owner opens an auction from
chat, two viewers on two platforms bid, and the overlay shows the item, the current bid,
its bidder with their platform's icon and a clock counting down; `!subasta fin` turns it
into the winner's card without a reload.
`VIVO_SCREENSHOTS=docs/images` keeps the screenshot that docs/live-selling.md shows.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import BrowserContext, expect
from test_panel import WAIT_MS, shots_dir, strict_csp

from adapters.base import Role
from bots.testing import RecordingAdapter, open_stage


async def test_the_auction_card_follows_the_bids(browser: BrowserContext, tmp_path: Path) -> None:
    twitch, discord = RecordingAdapter("twitch"), RecordingAdapter("discord")
    async with open_stage(tmp_path, lambda *_: [twitch, discord]) as stage:
        violations = await strict_csp(browser)
        page = await browser.new_page()
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.goto(f"{stage.web_url}/overlay?preview")
        await expect(page.locator("body")).to_have_attribute("data-connected", "true")
        card = page.locator("#auction")
        await expect(card).to_be_hidden()

        await twitch.say("lu", "!subasta taza 5000 2m", role=Role.OWNER)
        await expect(card).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#auction-product")).to_have_text("Taza del stream")
        await expect(page.locator("#auction-label")).to_have_text("Base")
        await expect(page.locator("#auction-name")).to_have_text("Sin ofertas aún")
        await expect(page.locator("#auction-hint")).to_have_text("!oferto 5000")

        await twitch.say("ana", "!oferto 5000")
        await discord.say("beto", "!oferto 6500")
        await expect(page.locator("#auction-name")).to_have_text("beto", timeout=WAIT_MS)
        await expect(page.locator("#auction-amount")).to_contain_text("6.500")
        await expect(page.locator("#auction-label")).to_have_text("Oferta actual")
        await expect(card).to_have_attribute("data-platform", "discord")
        await expect(page.locator("#auction-icon svg")).to_be_visible()
        # The step was set by the base (5% of 5000), not by the current bid.
        await expect(page.locator("#auction-hint")).to_have_text("!oferto 6750")
        clock = page.locator("#auction-clock")
        await expect(clock).to_have_text(re.compile(r"^[12]:\d\d$"))
        first = await clock.text_content()
        await expect(clock).not_to_have_text(first or "", timeout=WAIT_MS)  # it counts down
        box = await card.bounding_box()
        assert box is not None and box["x"] > 960  # on the right, clear of the spotlight
        margin = 40
        await page.screenshot(
            path=str(shots_dir(tmp_path) / "overlay-auction.png"),
            animations="disabled",
            clip={
                "x": box["x"] - margin,
                "y": box["y"] - margin,
                "width": box["width"] + 2 * margin,
                "height": box["height"] + 2 * margin,
            },
        )

        await twitch.say("lu", "!subasta fin", role=Role.OWNER)
        await expect(page.locator("#auction-result")).to_have_text(
            "Para beto: esperando el pago", timeout=WAIT_MS
        )
        await expect(card).to_have_attribute("data-status", "offered")
        await expect(page.locator("#auction-hint")).to_have_text("")
        assert violations == []
