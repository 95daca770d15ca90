"""/webhooks/mercadopago end to end: the stand-in pays and notifies, the bot verifies,
persists and acknowledges, then fetches the payment from the API and records it.

A forged, replayed or mismatched notification is shown to change nothing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.runtime.events import Event, EventBus, OrderPaid
from bots.runtime.notifications import NotificationInbox
from bots.runtime.payments import PaymentRecorder
from bots.runtime.retry import Backoff
from bots.testing import pay as pay_in_sandbox
from bots.web.app import build_app
from commerce.payments.base import LinkItem, LinkRequest
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OrderView, ProductSpec, ViewerRef
from sandbox.app import Sandbox, SandboxConfig
from sandbox.mercadopago import sign_notification

VIVO = Path(sys.executable).with_name("vivo")  # the installed console script
SECRET = "webhook-test-secret"
TOKEN = "TEST-webhook-token"


@dataclass
class Rig:
    store: Store
    sandbox: Sandbox
    provider: MercadoPagoProvider
    web_url: str
    events: list[Event]
    inbox: NotificationInbox
    runner: web.AppRunner


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
    recorder = PaymentRecorder(store, provider, bus)
    inbox = NotificationInbox(
        store,
        provider,
        recorder,
        fetch_backoff=Backoff(attempts=2, first=0.01),
        row_backoff=Backoff(first=0.02, max_delay=0.2),
        idle_backoff=Backoff(attempts=1, first=0.05, max_delay=0.2),
    )
    runner = web.AppRunner(build_app(store, provider, recorder, inbox=inbox))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    web_url = f"http://127.0.0.1:{port}"
    sandbox.mercadopago.webhook_url = f"{web_url}/webhooks/mercadopago"
    try:
        yield Rig(store, sandbox, provider, web_url, events, inbox, runner)
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


async def pay(rig: Rig, body: dict[str, Any]) -> dict[str, Any]:
    data = await pay_in_sandbox(rig.sandbox, **body)
    await rig.sandbox.mercadopago.drain()
    await settle(rig)
    return data


async def settle(rig: Rig, rounds: int = 400) -> None:
    """Until every acknowledged notification has been processed (the inbox works after 200)."""
    for _ in range(rounds):
        left = await asyncio.to_thread(rig.store.unprocessed_notifications)
        if not left and not rig.inbox.busy:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"notifications still unprocessed: {left}")


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
        row = (await resp.json())["received"]
    await settle(rig)
    assert rig.store.get_notification(row).outcome == "duplicate"
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


def signed_headers(
    data_id: str, *, secret: str = SECRET, age: timedelta = timedelta(0)
) -> dict[str, str]:
    """Headers the way MercadoPago signs them, built by the stand-in's own implementation."""
    request_id = str(uuid.uuid4())
    ts = str(int((time.time() - age.total_seconds()) * 1000))
    return {
        "x-signature": sign_notification(secret, data_id, request_id, ts),
        "x-request-id": request_id,
    }


async def post_hook(
    rig: Rig, params: dict[str, str], body: object, headers: dict[str, str]
) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{rig.web_url}/webhooks/mercadopago",
            params=params,
            data=json.dumps(body),
            headers=headers,
        )
        return resp.status, await resp.json()


async def test_acknowledged_notification_survives_an_api_outage(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    rig.sandbox.mercadopago.set_faults(error_rate=1.0)  # the API is down; webhooks still go
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{rig.sandbox.url}/_sandbox/mercadopago/pay",
            json={"preference_id": order.preference_id},
        )
        assert resp.status == 201
    await rig.sandbox.mercadopago.drain()
    assert [d["status"] for d in rig.sandbox.mercadopago.deliveries] == [200]  # acknowledged
    for _ in range(200):
        [row] = await asyncio.to_thread(rig.store.unprocessed_notifications)
        if row.attempts >= 2:
            break
        await asyncio.sleep(0.02)
    assert row.attempts >= 2 and row.processed_at is None
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING

    rig.sandbox.mercadopago.set_faults(error_rate=0.0)  # it comes back: nothing was lost
    await settle(rig)
    assert rig.store.get_order(order.code).status is OrderStatus.PAID
    assert rig.store.get_notification(row.id).outcome == "order_paid"
    assert [type(e) for e in rig.events] == [OrderPaid]


async def test_a_restarted_app_resumes_what_was_acknowledged(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    await rig.inbox.stop()  # the process dies right after answering 200
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{rig.sandbox.url}/_sandbox/mercadopago/pay",
            json={"preference_id": order.preference_id},
        )
        assert resp.status == 201
    await rig.sandbox.mercadopago.drain()
    [row] = rig.store.unprocessed_notifications()
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING

    bus = EventBus()
    recorder = PaymentRecorder(rig.store, rig.provider, bus)
    fresh = NotificationInbox(rig.store, rig.provider, recorder)
    runner = web.AppRunner(build_app(rig.store, rig.provider, recorder, inbox=fresh))
    await runner.setup()  # start-up drains the table
    try:
        rig.inbox = fresh
        await settle(rig)
    finally:
        await runner.cleanup()
    assert rig.store.get_order(order.code).status is OrderStatus.PAID
    assert rig.store.get_notification(row.id).outcome == "order_paid"


