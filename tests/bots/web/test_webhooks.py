"""/webhooks/mercadopago end to end: the stand-in pays and notifies, the bot verifies and records.

A forged, replayed or mismatched notification is shown to change nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bots.events import Event, EventBus, OrderPaid
from bots.payments import PaymentRecorder
from bots.web.app import build_app
from commerce.payments.base import LinkItem, LinkRequest
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

SECRET = "webhook-test-secret"
TOKEN = "TEST-webhook-token"


@dataclass
class Rig:
    store: Store
    sandbox: Sandbox
    provider: MercadoPagoProvider
    web_url: str
    events: list[Event]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.sync_catalog(
        [ProductSpec(sku="TAZA", name="Taza", price=Decimal("8500"), currency="ARS", stock=3)]
    )
    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN))
    await sandbox.start()
    provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox.url}/mercadopago")
    bus = EventBus()
    events: list[Event] = []

    async def listen(event: Event) -> None:
        events.append(event)

    bus.subscribe(listen)
    runner = web.AppRunner(build_app(store, provider, PaymentRecorder(store, provider, bus)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    web_url = f"http://127.0.0.1:{port}"
    sandbox.mercadopago.webhook_url = f"{web_url}/webhooks/mercadopago"
    try:
        yield Rig(store, sandbox, provider, web_url, events)
    finally:
        await runner.cleanup()
        await sandbox.stop()
        store.close()


async def reserve_with_link(rig: Rig, user: str = "ana") -> OrderView:
    order = await asyncio.to_thread(
        rig.store.reserve,
        ViewerRef("console", user, user),
        "chan",
        [LineRequest("TAZA", 1)],
        ttl=timedelta(minutes=15),
    )
    request = LinkRequest(
        reference=order.code,
        title="Taza",
        items=(LinkItem("TAZA", "Taza", 1, Decimal("8500"), "ARS"),),
        total=order.total,
        expires_at=order.expires_at,
        idempotency_key=f"test-{order.code}",
    )
    link = await asyncio.to_thread(rig.provider.create_link, request)
    return await asyncio.to_thread(
        rig.store.set_order_link, order.code, link.url, link.preference_id
    )


async def pay(rig: Rig, body: dict[str, object]) -> dict[str, object]:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{rig.sandbox.url}/_sandbox/mercadopago/pay", json=body)
        assert resp.status < 300, await resp.text()
        data: dict[str, object] = await resp.json()
    await rig.sandbox.mercadopago.drain()
    return data


async def test_signed_webhook_marks_the_order_paid_once(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    await pay(rig, {"preference_id": order.preference_id, "status": "approved"})
    paid = rig.store.get_order(order.code)
    assert paid.status is OrderStatus.PAID
    assert [type(e) for e in rig.events] == [OrderPaid]
    deliveries = rig.sandbox.mercadopago.deliveries
    assert deliveries and all(d.get("status") == 200 for d in deliveries[-1:])

    # replaying the very same signed delivery changes nothing and announces nothing new
    last = deliveries[-1]
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            last["url"],
            data=json.dumps(last["body"]),
            headers=last["headers"],
        )
        assert resp.status == 200
        assert (await resp.json())["outcome"] == "duplicate"
    assert len(rig.events) == 1
    assert rig.store.get_product("TAZA").available == 2


async def test_forged_signature_gets_401_and_records_nothing(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    rig.sandbox.mercadopago.webhook_url = None  # the real payment is never announced
    payment = await pay(rig, {"preference_id": order.preference_id, "status": "approved"})
    body = {"type": "payment", "action": "payment.created", "data": {"id": str(payment["id"])}}
    async with aiohttp.ClientSession() as http:
        for headers in (
            {},
            {"x-signature": "ts=1,v1=deadbeef", "x-request-id": "abc"},
            {"x-signature": "garbage"},
        ):
            resp = await http.post(
                f"{rig.web_url}/webhooks/mercadopago",
                params={"data.id": str(payment["id"]), "type": "payment"},
                data=json.dumps(body),
                headers=headers,
            )
            assert resp.status == 401
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING
    assert rig.events == []


async def test_wrong_secret_at_the_stand_in_is_refused(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    rig.sandbox.mercadopago.set_faults(wrong_secret=True)
    await pay(rig, {"preference_id": order.preference_id, "status": "approved"})
    assert all(d.get("status") == 401 for d in rig.sandbox.mercadopago.deliveries)
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING


async def test_amount_mismatch_is_not_accepted(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    await pay(rig, {"preference_id": order.preference_id, "status": "approved", "amount": 1})
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING
    assert rig.events == []
    await pay(rig, {"preference_id": order.preference_id, "status": "approved", "currency": "BRL"})
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING
    assert rig.store.get_product("TAZA").available == 2


async def test_rejected_payment_leaves_the_order_pending(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    await pay(rig, {"preference_id": order.preference_id, "status": "rejected"})
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING
    assert rig.events == []
