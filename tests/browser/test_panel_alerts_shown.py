"""Avisos in a real browser, on the whole bot: a payment lands, the header's bell counts it
without a reload of anything but the page, the list says it in words, marking it read
clears the bell, and the page fits a 375 px phone without scrolling sideways."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, expect
from test_panel import DESKTOP, PHONE, WAIT_MS, signed_in, strict_csp

from bots.runtime.demo import sandbox_adapters
from bots.testing import Stage, open_stage, until
from commerce.views import LineRequest, ViewerRef


@pytest.fixture
async def show(tmp_path: Path) -> AsyncIterator[Stage]:
    async with open_stage(tmp_path, sandbox_adapters, short_links=True) as stage:
        yield stage


async def test_a_paid_order_shows_in_the_bell_and_the_list_and_is_marked_read(
    show: Stage, browser: BrowserContext
) -> None:
    violations = await strict_csp(browser)
    order = show.store.reserve(
        ViewerRef("twitch", "id-ana", "ana"),
        "canal",
        [LineRequest("TAZA-01", 2)],
        ttl=timedelta(minutes=5),
    )
    await show.bot.links.for_order(order)
    mp = show.sandbox.mercadopago
    mp.pay(mp.preferences[str(show.store.get_order(order.code).preference_id)])
    await until(lambda: show.store.list_alerts())

    panel = await signed_in(browser, show.bot.panel_link())
    bell = panel.locator("header a.bell .bell-count")
    await expect(bell).to_have_text("1", timeout=WAIT_MS)
    await panel.locator("header a.bell").click()
    await expect(panel).to_have_url(f"{show.web_url}/panel/avisos")
    item = panel.locator(f'li.alert[data-code="{order.code}"]')
    await expect(item).to_contain_text(f"Pedido {order.code} pagado: 2× Taza del stream")
    await expect(item).to_have_class("alert paid unread")

    for view in (DESKTOP, PHONE):
        await panel.set_viewport_size(view)
        wide = await panel.evaluate("document.documentElement.scrollWidth")
        assert wide <= view["width"], (view, wide)  # nothing scrolls sideways

    await item.get_by_role("button", name="Marcar como leído").click()
    await expect(panel.locator(f'li.alert[data-code="{order.code}"]')).to_have_class("alert paid")
    await expect(panel.locator("header a.bell .bell-count")).to_have_count(0)
    assert await panel.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert show.store.unread_alerts() == 0
    assert violations == []
