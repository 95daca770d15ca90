"""The reconciler polls young pending orders often, old ones rarely, and never more than its
budget per tick, against the stand-in through the official SDK."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bots.runtime.events import EventBus
from bots.runtime.links import LinkService
from bots.runtime.payments import PaymentRecorder, PollPolicy, Reconciler
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import (
    AwaitingPayment,
    LineRequest,
    OrderStatus,
    OutcomeKind,
    PaymentReport,
    ProductSpec,
    ViewerRef,
)
from sandbox.app import Sandbox

NOW = datetime(2025, 6, 1, 20, 0, tzinfo=UTC)


def waiting(age: timedelta, pending: bool = True) -> AwaitingPayment:
    return AwaitingPayment("C", "order", pending, NOW - age)


def test_intervals_grow_with_age_and_with_webhooks() -> None:
    policy = PollPolicy()
    young = policy.interval(waiting(timedelta(seconds=30)), NOW)
    older = policy.interval(waiting(timedelta(minutes=10)), NOW)
    lapsed = policy.interval(waiting(timedelta(minutes=30), pending=False), NOW)
    ancient = policy.interval(waiting(timedelta(hours=5), pending=False), NOW)
    assert young <= 2.0 < older <= 5.0 < lapsed < ancient
    slow = PollPolicy(slowdown=10).interval(waiting(timedelta(seconds=30)), NOW)
    assert slow == young * 10


class Counting:
    """The real provider, counting searches by reference."""

    name = "mercadopago"

    def __init__(self, inner: MercadoPagoProvider) -> None:
        self.inner = inner
        self.searched: Counter[str] = Counter()

    def search_by_reference(self, reference: str) -> list[PaymentReport]:
        self.searched[reference] += 1
        return self.inner.search_by_reference(reference)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as running:
        yield running


async def test_budget_and_schedule(tmp_path: Path, sandbox: Sandbox) -> None:
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    store.migrate()
    store.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=50)])
    provider = Counting(MercadoPagoProvider("TEST-t", None, endpoint=f"{sandbox.url}/mercadopago"))
    orders = [
        store.reserve(
            ViewerRef("console", f"u{i}", f"u{i}"),
            "c",
            [LineRequest("TAZA")],
            ttl=timedelta(minutes=15),
        )
        for i in range(30)
    ]
    bus = EventBus()
    clock = Clock()
    policy = PollPolicy(per_second=5, tick=1.0)
    reconciler = Reconciler(
        store, provider, PaymentRecorder(store, provider, bus), policy=policy, clock=clock
    )  # type: ignore[arg-type]

    for _ in range(6):  # 30 references, 5 a tick: each asked once, none twice
        await reconciler.tick()
    assert sorted(provider.searched) == sorted(o.code for o in orders)
    assert set(provider.searched.values()) == {1}
    await reconciler.tick()  # nothing is due again before its interval
    assert sum(provider.searched.values()) == 30

    # A buyer pays (no webhook reaches us): found once the order's interval has passed.
    links = LinkService(store, provider, bus, store_name="S")  # type: ignore[arg-type]
    target = orders[17]
    request = links._order_request(target)
    link = await asyncio.to_thread(provider.inner.create_link, request)
    sandbox.mercadopago.pay(sandbox.mercadopago.preferences[link.preference_id])
    clock.now += policy.young_every
    found = []
    for _ in range(6):
        found += await reconciler.tick()
    assert [(o.kind, o.order.code if o.order else None) for o in found] == [
        (OutcomeKind.ORDER_PAID, target.code)
    ]
    assert store.get_order(target.code).status is OrderStatus.PAID
    store.close()
