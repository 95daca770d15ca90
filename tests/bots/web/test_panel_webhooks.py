"""The panel's Webhooks page: the owner sees the configured webhooks (never their secret)
and every recent attempt, and can send a test event with the CSRF token; staff cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from panel_helpers import Browser, Served, serve_panel
from webhook_receiver import Receiver, receiving

from bots.config import WebhookConfig
from bots.runtime.services import Settings
from bots.runtime.webhook_signing import verify
from bots.runtime.webhooks import WebhookSender
from commerce.sessions import PanelRole

SECRET = "panel-secret-0123456789abcdef"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving(answers=[500]) as found:
        yield found


@pytest.fixture
async def hooked(store: Any, settings: Settings, receiver: Receiver) -> AsyncIterator[Served]:
    hook = WebhookConfig("planilla", receiver.url, frozenset({"order.paid"}), SECRET)
    sender = WebhookSender(store, [hook], store_name=settings.store_name)
    async with serve_panel(store, settings, webhooks=sender) as served:
        yield served


async def test_the_owner_sees_webhooks_and_sends_a_test(hooked: Served, receiver: Receiver) -> None:
    owner = Browser(hooked)
    try:
        await owner.sign_in()
        page = await owner.get("/panel/webhooks")
        html = await page.text()
        assert page.status == 200
        assert "planilla" in html and receiver.url in html and "order.paid" in html
        assert SECRET not in html
        assert "Todavía no se envió nada." in html

        refused = await owner.post("/panel/webhooks/planilla/probar", csrf=False)
        assert refused.status == 403 and receiver.received == []

        for _ in range(2):  # the receiver answers 500, then 200
            sent = await owner.post("/panel/webhooks/planilla/probar")
            assert sent.status == 303
        after = await owner.get(sent.headers["Location"])
        assert len(receiver.received) == 2
        assert all(verify(SECRET, r.headers["Vivo-Signature"], r.body) for r in receiver.received)
        html = await after.text()
        assert "Prueba enviada: el receptor respondió bien." in html
        assert html.count("data-attempt") == 2
        assert "HTTP 500" in html and "HTTP 200" in html
        assert "entregado" in html and "abandonado" in html  # a test is never retried
        missing = await owner.post("/panel/webhooks/otro/probar")
        assert missing.status == 404
    finally:
        await owner.close()


async def test_staff_cannot_see_or_use_webhooks(hooked: Served, receiver: Receiver) -> None:
    staff = Browser(hooked)
    try:
        await staff.sign_in(PanelRole.STAFF)
        assert (await staff.get("/panel/webhooks")).status == 403
        assert (await staff.post("/panel/webhooks/planilla/probar")).status == 403
        assert receiver.received == []
        orders = await staff.get("/panel/pedidos")
        assert "/panel/webhooks" not in await orders.text()  # not in their menu either
    finally:
        await staff.close()
