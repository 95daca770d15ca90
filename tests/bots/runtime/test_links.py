"""Payment links through the real SDK and the stand-in, when MercadoPago is slow or down.

The buyer hears "your link is on its way" at once, gets the link when the API recovers,
and a retry never creates a second preference.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bots.runtime.events import Event, EventBus, LinkReady
from bots.runtime.links import LinkPolicy, LinkService
from bots.testing import RecordingAdapter, open_stage, until
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig

TOKEN = "TEST-links"
SECRET = "links-secret"
FAST = LinkPolicy(wait_seconds=0.5, first_retry=0.05, max_retry=0.2)
# For tests of what a link holds, not of the wait: a first link in a busy test process has
# taken over 0.5 s.
PATIENT = LinkPolicy(wait_seconds=10.0, first_retry=0.05, max_retry=0.2)


@dataclass
class Rig:
    store: Store
    sandbox: Sandbox
    provider: MercadoPagoProvider
    links: LinkService
    events: list[Event]

    def preferences_for(self, code: str) -> list[dict[str, object]]:
        return [
            p
            for p in self.sandbox.mercadopago.preferences.values()
            if p.get("external_reference") == code
        ]


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store.migrate()
    store.sync_catalog(
        [ProductSpec(sku="TAZA", name="Taza", price=Decimal("8500"), currency="ARS", stock=5)]
    )
    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN))
    await sandbox.start()
    provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox.url}/mercadopago", timeout=5)
    bus = EventBus()
    events: list[Event] = []

    async def listen(event: Event) -> None:
        events.append(event)

    bus.subscribe(listen)
    links = LinkService(store, provider, bus, store_name="Test", policy=FAST)
    try:
        yield Rig(store, sandbox, provider, links, events)
    finally:
        await links.stop()
        await sandbox.stop()
        store.close()


def reserve(rig: Rig) -> OrderView:
    return rig.store.reserve(
        ViewerRef("test", "ana", "ana"), "c", [LineRequest("TAZA", 1)], ttl=timedelta(minutes=15)
    )


async def test_a_healthy_api_gives_the_checkout_link_at_once(rig: Rig) -> None:
    rig.links.policy = PATIENT
    order = reserve(rig)
    url = await rig.links.for_order(order)
    [preference] = rig.preferences_for(order.code)
    assert url == preference["init_point"]
    assert rig.store.get_order(order.code).payment_url == url
    assert rig.events == []


async def test_an_outage_delays_the_link_and_delivers_it_after_recovery(rig: Rig) -> None:
    rig.sandbox.mercadopago.set_faults(error_rate=1.0, seed=7)
    order = reserve(rig)
    assert await rig.links.for_order(order) is None
    await asyncio.sleep(0.3)  # a few retries fail meanwhile
    assert rig.preferences_for(order.code) == []
    assert rig.store.get_order(order.code).payment_url is None

    rig.sandbox.mercadopago.set_faults(error_rate=0.0)
    await until(lambda: rig.events)
    [event] = rig.events
    assert isinstance(event, LinkReady) and event.order is not None
    assert event.order.code == order.code
    [preference] = rig.preferences_for(order.code)
    assert event.url == preference["init_point"]
    assert rig.store.get_order(order.code).payment_url == event.url


async def test_a_slow_api_never_makes_two_preferences(rig: Rig) -> None:
    rig.sandbox.mercadopago.set_faults(latency_ms=1200)
    order = reserve(rig)
    assert await rig.links.for_order(order) is None  # gave up waiting after 0.5 s
    await until(lambda: rig.events)
    assert len(rig.preferences_for(order.code)) == 1
    await asyncio.sleep(0.5)
    assert len(rig.events) == 1 and len(rig.preferences_for(order.code)) == 1


async def test_the_bot_keeps_answering_while_links_wait(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat], poll_payments=False) as stage:
        bot, store, sandbox = stage.bot, stage.store, stage.sandbox
        bot.links.policy = FAST
        sandbox.mercadopago.set_faults(error_rate=1.0, seed=3)
        await chat.say("ana", "!comprar taza")
        await chat.say("beto", "!tienda")
        await bot.outboxes["rec"].drain()
        to_ana = [r.text for r in chat.sent if r.mention and r.mention.id == "ana"]
        delayed = bot.messages.t("es", "link_delayed", name="ana")
        assert delayed in to_ana
        assert any(r.mention and r.mention.id == "beto" and "Taza" in r.text for r in chat.sent)
        [order] = store.viewer_orders("rec", "ana")
        assert order.payment_url is None

        sandbox.mercadopago.set_faults(error_rate=0.0)
        await until(lambda: any(r.private for r in chat.sent))
        await bot.wait_idle(quiet=0.2)
        url = store.get_order(order.code).payment_url
        assert url is not None
        links = [r for r in chat.sent if r.private and url in r.text]
        assert len(links) == 1 and links[0].mention is not None
        assert links[0].mention.id == "ana"


def _total(preference: dict[str, object]) -> Decimal:
    items = preference["items"]
    assert isinstance(items, list)
    return sum((Decimal(str(i["unit_price"])) * i["quantity"] for i in items), Decimal(0))


async def test_a_grown_cart_gets_a_new_preference_for_its_new_total(rig: Rig) -> None:
    first = reserve(rig)
    old_url = await rig.links.for_order(first)
    grown = reserve(rig)
    assert grown.code == first.code and grown.payment_url is None
    new_url = await rig.links.for_order(grown)
    assert new_url is not None and new_url != old_url
    preferences = rig.preferences_for(first.code)
    assert sorted(_total(p) for p in preferences) == [Decimal("8500"), Decimal("17000")]
    current = rig.store.get_order(first.code)
    assert current.payment_url == new_url
    [newest] = [p for p in preferences if p["id"] == current.preference_id]
    assert _total(newest) == Decimal("17000")


async def test_a_link_made_while_the_cart_grew_is_replaced_by_one_for_the_new_total(
    rig: Rig,
) -> None:
    # a slow API, so the cart surely grows while the first preference is on its way
    rig.sandbox.mercadopago.set_faults(latency_ms=1000)
    rig.links.policy = PATIENT  # the buyer waits for it: the delayed path is another test's
    first = reserve(rig)
    making = asyncio.ensure_future(rig.links.for_order(first))
    await asyncio.sleep(0.1)
    grown = await asyncio.to_thread(reserve, rig)
    url = await making
    current = rig.store.get_order(first.code)
    assert url is not None and url == current.payment_url
    [made] = [p for p in rig.preferences_for(first.code) if p["id"] == current.preference_id]
    assert _total(made) == grown.total.amount == Decimal("17000")
    assert len(rig.preferences_for(first.code)) == 2  # the first one is kept as superseded
    payment = rig.sandbox.mercadopago.pay(
        next(p for p in rig.preferences_for(first.code) if p["id"] != current.preference_id),
        status="approved",
    )
    report = await asyncio.to_thread(rig.provider.fetch_payment, str(payment["id"]))
    outcome = await asyncio.to_thread(rig.store.record_payment, report)
    assert outcome.detail == "superseded" and outcome.order is not None
    assert outcome.order.needs_refund


async def test_a_delayed_link_is_made_for_what_the_cart_holds_when_it_comes(rig: Rig) -> None:
    rig.sandbox.mercadopago.set_faults(error_rate=1.0, seed=5)
    first = reserve(rig)
    assert await rig.links.for_order(first) is None
    grown = reserve(rig)
    assert await rig.links.for_order(grown) is None  # the same retry carries on
    rig.sandbox.mercadopago.set_faults(error_rate=0.0)
    await until(lambda: rig.events)
    [event] = rig.events
    assert isinstance(event, LinkReady) and event.order is not None
    [preference] = rig.preferences_for(first.code)
    assert _total(preference) == Decimal("17000")
    assert event.url == preference["init_point"] == rig.store.get_order(first.code).payment_url


async def test_shipping_is_one_more_item_of_the_preference(rig: Rig) -> None:
    from commerce.delivery import DeliveryRules, ShippingOption
    from commerce.views import DeliveryDetails

    rules = DeliveryRules(shipping=(ShippingOption("correo", "Correo", Decimal("3500")),))
    order = reserve(rig)
    details = DeliveryDetails(
        name="Ana",
        contact="ana@mail.com",
        street="Calle 1",
        city="X",
        province="Y",
        postal_code="1000",
    )
    shipped = rig.store.set_delivery_details(order.code, rules, "correo", details)
    assert await rig.links.for_order(shipped) is not None
    [preference] = rig.preferences_for(order.code)
    items = preference["items"]
    assert isinstance(items, list)
    assert [(i["id"], i["title"], Decimal(str(i["unit_price"]))) for i in items] == [
        ("TAZA", "Taza", Decimal("8500")),
        ("shipping", "Envío", Decimal("3500")),
    ]
    assert _total(preference) == Decimal("12000")
