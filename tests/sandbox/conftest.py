"""A running sandbox, a webhook receiver, and a raw HTTP client: no Vivo code involved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.app import Sandbox, SandboxConfig

TOKEN = "APP_USR-sandbox-test"


@dataclass
class Hook:
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST; answers with `statuses` in turn, then 200."""

    url: str = ""
    received: list[Hook] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.received.append(Hook(headers, dict(request.query), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    hook.url = f"http://{host}:{port}/hook"
    yield hook
    await runner.cleanup()


@pytest.fixture
async def sandbox(receiver: Receiver) -> AsyncIterator[Sandbox]:
    config = SandboxConfig(mp_webhook_url=receiver.url, mp_webhook_retry_delay=0.01)
    async with Sandbox(config) as running:
        yield running


@dataclass
class Client:
    """Plain HTTP against the sandbox, the way any MercadoPago client would talk to it."""

    base: str
    session: aiohttp.ClientSession

    async def call(
        self, method: str, path: str, *, json: Any = None, token: str | None = TOKEN, **kw: Any
    ) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, self.base + path, json=json, headers=headers, **kw
        ) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()

    async def preference(self, **fields: Any) -> dict[str, Any]:
        body = {
            "items": [
                {
                    "id": "SKU-1",
                    "title": "Remera negra",
                    "quantity": 2,
                    "unit_price": 1500.5,
                    "currency_id": "ARS",
                }
            ],
            "external_reference": "ORD-1",
        }
        body.update(fields)
        status, preference = await self.call("POST", "/mercadopago/checkout/preferences", json=body)
        assert status == 201, preference
        return preference  # type: ignore[no-any-return]

    async def pay(self, **fields: Any) -> dict[str, Any]:
        status, payment = await self.call("POST", "/_sandbox/mercadopago/pay", json=fields)
        assert status == 201, payment
        return payment  # type: ignore[no-any-return]


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[Client]:
    async with aiohttp.ClientSession() as session:
        yield Client(sandbox.url, session)
