"""The live show in a real browser: the sandbox's chat page and the bot's overlay.

Everything runs as `vivo demo` wires it (the sandbox, the real Telegram, Discord and Twitch
adapters on it, the bot's web app); Chromium types in the chat page, follows the payment
link to the MercadoPago stand-in's checkout and pays, then checks the thank-you in the
Telegram pane and the alert on the overlay. `VIVO_SCREENSHOTS=docs/images` keeps the
screenshots the README shows.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, expect

from bots.runtime.demo import sandbox_adapters
from bots.testing import Stage, open_stage
from commerce.money import Money

WAIT_MS = 20_000  # how long a browser expectation may wait for the bot (not asserted on)


@pytest.fixture
async def show(tmp_path: Path) -> AsyncIterator[Stage]:
    async with open_stage(tmp_path, sandbox_adapters, short_links=True) as stage:
        stage.sandbox.chatpage.links["Overlay"] = f"{stage.web_url}/overlay"
        # This show is the link, the checkout and the alert; the delivery questions asked
        # before the link are tests/adapters/test_telegram_delivery_e2e.py's.
        stage.bot.services.conversations = None
        yield stage


def pane(page: Page, platform: str) -> Locator:
    return page.locator(f'.pane[data-platform="{platform}"]')


async def say(page: Page, platform: str, text: str, *, who: str, role: str = "viewer") -> None:
    box = pane(page, platform)
    await box.locator(".who").fill(who)
    await box.locator(".role").select_option(role)
    await box.locator(".say .text").fill(text)
    await box.locator(".say button").click()


def bot_line(page: Page, platform: str, text: str | re.Pattern[str]) -> Locator:
    return pane(page, platform).locator(".msg.bot:visible", has_text=text)


async def test_buy_in_telegram_pay_in_checkout_thanks_in_pane_and_alert_on_overlay(
    show: Stage, browser: BrowserContext, tmp_path: Path
) -> None:
    violations: list[str] = []  # Content-Security-Policy refusals, on any page

    def watch(page: Page) -> None:
        page.on("console", lambda m: violations.append(m.text) if "Security" in m.text else 0)

    browser.on("page", watch)
    chat = await browser.new_page()
    await chat.goto(f"{show.sandbox.url}/")
    overlay = await browser.new_page()
    await overlay.set_viewport_size({"width": 1920, "height": 1080})
    await overlay.goto(f"{show.web_url}/overlay?preview=1&duration=120")
    await expect(overlay.locator("body")).to_have_attribute("data-connected", "true")
    await expect(chat.locator("body")).to_have_attribute("data-feed", "live", timeout=WAIT_MS)

    # The owner drives the overlay from the Telegram group (privacy mode: /commands).
    await say(chat, "telegram", "/destacar remera", who="lu", role="owner")
    await expect(bot_line(chat, "telegram", "Remera Vivo")).to_be_visible(timeout=WAIT_MS)
    await expect(overlay.locator("#spot-name")).to_have_text("Remera Vivo", timeout=WAIT_MS)
    await expect(overlay.locator("#spot-qr svg")).to_be_visible()
    qr_url = await overlay.locator("#spot-qr").get_attribute("data-url")
    assert qr_url == f"{show.web_url}/c/REM-VIVO"
    await say(chat, "telegram", "/meta 50000", who="lu", role="owner")
    await expect(overlay.locator("#goal")).to_be_visible(timeout=WAIT_MS)
    await expect(overlay.locator("#goal-fill")).to_have_attribute("style", "width: 0%;")

    # A viewer buys with !comprar, which the group only delivers with privacy mode off.
    telegram = pane(chat, "telegram")
    await telegram.locator(".privacy").uncheck()
    await expect(telegram.locator(".note", has_text="desactivado")).to_be_visible()
    assert show.sandbox.telegram.privacy_mode is False
    await say(chat, "telegram", "!comprar remera M", who="ana")

    # The link goes privately: the group gets a button that opens the chat with the bot.
    opener = telegram.locator(".msg.bot .buttons button")
    await expect(opener).to_be_visible(timeout=WAIT_MS)
    await opener.click()
    await expect(telegram).to_have_attribute("data-view", "private")
    link = telegram.locator(".msg.bot:visible a.paylink")
    await expect(link).to_be_visible(timeout=WAIT_MS)
    href = await link.get_attribute("href")
    assert href is not None and href.startswith(f"{show.web_url}/p/")
    [order] = show.store.viewer_orders("telegram", str(show.sandbox.telegram.user("ana")["id"]))
    assert href.endswith(order.code)

    async with chat.expect_popup() as popup_info:
        await link.click()
    checkout = await popup_info.value
    await checkout.get_by_role("button", name="Pagar").click()
    await expect(checkout.locator("main")).to_contain_text("aprobado", timeout=WAIT_MS)
    await checkout.close()

    # The thank-you, in the group the order came from.
    await telegram.locator(".chat").select_option("group")
    thanks = bot_line(chat, "telegram", re.compile(f"Gracias.*{order.code}"))
    await expect(thanks).to_be_visible(timeout=WAIT_MS)
    await expect(thanks.locator(".mention")).to_have_text("ana")

    # The alert on the overlay, and the spotlight and goal brought up to date.
    alert = overlay.locator(".alert.order")
    await expect(alert).to_be_visible(timeout=WAIT_MS)
    await expect(alert).to_have_attribute("data-platform", "telegram")
    await expect(alert.locator(".alert-headline")).to_have_text("ana compró")
    await expect(alert.locator(".alert-title")).to_have_text("Remera Vivo")
    left = show.store.get_product("REM-VIVO").available
    await expect(overlay.locator("#spot-stock")).to_have_text(f"quedan {left}")
    total = show.bot.messages.money(order.total, "es")
    await expect(overlay.locator("#goal-progress")).to_have_text(total)
    style = await overlay.locator("#goal-fill").get_attribute("style") or ""
    shown = float(re.fullmatch(r"width: ([\d.]+)%;", style.strip()).group(1))  # type: ignore[union-attr]
    assert shown == pytest.approx(float(order.total.amount / Money(50000, "ARS").amount * 100))

    # The other panes answer too, each drawn its own way; YouTube has no stand-in here.
    await say(chat, "twitch", "!tienda", who="beto")
    await expect(bot_line(chat, "twitch", "Taza del stream")).to_be_visible(timeout=WAIT_MS)
    await say(chat, "discord", "/comprar taza", who="caro")
    ephemeral = pane(chat, "discord").locator(".msg.ephemeral")
    await expect(ephemeral.first).to_be_visible(timeout=WAIT_MS)
    await expect(ephemeral.first.locator(".eph-note")).to_contain_text("caro")
    # Discord's shop answer carries buttons; tapping one buys as the person who tapped.
    await say(chat, "discord", "!tienda", who="dora")
    sticker = pane(chat, "discord").locator(".buttons button", has_text="Pack de stickers")
    await expect(sticker.first).to_be_visible(timeout=WAIT_MS)
    await pane(chat, "discord").locator(".who").fill("dora")
    await sticker.first.click()
    await expect(pane(chat, "discord").locator(".msg.ephemeral", has_text="/p/")).to_have_count(
        2, timeout=WAIT_MS
    )
    [sticker_order] = [
        o
        for o in show.store.list_orders()
        if (o.platform, o.viewer.display_name) == ("discord", "dora")
    ]
    assert [line.sku for line in sticker_order.lines] == ["STICK-PACK"]
    youtube = pane(chat, "youtube")
    connected = show.sandbox.chatpage.standins["youtube"] is not None
    await expect(youtube.locator(".offline")).to_be_visible(visible=not connected)

    await telegram.locator(".chat").select_option("group")
    shots = Path(os.environ.get("VIVO_SCREENSHOTS", "") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    await chat.screenshot(path=str(shots / "chat-page.png"))
    await overlay.screenshot(path=str(shots / "overlay.png"))
    assert (shots / "chat-page.png").stat().st_size > 10_000
    assert violations == []
