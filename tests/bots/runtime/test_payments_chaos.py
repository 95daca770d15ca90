"""Chaos: 1,000 payments through the official SDK, the stand-in and the bot's webhook app, with
30% API errors and duplicated, reordered webhooks. The store must end exactly where one clean
delivery of each payment would leave it: paid once, rejected ones released, no mismatched
amount or currency accepted, stock consistent, one preference per order.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bots.runtime.events import Event, EventBus, OrderPaid
from bots.runtime.links import LinkService
from bots.runtime.notifications import NotificationInbox
from bots.runtime.payments import PaymentRecorder, Reconciler
from bots.runtime.retry import Backoff, retry_async
from bots.web.app import build_app
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

SECRET = "chaos-secret"
TOKEN = "TEST-chaos-token"
ORDERS = 1000
STOCK = 1200
PRICE = Decimal("8500")
FAST = Backoff(attempts=12, first=0.005, max_delay=0.05)

# What each buyer does, and the order status one clean delivery leaves behind (after the
# reservations of unpaid orders lapse).
PLAN = {
    "approved": OrderStatus.PAID,
    "rejected": OrderStatus.EXPIRED,
    "wrong_amount": OrderStatus.EXPIRED,
    "wrong_currency": OrderStatus.EXPIRED,
    "refunded": OrderStatus.REFUNDED,
    "charged_back": OrderStatus.REFUNDED,
    "rejected_then_approved": OrderStatus.PAID,
}
WEIGHTS = [60, 12, 6, 4, 7, 5, 6]


@dataclass
class Rig:
    store: Store
    sandbox: Sandbox
    provider: MercadoPagoProvider
    inbox: NotificationInbox
    recorder: PaymentRecorder
    events: list[Event]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = Store(f"sqlite:///{tmp_path / 'chaos.db'}")
    store.migrate()
    store.sync_catalog(
        [ProductSpec(sku="TAZA", name="Taza", price=PRICE, currency="ARS", stock=STOCK)]
    )
    sandbox = Sandbox(
        SandboxConfig(
            mp_webhook_secret=SECRET,
            mp_access_token=TOKEN,
            mp_webhook_retry_delay=0.01,
        )
    )
    await sandbox.start()
    provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox.url}/mercadopago")
    bus = EventBus()
    events: list[Event] = []

    async def listen(event: Event) -> None:
        events.append(event)

    bus.subscribe(listen)
    recorder = PaymentRecorder(store, provider, bus)
    inbox = NotificationInbox(
        store,
        provider,
        recorder,
        fetch_backoff=FAST,
        idle_backoff=Backoff(attempts=1, first=0.02, max_delay=0.1),
        concurrency=6,
    )
    runner = web.AppRunner(build_app(store, provider, recorder, inbox=inbox), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    sandbox.mercadopago.webhook_url = f"http://127.0.0.1:{port}/webhooks/mercadopago"
    try:
        yield Rig(store, sandbox, provider, inbox, recorder, events)
    finally:
        await runner.cleanup()
        await sandbox.stop()
        store.close()


async def settle(rig: Rig) -> None:
    await rig.sandbox.mercadopago.drain()
    for _ in range(3000):
        left = await asyncio.to_thread(rig.store.unprocessed_notifications, 1)
        if not left and not rig.inbox.busy:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the inbox never caught up")


async def test_a_thousand_payments_through_errors_duplicates_and_reordering(rig: Rig) -> None:
    rng = random.Random(20250601)
    mp = rig.sandbox.mercadopago
    mp.set_faults(
        error_rate=0.3,
        duplicate_webhooks=True,
        reorder_webhooks=True,
        reorder_window_ms=30,
        seed=11,
    )
    plans = rng.choices(list(PLAN), weights=WEIGHTS, k=ORDERS)

    # Orders reserved, then their links made through the SDK with retries (one key each).
    orders = [
        rig.store.reserve(
            ViewerRef("console", f"u{i}", f"buyer{i}"),
            "chan",
            [LineRequest("TAZA", 1)],
            ttl=timedelta(minutes=15),
        )
        for i in range(ORDERS)
    ]
    links = LinkService(rig.store, rig.provider, EventBus(), store_name="Chaos")
    gate = asyncio.Semaphore(8)

    async def link(order: OrderView) -> str:
        request = links._order_request(order)
        async with gate:
            made = await retry_async(lambda: rig.provider.create_link(request), FAST)
        await asyncio.to_thread(rig.store.set_order_link, order.code, made.url, made.preference_id)
        return made.preference_id

    preference_ids = await asyncio.gather(*(link(o) for o in orders))
    assert len(mp.preferences) == ORDERS  # retries never made a second preference

    # Buyers pay (in bursts, so webhooks pile up and get shuffled), some statuses change later.
    async with aiohttp.ClientSession() as http:
        for start in range(0, ORDERS, 100):
            changes: list[tuple[int, str]] = []
            for plan, pref_id in zip(
                plans[start : start + 100], preference_ids[start : start + 100], strict=True
            ):
                preference = mp.preferences[pref_id]
                if plan == "rejected_then_approved":
                    mp.pay(preference, status="rejected")
                    paid = mp.pay(preference, status="approved")
                elif plan == "wrong_amount":
                    paid = mp.pay(preference, amount=PRICE - 1)
                elif plan == "wrong_currency":
                    paid = mp.pay(preference, currency="BRL")
                else:
                    status = "rejected" if plan == "rejected" else "approved"
                    paid = mp.pay(preference, status=status)
                if plan in ("refunded", "charged_back"):
                    changes.append((paid["id"], plan))
            for payment_id, status in changes:
                resp = await http.post(
                    f"{rig.sandbox.url}/_sandbox/mercadopago/payments/{payment_id}/status",
                    json={"status": status},
                )
                assert resp.status == 200
            await asyncio.sleep(0.05)
    await settle(rig)

    # Every delivery was acknowledged after being persisted; every row got processed.
    deliveries = mp.deliveries
    assert deliveries and all(d["status"] == 200 for d in deliveries)
    assert len(deliveries) == 2 * len(mp.payments) + 2 * sum(
        p in ("refunded", "charged_back") for p in plans
    )

    # A reconciler pass afterwards (through 30% errors too) finds nothing left to change.
    reconciler = Reconciler(rig.store, rig.provider, rig.recorder, backoff=FAST)
    assert await reconciler.sync_once() == []

    rig.store.expire_due(now=datetime.now(UTC) + timedelta(hours=1))
    final = {o.code: rig.store.get_order(o.code).status for o in orders}
    expected = {o.code: PLAN[plan] for o, plan in zip(orders, plans, strict=True)}
    assert final == expected

    paid_events = Counter(e.order.code for e in rig.events if isinstance(e, OrderPaid))
    assert max(paid_events.values()) == 1  # nobody thanked twice
    for order, plan in zip(orders, plans, strict=True):
        effects = Counter(p.effect for p in rig.store.payments_for(order.code))
        if PLAN[plan] is OrderStatus.PAID:
            assert effects["paid"] == 1 and paid_events[order.code] == 1
        elif PLAN[plan] is OrderStatus.REFUNDED:
            assert effects == Counter({"refunded": 1})
        else:
            assert "paid" not in effects and paid_events[order.code] == 0
        if plan.startswith("wrong_"):
            assert all(p.mismatch for p in rig.store.payments_for(order.code))

    sold = sum(status is OrderStatus.PAID for status in final.values())
    product = rig.store.get_product("TAZA")
    assert product.available == STOCK - sold
    assert not any(o.needs_refund for o in rig.store.list_orders(limit=ORDERS))
