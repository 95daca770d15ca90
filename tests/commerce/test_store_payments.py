"""record_payment: each provider status, repeats, reordering, late and mismatched payments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from store_helpers import BETO, T0, TTL, buy

from commerce.store import Store
from commerce.views import OrderStatus, OutcomeKind, PaymentReport


def report(
    code: str | None,
    status: str = "approved",
    amount: str = "8500",
    currency: str = "ARS",
    payment_id: str = "pay-1",
) -> PaymentReport:
    return PaymentReport("mercadopago", payment_id, status, Decimal(amount), currency, code, {})


@pytest.mark.parametrize("status", ["approved", "authorized"])
def test_approved_pays_a_pending_order(shop: Store, status: str) -> None:
    order = buy(shop, "TAZA", 2)
    outcome = shop.record_payment(report(order.code, status, "17000"), now=T0)
    assert outcome.kind is OutcomeKind.ORDER_PAID
    assert outcome.detail == ""
    assert outcome.order is not None and outcome.tip is None
    assert outcome.order.status is OrderStatus.PAID
    assert outcome.order.paid_at == T0
    taza = shop.get_product("TAZA")
    assert (taza.stock, taza.available) == (5, 3)


def test_repeated_webhooks_change_nothing(shop: Store) -> None:
    order = buy(shop, "TAZA", 2)
    first = shop.record_payment(report(order.code, amount="17000"), now=T0)
    for _ in range(3):
        again = shop.record_payment(report(order.code, amount="17000"), now=T0 + TTL)
        assert again.kind is OutcomeKind.DUPLICATE
        assert again.order == first.order
    shop.fulfill_order(order.code)
    assert shop.record_payment(report(order.code, amount="17000")).kind is OutcomeKind.DUPLICATE
    assert shop.get_order(order.code).status is OrderStatus.FULFILLED
    assert shop.get_product("TAZA").available == 3


@pytest.mark.parametrize(
    "status", ["pending", "in_process", "in_mediation", "rejected", "cancelled", "weird"]
)
def test_unpaid_statuses_leave_the_order_pending(shop: Store, status: str) -> None:
    order = buy(shop)
    outcome = shop.record_payment(report(order.code, status))
    assert outcome.kind is OutcomeKind.NOT_PAID
    assert outcome.order == shop.get_order(order.code)
    assert outcome.order is not None and outcome.order.status is OrderStatus.PENDING
    # the buyer may retry with another payment until the order expires
    retry = shop.record_payment(report(order.code, payment_id="pay-2"))
    assert retry.kind is OutcomeKind.ORDER_PAID


def test_rejected_then_approved_for_the_same_payment(shop: Store) -> None:
    order = buy(shop)
    shop.record_payment(report(order.code, "in_process"))
    assert shop.record_payment(report(order.code, "approved")).kind is OutcomeKind.ORDER_PAID
    # a stale "pending" arriving late cannot undo it
    assert shop.record_payment(report(order.code, "pending")).kind is OutcomeKind.DUPLICATE
    assert shop.get_order(order.code).status is OrderStatus.PAID


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("8499.99", "ARS"), ("8500.01", "ARS"), ("85", "ARS"), ("8500", "USD"), ("8500", "CLP")],
)
def test_mismatch_changes_nothing(shop: Store, amount: str, currency: str) -> None:
    order = buy(shop)
    outcome = shop.record_payment(report(order.code, amount=amount, currency=currency))
    assert outcome.kind is OutcomeKind.MISMATCH
    assert shop.get_order(order.code) == order
    assert shop.get_product("TAZA").available == 4
    again = shop.record_payment(report(order.code, amount=amount, currency=currency))
    assert again.kind is OutcomeKind.MISMATCH
    assert shop.get_order(order.code).status is OrderStatus.PENDING


def test_a_mismatched_report_does_not_count_later(shop: Store) -> None:
    order = buy(shop)
    shop.record_payment(report(order.code, "approved", amount="1"))
    assert shop.record_payment(report(order.code, "pending")).kind is OutcomeKind.NOT_PAID
    assert shop.get_order(order.code).status is OrderStatus.PENDING
    assert shop.record_payment(report(order.code, "approved")).kind is OutcomeKind.ORDER_PAID


@pytest.mark.parametrize("amount", ["8500.000", "8500", "8500.0"])
def test_the_same_amount_written_differently_pays(shop: Store, amount: str) -> None:
    order = buy(shop)
    outcome = shop.record_payment(report(order.code, amount=amount))
    assert outcome.kind is OutcomeKind.ORDER_PAID


@pytest.mark.parametrize("amount", ["8499.995", "8500.004", "8500.0000001", "8499.9999999"])
def test_an_amount_that_only_rounds_to_the_price_does_not_pay(shop: Store, amount: str) -> None:
    """The exact reported amount counts: 8499.995 ARS is not 8500, whatever rounding says."""
    order = buy(shop)
    outcome = shop.record_payment(report(order.code, amount=amount))
    assert outcome.kind is OutcomeKind.MISMATCH
    assert shop.get_order(order.code).status is OrderStatus.PENDING
    assert shop.get_product("TAZA").available == 4
    # A float from JSON goes through Decimal(str(x)) and is held to the same rule.
    floated = PaymentReport(
        "mercadopago",
        "pay-f",
        "approved",
        float(amount),
        "ARS",
        order.code,
        {},  # type: ignore[arg-type]
    )
    assert shop.record_payment(floated).kind is OutcomeKind.MISMATCH
    assert shop.get_order(order.code).status is OrderStatus.PENDING


@pytest.mark.parametrize("reference", [None, "", "NOSUCHCODE"])
def test_unknown_reference_writes_nothing(shop: Store, reference: str | None) -> None:
    order = buy(shop)
    outcome = shop.record_payment(report(reference))
    assert outcome.kind is OutcomeKind.UNKNOWN_REFERENCE
    assert outcome.order is None and outcome.tip is None
    # nothing was written: the same payment id still works for the real order
    assert shop.record_payment(report(order.code)).kind is OutcomeKind.ORDER_PAID


def test_reference_is_case_insensitive(shop: Store) -> None:
    order = buy(shop)
    assert shop.record_payment(report(order.code.lower())).kind is OutcomeKind.ORDER_PAID


@pytest.mark.parametrize("reversal", ["refunded", "charged_back"])
def test_refund_after_payment_returns_stock_once(shop: Store, reversal: str) -> None:
    order = buy(shop, "TAZA", 2)
    shop.record_payment(report(order.code, amount="17000"))
    outcome = shop.record_payment(report(order.code, reversal, "17000"))
    assert outcome.kind is OutcomeKind.REFUNDED
    assert outcome.order is not None and outcome.order.status is OrderStatus.REFUNDED
    assert shop.get_product("TAZA").available == 5
    assert shop.record_payment(report(order.code, reversal, "17000")).kind is (
        OutcomeKind.DUPLICATE
    )
    assert shop.get_product("TAZA").available == 5


@pytest.mark.parametrize("reversal", ["refunded", "charged_back"])
def test_a_reversal_after_delivery_never_restocks(shop: Store, reversal: str) -> None:
    """DESIGN: a chargeback or refund after delivery never restocks (the unit left)."""
    delivered, kept = buy(shop), buy(shop, viewer=BETO)
    for code, payment_id in ((delivered.code, "pay-1"), (kept.code, "pay-2")):
        shop.record_payment(report(code, payment_id=payment_id))
    shop.fulfill_order(delivered.code)
    assert shop.get_product("TAZA").available == 3
    outcome = shop.record_payment(report(delivered.code, reversal))
    assert outcome.kind is OutcomeKind.REFUNDED
    assert shop.get_order(delivered.code).status is OrderStatus.REFUNDED
    assert shop.get_product("TAZA").available == 3
    assert shop.record_payment(report(delivered.code, reversal)).kind is OutcomeKind.DUPLICATE
    assert shop.get_product("TAZA").available == 3
    # Not delivered yet: the unit is still here and goes back on sale.
    shop.record_payment(report(kept.code, reversal, payment_id="pay-2"))
    assert shop.get_order(kept.code).status is OrderStatus.REFUNDED
    assert shop.get_product("TAZA").available == 4


def test_provider_refund_after_owner_refund_is_a_duplicate(shop: Store) -> None:
    order = buy(shop)
    shop.record_payment(report(order.code))
    shop.refund_order(order.code)
    assert shop.record_payment(report(order.code, "refunded")).kind is OutcomeKind.DUPLICATE
    assert shop.get_product("TAZA").available == 5


def test_approved_after_refunded_leaves_it_refunded(shop: Store) -> None:
    """Deliveries out of order end where in-order deliveries end."""
    in_order = buy(shop, "TAZA", 1)
    shop.record_payment(report(in_order.code, "approved", payment_id="a"))
    shop.record_payment(report(in_order.code, "refunded", payment_id="a"))

    reordered = buy(shop, "TAZA", 1, viewer=BETO)
    first = shop.record_payment(report(reordered.code, "refunded", payment_id="b"))
    assert first.kind is OutcomeKind.REFUNDED
    late = shop.record_payment(report(reordered.code, "approved", payment_id="b"))
    assert late.kind is OutcomeKind.DUPLICATE
    for code in (in_order.code, reordered.code):
        assert shop.get_order(code).status is OrderStatus.REFUNDED
    assert shop.get_product("TAZA").available == 5


def test_late_payment_is_re_reserved_when_stock_allows(shop: Store) -> None:
    order = buy(shop, "TAZA", 2)
    shop.expire_due(now=T0 + TTL)
    outcome = shop.record_payment(report(order.code, amount="17000"), now=T0 + timedelta(hours=1))
    assert outcome.kind is OutcomeKind.ORDER_PAID
    assert outcome.detail == "late"
    assert outcome.order is not None and outcome.order.status is OrderStatus.PAID
    assert not outcome.order.needs_refund
    assert shop.get_product("TAZA").available == 3
    assert shop.record_payment(report(order.code, amount="17000")).kind is OutcomeKind.DUPLICATE
    assert shop.get_product("TAZA").available == 3


def test_late_payment_for_a_cancelled_variant_order(shop: Store) -> None:
    order = buy(shop, "REM", 1, "talle=L")
    shop.cancel_order(order.code)
    outcome = shop.record_payment(report(order.code, amount="16500"))
    assert (outcome.kind, outcome.detail) == (OutcomeKind.ORDER_PAID, "late")
    assert shop.get_product("REM").variants[1].available == 1


def test_late_payment_without_stock_needs_refund(shop: Store) -> None:
    order = buy(shop, "TAZA", 2)
    shop.expire_due(now=T0 + TTL)
    buy(shop, "TAZA", 4, viewer=BETO)  # only 1 left now
    outcome = shop.record_payment(report(order.code, amount="17000"))
    assert outcome.kind is OutcomeKind.REFUND_NEEDED
    assert outcome.order is not None
    assert outcome.order.status is OrderStatus.EXPIRED
    assert outcome.order.needs_refund is True
    assert shop.get_product("TAZA").available == 1  # the partial re-reserve rolled back
    assert shop.record_payment(report(order.code, amount="17000")).kind is OutcomeKind.DUPLICATE
    assert shop.get_order(order.code).needs_refund is True
    # the owner refunds it through MercadoPago: the flag clears, nothing else moves
    done = shop.record_payment(report(order.code, "refunded", "17000"))
    assert (done.kind, done.detail) == (OutcomeKind.REFUNDED, "refund_done")
    assert done.order is not None and not done.order.needs_refund
    assert done.order.status is OrderStatus.EXPIRED
    assert shop.get_product("TAZA").available == 1


def test_paying_twice_flags_the_second_payment(shop: Store) -> None:
    order = buy(shop)
    shop.record_payment(report(order.code, payment_id="first"))
    outcome = shop.record_payment(report(order.code, payment_id="second"))
    assert (outcome.kind, outcome.detail) == (OutcomeKind.REFUND_NEEDED, "already_paid")
    assert outcome.order is not None and outcome.order.status is OrderStatus.PAID
    assert shop.get_product("TAZA").available == 4
    # refunding the extra payment leaves the sale standing
    refund = shop.record_payment(report(order.code, "refunded", payment_id="second"))
    assert refund.kind is OutcomeKind.REFUNDED
    assert refund.order is not None and refund.order.status is OrderStatus.PAID
    assert not refund.order.needs_refund
    assert shop.get_product("TAZA").available == 4


def test_one_payment_cannot_pay_two_references(shop: Store) -> None:
    a = buy(shop)
    b = buy(shop, viewer=BETO)
    shop.record_payment(report(a.code, payment_id="same"))
    outcome = shop.record_payment(report(b.code, payment_id="same"))
    assert outcome.kind is OutcomeKind.MISMATCH
    assert shop.get_order(b.code).status is OrderStatus.PENDING
