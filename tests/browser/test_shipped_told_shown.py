"""From the panel's "Marcar enviado" click to the buyer's private Telegram chat: the owner
ships an order in a real Chromium, and the buyer who bought on Telegram is told privately,
through python-telegram-bot against the stand-in, with the carrier and the tracking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, expect
from test_panel import WAIT_MS, signed_in, strict_csp

from adapters.telegram import TelegramAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.store import Store
from commerce.views import DeliveryDetails, LineRequest, PaymentReport, ViewerRef
from sandbox.app import Sandbox

TRACKING = "CP123456789AR"


def telegram(config: Config, store: Store, sandbox: Sandbox) -> list[TelegramAdapter]:
    endpoint = f"{sandbox.url}/telegram"
    return [TelegramAdapter(sandbox.telegram.token, endpoint=endpoint, poll_timeout=1.0)]


@pytest.fixture
async def show(tmp_path: Path) -> AsyncIterator[Stage]:
    async with open_stage(tmp_path, telegram, short_links=True) as stage:
        yield stage


def _private(stage: Stage, chat_id: int) -> list[dict[str, Any]]:
    return [
        e
        for e in stage.sandbox.telegram.sent
        if e["method"] == "sendMessage" and e["chat_id"] == chat_id
    ]


async def test_marking_an_order_shipped_in_the_panel_tells_the_buyer_privately(
    show: Stage, browser: BrowserContext
) -> None:
    tg = show.sandbox.telegram
    tg.say("ana", "hola", chat="private")  # ana has opened the bot: it may write to her
    ana = tg.user("ana")
    buyer = ViewerRef("telegram", str(ana["id"]), "ana")
    order = show.store.reserve(
        buyer, str(tg.group_id), [LineRequest("TAZA-01")], ttl=timedelta(minutes=5)
    )
    home = DeliveryDetails(
        name="Ana Pérez",
        contact="ana@example.com",
        street="Av. Colón 1234",
        city="Córdoba",
        province="Córdoba",
        postal_code="5000",
    )
    order = show.store.set_delivery_details(order.code, show.config.delivery, "correo", home)
    show.store.record_payment(
        PaymentReport("mercadopago", "p-1", "approved", order.total.amount, "ARS", order.code)
    )
    before = len(_private(show, ana["id"]))

    violations = await strict_csp(browser)
    panel = await signed_in(browser, show.bot.panel_link())
    await panel.goto(f"{show.web_url}/panel/pedidos/{order.code}")
    ship = panel.locator("form.ship")
    await ship.get_by_label("Transporte").fill("Correo Argentino")
    await ship.get_by_label("Seguimiento").fill(TRACKING)
    await ship.locator('button[data-action="ship"]').click()
    await expect(panel.locator('[data-field="tracking"]')).to_have_text(TRACKING, timeout=WAIT_MS)

    told = await until(
        lambda: [e for e in _private(show, ana["id"])[before:] if TRACKING in e["text"]]
    )
    assert len(told) == 1
    assert order.code in told[0]["text"] and "Correo Argentino" in told[0]["text"]
    group = [e for e in tg.sent if e["method"] == "sendMessage" and e["chat_id"] == tg.group_id]
    assert not [e for e in group if TRACKING in e["text"]]  # never in the group
    assert violations == []
