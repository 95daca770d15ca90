"""The giveaway card in a real browser, on the whole bot: the owner opens a giveaway from
chat, viewers on two platforms enter, and the overlay (`?layout=giveaway`) shows the prize,
how many entered, a clock counting down and the seed's commitment; `!sorteo fin` turns it
into the winner's card (name, platform icon, the revealed seed) without a reload. At a
desktop and a phone width.
`VIVO_SCREENSHOTS=docs/images` keeps the screenshot that docs/live-selling.md shows.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import BrowserContext, expect
from test_panel import PHONE, WAIT_MS, shots_dir, strict_csp

from adapters.base import Role
from bots.testing import RecordingAdapter, open_stage


async def test_the_giveaway_card_shows_the_draw(browser: BrowserContext, tmp_path: Path) -> None:
    twitch, discord = RecordingAdapter("twitch"), RecordingAdapter("discord")
    async with open_stage(tmp_path, lambda *_: [twitch, discord]) as stage:
        violations = await strict_csp(browser)
        page = await browser.new_page()
        await page.set_viewport_size({"width": 1920, "height": 1080})
        await page.goto(f"{stage.web_url}/overlay?preview&layout=giveaway")
        await expect(page.locator("body")).to_have_attribute("data-connected", "true")
        card = page.locator("#giveaway")
        await expect(card).to_be_hidden()

        await twitch.say("lu", "!sorteo taza 2m", role=Role.OWNER)
        await expect(card).to_be_visible(timeout=WAIT_MS)
        shown = stage.store.current_giveaway()
        assert shown is not None
        await expect(page.locator("#giveaway-product")).to_have_text("Taza del stream")
        await expect(page.locator("#giveaway-entries")).to_have_text("0 participantes")
        await expect(page.locator("#giveaway-hint")).to_have_text("!participo")
        await expect(page.locator("#giveaway-hash-label")).to_have_text("Compromiso")
        await expect(page.locator("#giveaway-hash")).to_have_text(shown.commitment[:12])
        await expect(page.locator("#auction")).to_be_hidden()  # the layout shows this card

        await twitch.say("ana", "!participo")
        await discord.say("beto", "!participo")
        await twitch.say("carla", "!participo")
        await expect(page.locator("#giveaway-entries")).to_have_text(
            "3 participantes", timeout=WAIT_MS
        )
        clock = page.locator("#giveaway-clock")
        await expect(clock).to_have_text(re.compile(r"^[12]:\d\d$"))
        first = await clock.text_content()
        await expect(clock).not_to_have_text(first or "", timeout=WAIT_MS)  # it counts down
        box = await card.bounding_box()
        assert box is not None and box["x"] < 100  # the giveaway layout: top left

        await page.set_viewport_size(PHONE)  # a phone's width: the card still fits
        box = await card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        await expect(page.locator("#giveaway-product")).to_be_visible()
        await page.set_viewport_size({"width": 1920, "height": 1080})

        await twitch.say("lu", "!sorteo fin", role=Role.OWNER)
        await expect(card).to_have_attribute("data-status", "drawn", timeout=WAIT_MS)
        drawn = stage.store.current_giveaway()
        assert drawn is not None and drawn.winner is not None and drawn.seed_hex is not None
        await expect(page.locator("#giveaway-name")).to_have_text(drawn.winner.name)
        await expect(card).to_have_attribute("data-platform", drawn.winner.platform)
        await expect(page.locator("#giveaway-icon svg")).to_be_visible()
        await expect(page.locator("#giveaway-result")).to_have_text("¡Ganó!")
        await expect(page.locator("#giveaway-hash-label")).to_have_text("Semilla")
        await expect(page.locator("#giveaway-hash")).to_have_text(drawn.seed_hex)
        await expect(page.locator("#giveaway-clock")).to_be_hidden()
        box = await card.bounding_box()
        assert box is not None
        margin = 40
        await page.screenshot(
            path=str(shots_dir(tmp_path) / "overlay-giveaway.png"),
            animations="disabled",
            clip={
                "x": max(0, box["x"] - margin),
                "y": max(0, box["y"] - margin),
                "width": box["width"] + 2 * margin,
                "height": box["height"] + 2 * margin,
            },
        )
        await page.set_viewport_size(PHONE)
        box = await card.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        assert violations == []
