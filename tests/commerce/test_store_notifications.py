"""Persisted notifications and what the reconciler and refunds read, on both databases."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from store_helpers import BETO, CARLA, DANI, T0, TTL, buy

from commerce.errors import OrderNotFound
from commerce.money import Money
from commerce.store import Store
from commerce.views import PaymentReport, TipSource


def test_notifications_wait_until_finished(store: Store) -> None:
    first = store.add_notification(
        "mercadopago", "payment", "111", verified=True, raw={"body": {"a": 1}}, now=T0
    )
    second = store.add_notification("mercadopago", "payment", "222", verified=False, now=T0)
    assert [(n.id, n.resource_id, n.verified) for n in store.unprocessed_notifications()] == [
        (first, "111", True),
        (second, "222", False),
    ]

    store.notifications_failed([first], "MercadoPago unreachable")
    store.notifications_failed([first], "MercadoPago unreachable")
    assert store.get_notification(first).attempts == 2
    assert store.get_notification(first).processed_at is None

    store.finish_notifications([first], "order_paid", now=T0 + timedelta(seconds=3))
    store.finish_notifications([first], "duplicate")  # a second finish keeps the first
    done = store.get_notification(first)
    assert (done.outcome, done.processed_at) == ("order_paid", T0 + timedelta(seconds=3))
    assert [n.id for n in store.unprocessed_notifications()] == [second]
    assert store.unprocessed_notifications(limit=0) == []


def test_awaiting_payment_lists_pending_and_recently_lapsed(shop: Store) -> None:
    pending = buy(shop, now=T0)
    lapsed = buy(shop, viewer=BETO, now=T0 - timedelta(hours=1))
    cancelled = buy(shop, viewer=CARLA, now=T0)
    shop.cancel_order(cancelled.code)
    ancient = buy(shop, viewer=DANI, now=T0 - timedelta(days=5))
    shop.expire_due(now=T0)
    tip = shop.create_tip(
        BETO, "canal", Money(Decimal("500"), "ARS"), "hola", TipSource.LINK, ttl=TTL, now=T0
    )

    found = {a.code: a for a in shop.awaiting_payment(now=T0)}
    assert set(found) == {pending.code, lapsed.code, cancelled.code, tip.code}
    assert ancient.code not in found
    assert found[pending.code].pending and found[tip.code].pending
    assert not found[lapsed.code].pending and not found[cancelled.code].pending
    assert found[lapsed.code].created_at == T0 - timedelta(hours=1)
    assert (found[tip.code].kind, found[pending.code].kind) == ("tip", "order")


def test_payments_for_an_order(shop: Store) -> None:
    order = buy(shop, now=T0)
    assert shop.payments_for(order.code) == []
    report = PaymentReport("mercadopago", "9001", "approved", Decimal("8500"), "ARS", order.code)
    shop.record_payment(report, now=T0)
    [payment] = shop.payments_for(order.code.lower())
    assert (payment.provider_payment_id, payment.status, payment.effect) == (
        "9001",
        "approved",
        "paid",
    )
    assert payment.amount == Decimal("8500")
    with pytest.raises(OrderNotFound):
        shop.payments_for("NOPE")


def test_rows_in_backoff_are_not_due_and_never_block_younger_ones(store: Store) -> None:
    add = store.add_notification
    failing = [add("mercadopago", "payment", str(n), verified=False, now=T0) for n in range(5)]
    store.notifications_failed(failing, "MercadoPago unreachable", T0 + timedelta(minutes=10))
    fresh = add("mercadopago", "payment", "900", verified=False, now=T0 + timedelta(seconds=1))
    signed = add("mercadopago", "payment", "901", verified=True, now=T0 + timedelta(seconds=2))

    due = store.due_notifications(limit=2, now=T0 + timedelta(seconds=5))
    assert [n.id for n in due] == [signed, fresh]  # the five older ones wait their turn
    assert store.due_notifications(now=T0 + timedelta(seconds=5), exclude=["901"]) == due[1:]
    assert store.next_notification_due() == T0 + timedelta(seconds=1)

    store.finish_notifications([fresh, signed], "order_paid", now=T0 + timedelta(seconds=6))
    assert store.due_notifications(now=T0 + timedelta(minutes=9)) == []
    assert store.next_notification_due() == T0 + timedelta(minutes=10)
    # Once due again, a row that failed less goes first; the oldest breaks ties.
    store.notifications_failed(failing[:1], "again", T0 + timedelta(minutes=10))
    later = [n.id for n in store.due_notifications(now=T0 + timedelta(minutes=10))]
    assert later == [*failing[1:], failing[0]]
    assert store.get_notification(failing[0]).attempts == 2
    assert store.get_notification(failing[0]).next_attempt_at == T0 + timedelta(minutes=10)


def test_given_up_and_refused_rows_leave_the_queue_and_stay_visible(store: Store) -> None:
    add = store.add_notification
    done = add("mercadopago", "payment", "1", verified=True, now=T0)
    refused = add("mercadopago", "payment", "search", verified=False, now=T0)
    dead = add("mercadopago", "payment", "3", verified=True, now=T0)
    retrying = add("mercadopago", "payment", "4", verified=True, now=T0)
    store.finish_notifications([done], "order_paid", now=T0)
    store.finish_notifications([refused], "rejected", now=T0, error="not a payment id")
    store.notifications_failed([dead], "MercadoPago unreachable", T0)
    store.finish_notifications([dead], "gave_up", now=T0)
    store.notifications_failed([retrying], "MercadoPago unreachable", T0 + timedelta(minutes=1))

    assert [n.id for n in store.unprocessed_notifications()] == [retrying]
    problems = store.recent_notifications(problems=True)
    assert [n.id for n in problems] == [retrying, dead, refused]
    assert problems[2].last_error == "not a payment id"
    assert (problems[1].outcome, problems[1].attempts) == ("gave_up", 1)
    assert [n.id for n in store.recent_notifications()] == [retrying, dead, refused, done]
    assert store.next_notification_due() == T0 + timedelta(minutes=1)
    store.finish_notifications([retrying], "order_paid", now=T0)
    assert store.next_notification_due() is None
