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