async def test_other_topics_are_answered_and_dropped(rig: Rig) -> None:
    body = {"type": "merchant_order", "action": "merchant_order.updated", "data": {"id": "77"}}
    status, answer = await post_hook(
        rig, {"data.id": "77", "type": "merchant_order"}, body, signed_headers("77")
    )
    assert (status, answer) == (200, {"ignored": "merchant_order"})
    status, answer = await post_hook(rig, {"topic": "merchant_order", "id": "77"}, {}, {})
    assert (status, answer) == (200, {"ignored": "merchant_order"})
    assert rig.store.unprocessed_notifications() == []


async def test_legacy_ipn_is_only_a_hint_to_ask_the_api(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    rig.sandbox.mercadopago.webhook_url = None
    payment = await pay(rig, {"preference_id": order.preference_id, "status": "rejected"})
    # An unsigned IPN claiming approval: stored, but only the API's answer counts.
    lie = {"topic": "payment", "status": "approved", "transaction_amount": 8500}
    status, answer = await post_hook(rig, {"topic": "payment", "id": str(payment["id"])}, lie, {})
    assert status == 200
    await settle(rig)
    assert rig.store.get_notification(int(str(answer["received"]))).outcome == "not_paid"
    # An id MercadoPago does not know: fetched once, refused, never retried.
    status, answer = await post_hook(rig, {"topic": "payment", "id": "999"}, lie, {})
    await settle(rig)
    assert rig.store.get_notification(int(str(answer["received"]))).outcome == "rejected"
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING
    assert rig.events == []


async def test_a_replayed_delivery_with_an_old_timestamp_is_refused(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    rig.sandbox.mercadopago.webhook_url = None
    payment = await pay(rig, {"preference_id": order.preference_id, "status": "approved"})
    data_id = str(payment["id"])
    body = {"type": "payment", "action": "payment.created", "data": {"id": data_id}}
    params = {"data.id": data_id, "type": "payment"}
    stale = signed_headers(data_id, age=timedelta(minutes=6))
    assert (await post_hook(rig, params, body, stale))[0] == 401
    wrong = signed_headers(data_id, secret="guessed")
    assert (await post_hook(rig, params, body, wrong))[0] == 401
    other = signed_headers("1")  # a valid signature over another id
    assert (await post_hook(rig, params, body, other))[0] == 401
    assert rig.store.unprocessed_notifications() == []
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING
    assert (await post_hook(rig, params, body, signed_headers(data_id)))[0] == 200
    await settle(rig)
    assert rig.store.get_order(order.code).status is OrderStatus.PAID


async def test_refund_news_before_the_approval_ends_refunded(rig: Rig) -> None:
    order = await reserve_with_link(rig)
    mp = rig.sandbox.mercadopago
    mp.set_faults(reorder_webhooks=True, reorder_window_ms=100, duplicate_webhooks=True, seed=3)
    paid = mp.pay(mp.preferences[str(order.preference_id)])
    async with aiohttp.ClientSession() as http:
        resp = await http.post(
            f"{rig.sandbox.url}/_sandbox/mercadopago/payments/{paid['id']}/status",
            json={"status": "refunded"},
        )
        assert resp.status == 200
    await mp.drain()
    await settle(rig)
    assert rig.store.get_order(order.code).status is OrderStatus.REFUNDED
    assert rig.store.get_product("TAZA").available == 3
    assert len(mp.deliveries) == 4


async def run_vivo(*argv: str) -> tuple[int, str, str]:
    """The real `vivo` executable, in its own process."""
    proc = await asyncio.create_subprocess_exec(
        str(VIVO), *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def quiet_inbox(rig: Rig, **options: Any) -> NotificationInbox:
    """An inbox that runs only when the test says (`drain_once`), on the rig's store."""
    recorder = PaymentRecorder(rig.store, rig.provider, EventBus())
    return NotificationInbox(
        rig.store, rig.provider, recorder, fetch_backoff=Backoff(attempts=1), **options
    )


async def test_ids_that_are_not_payment_ids_are_refused_at_the_door(rig: Rig) -> None:
    """`?topic=payment&id=search` fetched a listing, failed forever and starved the inbox."""
    order = await reserve_with_link(rig)
    rig.sandbox.mercadopago.webhook_url = None
    payment = await pay(rig, {"preference_id": order.preference_id, "status": "approved"})
    for bad in ("search", "search?x=1", "-1", "1.5", "1e9", "١٢٣", "0x10", "9" * 21, " 7", ""):
        status, answer = await post_hook(rig, {"topic": "payment", "id": bad}, {}, {})
        assert status == 400, (bad, answer)
    data_id = "search"
    body = {"type": "payment", "action": "payment.created", "data": {"id": data_id}}
    status, _ = await post_hook(
        rig, {"data.id": data_id, "type": "payment"}, body, signed_headers(data_id)
    )
    assert status == 400  # even correctly signed: MercadoPago's payment ids are numbers
    assert rig.store.recent_notifications(500, problems=False) == []

    # A flood of 250 of them, then the real one: it is the only row, processed at once.
    for _ in range(250):
        status, _ = await post_hook(rig, {"topic": "payment", "id": "search"}, {}, {})
        assert status == 400
    status, answer = await post_hook(rig, {"topic": "payment", "id": str(payment["id"])}, {}, {})
    assert status == 200
    await settle(rig)
    assert [n.id for n in rig.store.recent_notifications(500, problems=False)] == [
        answer["received"]
    ]
    assert rig.store.get_order(order.code).status is OrderStatus.PAID


async def test_rows_in_backoff_never_starve_a_younger_notification(rig: Rig) -> None:
    """250 notifications fail during an outage; then a real one arrives. The next drain
    processes the real one and leaves the others waiting out their own backoff."""
    await rig.inbox.stop()
    inbox = quiet_inbox(rig, row_backoff=Backoff(first=600.0, max_delay=600.0), batch=200)
    mp = rig.sandbox.mercadopago
    mp.webhook_url = None
    mp.set_faults(error_rate=1.0)
    flood = []
    for n in range(250):
        status, answer = await post_hook(rig, {"topic": "payment", "id": str(10**9 + n)}, {}, {})
        assert status == 200
        flood.append(int(str(answer["received"])))
    while (await inbox.drain_once())[1]:  # every flooded row fails once, then waits
        pass
    waiting = rig.store.unprocessed_notifications(500)
    assert len(waiting) == 250 and {n.attempts for n in waiting} == {1}

    mp.set_faults(error_rate=0.0)  # the API is back; a buyer pays
    order = await reserve_with_link(rig)
    payment = await pay_in_sandbox(rig.sandbox, preference_id=order.preference_id)
    status, answer = await post_hook(rig, {"topic": "payment", "id": str(payment["id"])}, {}, {})
    assert status == 200
    real = int(str(answer["received"]))
    assert real > max(flood)  # the youngest row, unsigned like the flood

    assert await inbox.drain_once() == (1, 0)
    assert rig.store.get_notification(real).outcome == "order_paid"
    assert rig.store.get_order(order.code).status is OrderStatus.PAID
    left = rig.store.unprocessed_notifications(500)
    assert [n.id for n in left] == flood and {n.attempts for n in left} == {1}


async def test_a_row_that_keeps_failing_is_given_up_and_shown_to_the_owner(
    rig: Rig, tmp_path: Path
) -> None:
    await rig.inbox.stop()
    inbox = quiet_inbox(rig, row_backoff=Backoff(first=0.0, max_delay=0.0), give_up_after=3)
    mp = rig.sandbox.mercadopago
    mp.webhook_url = None
    order = await reserve_with_link(rig)
    payment = await pay(rig, {"preference_id": order.preference_id, "status": "approved"})
    # Rows an older version stored without checking the id: refused on their first try.
    legacy = rig.store.add_notification("mercadopago", "payment", "search", verified=False)
    mp.set_faults(error_rate=1.0)
    status, answer = await post_hook(rig, {"topic": "payment", "id": str(payment["id"])}, {}, {})
    assert status == 200
    failing = int(str(answer["received"]))

    assert await inbox.drain_once() == (1, 1)  # "search" refused; the payment failed once
    assert rig.store.get_notification(legacy).outcome == "rejected"
    assert await inbox.drain_once() == (0, 1)
    assert await inbox.drain_once() == (1, 0)  # the third failure: given up, not retried
    gave_up = rig.store.get_notification(failing)
    assert (gave_up.outcome, gave_up.attempts) == ("gave_up", 3)
    assert gave_up.processed_at is not None and "provider unavailable" in str(gave_up.last_error)
    assert await inbox.drain_once() == (0, 0)
    assert rig.store.unprocessed_notifications() == []
    assert rig.store.get_order(order.code).status is OrderStatus.PENDING  # the poller's job now

    config = tmp_path / "config.toml"
    config.write_text(
        f'[store]\ndatabase_url = "sqlite:///{tmp_path / "store.db"}"\n'
        f'[payments.mercadopago]\naccess_token = "{TOKEN}"\n'
    )
    code, out, err = await run_vivo("payments", "inbox", "-c", str(config))
    assert (code, err) == (0, "")
    [first, second] = out.splitlines()
    assert first.startswith(f"#{failing} ") and f"payment {payment['id']} (unsigned)" in first
    assert "GAVE UP" in first and "attempts: 3" in first and "provider unavailable" in first
    assert second.startswith(f"#{legacy} ") and "rejected" in second
    assert "not a MercadoPago payment id" in second
