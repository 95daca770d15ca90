"""Tips: link tips wait for payment, bits and Super Chats arrive paid and are deduplicated."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from store_helpers import ANA, BETO, T0, TTL

from commerce import errors
from commerce.money import Money
from commerce.store import Store
from commerce.views import OutcomeKind, PaymentReport, TipSource, TipStatus

ARS_500 = Money(Decimal("500"), "ARS")


def pay(
    code: str, status: str = "approved", amount: str = "500", pid: str = "t-1"
) -> PaymentReport:
    return PaymentReport("mercadopago", pid, status, Decimal(amount), "ARS", code)


def test_link_tip_waits_for_payment(store: Store) -> None:
    tip = store.create_tip(
        ANA, "canal", ARS_500, "¡saludos!", TipSource.LINK, ttl=TTL, locale="en", now=T0
    )
    assert (tip.status, tip.source, tip.amount, tip.message) == (
        TipStatus.PENDING,
        TipSource.LINK,
        ARS_500,
        "¡saludos!",
    )
    assert (tip.viewer, tip.locale, tip.created_at, tip.paid_at) == (ANA, "en", T0, None)
    linked = store.set_tip_link(tip.code, "https://pay.example/t", "pref-t")
    assert store.get_tip(tip.code.lower()) == linked
    assert tip.code in store.pending_references(now=T0)
    paid = store.record_payment(pay(tip.code), now=T0 + timedelta(minutes=1))
    assert paid.kind is OutcomeKind.TIP_PAID
    assert paid.order is None and paid.tip is not None
    assert paid.tip.status is TipStatus.PAID
    assert paid.tip.paid_at == T0 + timedelta(minutes=1)
    again = store.record_payment(pay(tip.code))
    assert (again.kind, again.tip) == (OutcomeKind.DUPLICATE, paid.tip)
    assert tip.code not in store.pending_references(now=T0)


def test_tip_payment_checks_amount(store: Store) -> None:
    tip = store.create_tip(ANA, "canal", ARS_500, "", TipSource.LINK, ttl=TTL)
    assert store.record_payment(pay(tip.code, amount="50")).kind is OutcomeKind.MISMATCH
    assert store.record_payment(pay(tip.code, "rejected")).kind is OutcomeKind.NOT_PAID
    assert store.get_tip(tip.code).status is TipStatus.PENDING


def test_tip_expires_and_a_late_payment_still_counts(store: Store) -> None:
    tip = store.create_tip(ANA, "canal", ARS_500, "", TipSource.LINK, ttl=TTL, now=T0)
    store.expire_due(now=T0 + TTL)
    assert store.get_tip(tip.code).status is TipStatus.EXPIRED
    assert tip.code in store.pending_references(now=T0 + TTL)
    late = store.record_payment(pay(tip.code))
    assert late.kind is OutcomeKind.TIP_PAID


def test_tip_refund(store: Store) -> None:
    tip = store.create_tip(ANA, "canal", ARS_500, "", TipSource.LINK, ttl=TTL)
    store.record_payment(pay(tip.code))
    refunded = store.record_payment(pay(tip.code, "refunded"))
    assert refunded.kind is OutcomeKind.REFUNDED
    assert refunded.tip is not None and refunded.tip.status is TipStatus.REFUNDED
    assert store.record_payment(pay(tip.code, "approved")).kind is OutcomeKind.DUPLICATE
    assert store.get_tip(tip.code).status is TipStatus.REFUNDED


@pytest.mark.parametrize("source", [TipSource.BITS, TipSource.SUPERCHAT])
def test_platform_tips_arrive_paid_and_once(store: Store, source: TipSource) -> None:
    usd = Money(Decimal("5"), "USD")
    tip = store.create_tip(ANA, "canal", usd, "gg", source, ttl=TTL, external_id="evt-1", now=T0)
    assert (tip.status, tip.paid_at) == (TipStatus.PAID, T0)
    again = store.create_tip(ANA, "canal", usd, "gg", source, ttl=TTL, external_id="evt-1")
    assert again == tip
    other = store.create_tip(BETO, "canal", usd, "", source, ttl=TTL, external_id="evt-2")
    assert other.code != tip.code
    assert [t.code for t in store.list_tips()] == [other.code, tip.code]
    assert store.pending_references(now=T0) == []


def test_list_tips_newest_first_with_limit(store: Store) -> None:
    codes = [
        store.create_tip(ANA, "c", ARS_500, "", TipSource.LINK, ttl=TTL, now=T0 + timedelta(i)).code
        for i in range(3)
    ]
    assert [t.code for t in store.list_tips()] == codes[::-1]
    assert [t.code for t in store.list_tips(limit=1)] == codes[-1:]


def test_invalid_tips(store: Store) -> None:
    for amount in (Decimal(0), Decimal(-5)):
        with pytest.raises(errors.InvalidAmount):
            store.create_tip(ANA, "c", Money(amount, "ARS"), "", TipSource.LINK, ttl=TTL)
    with pytest.raises(errors.TipNotFound):
        store.get_tip("NOPE")
    with pytest.raises(errors.OrderNotFound):  # TipNotFound is one
        store.set_tip_link("NOPE", "u", "p")
