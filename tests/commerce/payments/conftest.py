"""A real sandbox on a loopback port, a webhook receiver, and a provider pointed at both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiohttp import web

from commerce.money import Money
from commerce.payments.base import LinkItem, LinkRequest
from commerce.payments.mercadopago import MercadoPagoProvider
from sandbox.app import Sandbox, SandboxConfig

SECRET = "test-webhook-secret"


@dataclass
class Received:
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers with `statuses` in turn, then 200."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            Received(dict(request.headers), dict(request.query), await request.read())
        )
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/webhooks/mercadopago", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    hook.url = f"http://{host}:{port}/webhooks/mercadopago"
    yield hook
    await runner.cleanup()


@pytest.fixture
async def sandbox(receiver: Receiver) -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        mp_webhook_url=receiver.url, mp_webhook_secret=SECRET, mp_webhook_retry_delay=0.01
    )
    async with Sandbox(config) as running:
        yield running


@pytest.fixture
def provider(sandbox: Sandbox) -> MercadoPagoProvider:
    return MercadoPagoProvider(
        "TEST-access-token", SECRET, endpoint=f"{sandbox.url}/mercadopago", timeout=5.0
    )


LinkFactory = Callable[..., LinkRequest]


@pytest.fixture
def make_link() -> LinkFactory:
    def make(
        reference: str = "ORD-7Q2K",
        *,
        prices: tuple[str, ...] = ("2500.50",),
        currency: str = "ARS",
        key: str | None = None,
        notification_url: str | None = None,
        back_url: str | None = None,
    ) -> LinkRequest:
        items = tuple(
            LinkItem(
                id=f"SKU-{n}",
                title=f"Remera talle {n}",
                quantity=1,
                unit_price=Decimal(price),
                currency=currency,
            )
            for n, price in enumerate(prices, 1)
        )
        total = sum((item.unit_price for item in items), Decimal(0))
        return LinkRequest(
            reference=reference,
            title=f"Pedido {reference}",
            items=items,
            total=Money(total, currency),
            expires_at=datetime.now(UTC) + timedelta(minutes=30),
            idempotency_key=key or f"link-{reference}",
            notification_url=notification_url,
            back_url=back_url,
            payer_name="Ana",
        )

    return make
