"""Outgoing webhooks from the whole bot to a real receiver on 127.0.0.1: signed deliveries
that verify, retries through a receiver that was down, a hanging receiver that never holds
up a sale, retries that survive a restart, and giving up a day after the event."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from webhook_receiver import HANG, Receiver, closed_port, receiving

from bots.config import WebhookConfig
from bots.runtime.demo import EXAMPLE
from bots.runtime.events import StockChanged
from bots.runtime.webhook_signing import verify
from bots.runtime.webhooks import DeliveryPolicy, WebhookSender
from bots.testing import RecordingAdapter, Stage, open_stage, until
from commerce.store import Store
from commerce.views import OrderStatus
from commerce.webhooks import DELIVERED, GAVE_UP, PENDING

SECRET = "whsec-test-0123456789abcdef"
BUYER = "zoe-buyer-77"
# Retries a few hundredths of a second apart, and a lease that a stopped bot leaves soon.
FAST = DeliveryPolicy(first_retry=0.05, max_retry=0.2, timeout=5.0, poll=0.2, lease_seconds=0.5)


def hooked(tmp_path: Path, url: str, events: tuple[str, ...] = ("order.reserved",)) -> Path:
    """The example config with one `[[webhooks]]` to `url`."""
    path = tmp_path / "config.toml"
    hook = (
        f'\n[[webhooks]]\nname = "sheet"\nurl = "{url}"\n'
        f'events = {json.dumps(list(events))}\nsecret = "{SECRET}"\n'
    )
    path.write_text(EXAMPLE.read_text(encoding="utf-8") + hook, encoding="utf-8")
    return path


def deliveries(stage: Stage) -> list[Any]:
    return stage.store.recent_webhooks()


def attempts(stage: Stage) -> int:
    return sum(len(tries) for _, tries in deliveries(stage))


async def test_a_purchase_and_its_payment_arrive_signed_and_verify(tmp_path: Path) -> None:
    async with receiving() as receiver:
        config = hooked(tmp_path, receiver.url, ("order.reserved", "order.paid"))
        chat = RecordingAdapter()
        async with open_stage(
            tmp_path, lambda *_: [chat], config_path=config, webhook_policy=FAST
        ) as stage:
            await chat.say(BUYER, "!comprar 2 tazas")
            [order] = stage.store.viewer_orders("rec", BUYER)
            await stage.pay(order.code)
            [paid] = await until(lambda: receiver.of_type("order.paid"))
            [reserved] = receiver.of_type("order.reserved")
            await until(lambda: all(d.state == DELIVERED for d, _ in deliveries(stage)))
    for got in (reserved, paid):
        assert verify(SECRET, got.headers["Vivo-Signature"], got.body)
        assert not verify("another-secret-0123456789", got.headers["Vivo-Signature"], got.body)
        assert not verify(SECRET, got.headers["Vivo-Signature"], got.body + b" ")
        assert got.headers["Content-Type"] == "application/json"
        assert got.json["id"] == got.event_id and got.json["version"] == 1
        assert BUYER not in got.body.decode()  # no buyer's name or user id leaves the store
    assert reserved.event_id != paid.event_id
    body = paid.json
    assert (body["type"], body["store"]) == ("order.paid", "La Tienda de Lu")
    sent = body["data"]["order"]
    assert (sent["code"], sent["status"], sent["platform"]) == (order.code, "paid", "rec")
    assert sent["total"] == {"amount": f"{order.total.amount:.2f}", "currency": "ARS"}
    assert [(line["quantity"], line["sku"]) for line in sent["lines"]] == [(2, "TAZA-01")]
    assert sent["buyer"] == reserved.json["data"]["order"]["buyer"]  # one ref per buyer


async def test_a_receiver_that_was_down_gets_the_event_later(tmp_path: Path) -> None:
    """Refused while nothing listens, then a 500, then it takes it: one event, one id."""
    receiver = Receiver(port=closed_port(), answers=[500])
    config = hooked(tmp_path, receiver.url)
    chat = RecordingAdapter()
    async with open_stage(
        tmp_path, lambda *_: [chat], config_path=config, webhook_policy=FAST
    ) as stage:
        await chat.say(BUYER, "!comprar taza")
        await until(lambda: attempts(stage) >= 2)
        await receiver.start()
        try:
            await until(lambda: deliveries(stage)[0][0].state == DELIVERED)
        finally:
            await receiver.stop()
        [(delivery, tries)] = deliveries(stage)
    assert tries[0].status_code is None and tries[0].error
    assert [t.status_code for t in tries[-2:]] == [500, 200]
    assert tries[-1].error is None and delivery.attempts == len(tries)
    assert {got.event_id for got in receiver.received} == {delivery.event_id}
    assert len({got.body for got in receiver.received}) == 1  # the same bytes, signed anew
    assert all(verify(SECRET, g.headers["Vivo-Signature"], g.body) for g in receiver.received)


async def test_a_hanging_receiver_never_delays_the_reply_or_the_thanks(tmp_path: Path) -> None:
    hanging = DeliveryPolicy(timeout=60.0, concurrency=1, poll=0.2)
    async with receiving(then=HANG) as receiver:
        config = hooked(tmp_path, receiver.url, ("order.reserved", "order.paid"))
        chat = RecordingAdapter()
        async with open_stage(
            tmp_path, lambda *_: [chat], config_path=config, webhook_policy=hanging
        ) as stage:
            await chat.say(BUYER, "!comprar taza")
            await until(lambda: receiver.received)  # the reservation's delivery hangs
            [order] = stage.store.viewer_orders("rec", BUYER)
            await until(lambda: any(order.code in r.text for r in chat.to(BUYER)))
            await stage.pay(order.code)
            thanks = stage.bot.messages.t(
                "es", "order_paid_thanks", name=BUYER, product="Taza del stream", code=order.code
            )
            await until(lambda: any(r.text == thanks for r in chat.to(BUYER)))
            assert stage.store.get_order(order.code).status is OrderStatus.PAID
            # still hanging: nothing answered, the paid event waits its turn (its delivery is
            # written by the webhooks' own listener, which may run after the thanks)
            wanted = {"order.reserved": PENDING, "order.paid": PENDING}
            await until(lambda: {d.event_type: d.state for d, _ in deliveries(stage)} == wanted)
            assert len(receiver.received) == 1
            assert attempts(stage) == 0
            receiver.release.set()  # the bot then stops with no request in flight


async def test_retries_survive_a_restart_of_the_bot(tmp_path: Path) -> None:
    async with receiving(then=500) as receiver:
        config = hooked(tmp_path, receiver.url)
        chat = RecordingAdapter()
        async with open_stage(
            tmp_path, lambda *_: [chat], config_path=config, webhook_policy=FAST
        ) as stage:
            await chat.say(BUYER, "!comprar taza")
            await until(lambda: len(receiver.received) >= 2)
        store = Store(f"sqlite:///{tmp_path / 'demo.db'}")
        try:
            [(waiting, before)] = store.recent_webhooks()
        finally:
            store.close()
        assert waiting.state == PENDING and before

        receiver.then = 200  # the receiver is fixed while the bot is down
        again = RecordingAdapter()
        async with open_stage(
            tmp_path, lambda *_: [again], config_path=config, webhook_policy=FAST
        ) as stage:
            await until(lambda: deliveries(stage)[0][0].state == DELIVERED)
            [(delivery, tries)] = deliveries(stage)
    assert delivery.event_id == waiting.event_id
    assert len(tries) > len(before) and tries[-1].status_code == 200
    assert {got.event_id for got in receiver.received} == {waiting.event_id}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    yield Clock()


async def test_a_delivery_is_given_up_a_day_after_its_event(store: Any, clock: Clock) -> None:
    policy = DeliveryPolicy(poll=0.05)  # the real schedule: 30 s, 1 min … an hour apart
    async with receiving(then=503) as receiver:
        hook = WebhookConfig("sheet", receiver.url, frozenset({"stock.changed"}), SECRET)
        sender = WebhookSender(store, [hook], store_name="t", policy=policy, clock=clock)
        task = asyncio.create_task(sender.run())
        try:
            await sender.on_event(StockChanged(store.get_product("TAZA")))

            def tries() -> int:
                [(_, found)] = store.recent_webhooks()
                return len(found)

            await until(lambda: tries() == 1)
            [(first, _)] = store.recent_webhooks()
            wait = first.next_attempt_at - clock.now
            assert timedelta(seconds=15) <= wait <= timedelta(seconds=30)  # jittered 30 s

            clock.now += timedelta(hours=2)
            await until(lambda: tries() == 2)
            [(second, _)] = store.recent_webhooks()
            assert second.state == PENDING

            clock.now += timedelta(hours=22, minutes=1)  # past a day since the event
            await until(lambda: store.recent_webhooks()[0][0].state == GAVE_UP)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    [(gone, found)] = store.recent_webhooks()
    assert (gone.attempts, len(receiver.received)) == (3, 3)
    assert [a.status_code for a in found] == [503, 503, 503]


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    policy = DeliveryPolicy()
    rng = random.Random(7)
    for failures, base in [(1, 30), (2, 60), (3, 120), (8, 3600), (20, 3600)]:
        waits = [policy.retry_in(failures, rng) for _ in range(50)]
        assert all(base / 2 <= w <= base for w in waits), (failures, min(waits), max(waits))
        assert len(set(waits)) > 1


async def test_deliveries_to_a_removed_webhook_are_given_up(store: Any) -> None:
    from commerce.webhooks import NewDelivery

    store.enqueue_webhooks([NewDelivery("evt_old", "order.paid", "old", "https://x/1", "{}")])
    sender = WebhookSender(store, [], store_name="t", policy=DeliveryPolicy(poll=0.05))
    task = asyncio.create_task(sender.run())  # it keeps watching: the panel may add one
    try:
        await until(lambda: store.recent_webhooks()[0][0].state == GAVE_UP)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    [(delivery, tries)] = store.recent_webhooks()
    assert (delivery.state, tries) == (GAVE_UP, [])
