"""Money coming in: applying what the payment provider reports, and what awaits payment.

`record_payment` turns one provider payment report into at most one effect per payment
(pay the order or tip, flag a refund, or undo on a refund or chargeback), safe to repeat
and to reorder: a payment's known status only moves up a precedence ladder, and
`Payment.effect` remembers what it already did. A payment for an expired order is never
lost: the units are sold again if stock allows, otherwise the order is flagged for refund.
Nor is a payment of a link an order had before lines were added to it (a superseded link:
same reference, the old total): it is recorded against the order and flagged for refund,
and the order itself stays as it is, waiting for its current link to be paid.
The reconciler's queries (what to poll, what was recorded) live here too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.orm import Session

from commerce import buyers, delivery, errors, rows
from commerce.models import ORDERS, PAYMENTS, SUPERSEDED_LINKS, TIPS, Order, Payment, Tip
from commerce.money import Money
from commerce.view_builders import order_view, payment_view, tip_view
from commerce.views import (
    AwaitingPayment,
    OrderStatus,
    OutcomeKind,
    PaymentOutcome,
    PaymentReport,
    PaymentView,
    TipStatus,
)

# Payment statuses by precedence: a payment's known status only ever moves up this ladder,
# so a late "approved" cannot undo a "refunded" for the same provider payment.
_REVERSED = 3
_APPROVED = 2
_OTHER = 1
_RANK = {"refunded": _REVERSED, "charged_back": _REVERSED, "approved": _APPROVED}
_RANK["authorized"] = _APPROVED

# Payment.effect: what a provider payment already did, so it does each thing once.
_NO_EFFECT = ""
_PAID = "paid"
_REFUND_NEEDED = "refund_needed"
_REFUNDED = "refunded"


def _rank(status: str) -> int:
    return _RANK.get(status, _OTHER)


def _same_money(amount: Decimal, currency: str, expected: Money) -> bool:
    """The provider's amount is exactly what we asked for: never rounded first, so
    8499.995 ARS is not 8500 (8500.00 is)."""
    if currency.upper() != expected.currency:
        return False
    try:
        value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
        return value.is_finite() and value == expected.amount
    except (InvalidOperation, ValueError, TypeError):
        return False


def record_payment(s: Session, report: PaymentReport, at: datetime) -> PaymentOutcome:
    """Apply what the provider says about one payment; safe to repeat and to reorder."""
    reference = (report.external_reference or "").strip().upper()
    order = s.scalars(select(Order).where(ORDERS.c.code == reference)).first()
    tip = None
    if order is None:
        tip = s.scalars(select(Tip).where(TIPS.c.code == reference)).first()
    if order is None and tip is None:
        return PaymentOutcome(OutcomeKind.UNKNOWN_REFERENCE, detail=reference)
    if order is not None:
        # Locked (payment row first, then the order: the store's lock order) before the
        # amount is compared: a cart's total changes when lines join it.
        payment, created = _payment_row(s, report, at, order, tip, mismatch=False)
        order = rows.lock_order(s, order.code)
        expected = Money.from_minor(order.total_minor, order.currency)
        matches = _same_money(report.amount, report.currency, expected)
        superseded = not matches and _superseded_amount(s, order, report)
        matches = matches or superseded
        if created:
            payment.mismatch = not matches
    else:
        assert tip is not None
        expected = Money.from_minor(tip.amount_minor, tip.currency)
        matches = _same_money(report.amount, report.currency, expected)
        superseded = False
        payment, _ = _payment_row(s, report, at, order, tip, mismatch=not matches)
    same_target = payment.order_id == (order.id if order else None) and (
        payment.tip_id == (tip.id if tip else None)
    )
    if not matches or not same_target:
        return _outcome(s, OutcomeKind.MISMATCH, order, tip, "amount_or_reference")
    # A status seen only with a wrong amount never counts toward precedence.
    if payment.mismatch or _rank(report.status) >= _rank(payment.status):
        payment.status = report.status
        payment.raw = buyers.scrub_payment_raw(report.raw)
        payment.mismatch = False
    payment.updated_at = at
    if order is not None:
        if report.payer_name or report.payer_email:
            delivery.record_payer(s, order, report.payer_name or "", report.payer_email or "", at)
        return _apply_to_order(s, payment, order, at, superseded=superseded)
    assert tip is not None
    tip = rows.lock_tip(s, tip.code)
    return _apply_to_tip(s, payment, tip, at)


def _superseded_amount(s: Session, order: Order, report: PaymentReport) -> bool:
    """The payment is for exactly the total of one of the order's superseded links."""
    totals = s.execute(
        select(SUPERSEDED_LINKS.c.total_minor, SUPERSEDED_LINKS.c.currency).where(
            SUPERSEDED_LINKS.c.order_id == order.id
        )
    ).all()
    return any(
        _same_money(report.amount, report.currency, Money.from_minor(total, currency))
        for total, currency in totals
    )


def _payment_row(
    s: Session,
    report: PaymentReport,
    at: datetime,
    order: Order | None,
    tip: Tip | None,
    *,
    mismatch: bool,
) -> tuple[Payment, bool]:
    """The locked Payment row for this provider payment, created on first sight (True)."""
    created = rows.insert_ignore(
        s,
        PAYMENTS,
        {
            "provider": report.provider,
            "provider_payment_id": report.provider_payment_id,
            "status": report.status,
            "amount": str(report.amount),
            "currency": report.currency,
            "reference": report.external_reference,
            "raw": buyers.scrub_payment_raw(report.raw),
            "order_id": order.id if order is not None else None,
            "tip_id": tip.id if tip is not None else None,
            "effect": _NO_EFFECT,
            "mismatch": mismatch,
            "created_at": at,
            "updated_at": at,
        },
        ["provider", "provider_payment_id"],
    )
    payment = s.scalars(
        select(Payment)
        .where(
            PAYMENTS.c.provider == report.provider,
            PAYMENTS.c.provider_payment_id == report.provider_payment_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return payment, created


def _apply_to_order(
    s: Session, payment: Payment, order: Order, at: datetime, *, superseded: bool = False
) -> PaymentOutcome:
    rank = _rank(payment.status)
    if rank == _OTHER:
        return _outcome(s, OutcomeKind.NOT_PAID, order, None, payment.status)
    if payment.effect == _NO_EFFECT:
        if superseded:
            first = _superseded_paid(s, payment, order)
        else:
            first = _approve_order(s, payment, order, at)
        if rank == _APPROVED:
            return first
    elif rank == _APPROVED or payment.effect == _REFUNDED:
        return _outcome(s, OutcomeKind.DUPLICATE, order, None, payment.effect)
    # The payment was reversed (refund or chargeback) after it took effect.
    effect, payment.effect = payment.effect, _REFUNDED
    if effect == _REFUND_NEEDED:
        order.needs_refund = False
        s.flush()
        return _outcome(s, OutcomeKind.REFUNDED, order, None, "refund_done")
    if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
        rows.unsell(s, order)
        return _outcome(s, OutcomeKind.REFUNDED, order, None, payment.status)
    return _outcome(s, OutcomeKind.DUPLICATE, order, None, "already_refunded")


def _superseded_paid(s: Session, payment: Payment, order: Order) -> PaymentOutcome:
    """A payment of an older total of the order: it pays for less than the order holds now,
    so it cannot pay the order; the order stays as it is and the owner must give it back."""
    order.needs_refund = True
    payment.effect = _REFUND_NEEDED
    s.flush()
    return _outcome(s, OutcomeKind.REFUND_NEEDED, order, None, "superseded")


def _approve_order(s: Session, payment: Payment, order: Order, at: datetime) -> PaymentOutcome:
    """The first approval of this payment: pay the order, or flag it for refund."""
    detail = ""
    if order.status == OrderStatus.PENDING:
        rows.move(s, rows.order_targets(s, [order]), reserved=-1, sold=1)
    elif order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        if not rows.sell_again(s, order):
            order.needs_refund = True
            payment.effect = _REFUND_NEEDED
            s.flush()
            return _outcome(s, OutcomeKind.REFUND_NEEDED, order, None, "out_of_stock")
        detail = "late"
    else:
        # Paid twice (or paid after a refund): the owner must give this payment back.
        order.needs_refund = True
        payment.effect = _REFUND_NEEDED
        s.flush()
        return _outcome(s, OutcomeKind.REFUND_NEEDED, order, None, "already_paid")
    order.status = OrderStatus.PAID.value
    order.paid_at = at
    order.paid_by_payment_id = payment.id
    payment.effect = _PAID
    s.flush()
    return _outcome(s, OutcomeKind.ORDER_PAID, order, None, detail)


def _apply_to_tip(s: Session, payment: Payment, tip: Tip, at: datetime) -> PaymentOutcome:
    rank = _rank(payment.status)
    if rank == _OTHER:
        return _outcome(s, OutcomeKind.NOT_PAID, None, tip, payment.status)
    if payment.effect == _NO_EFFECT:
        if tip.status in (TipStatus.PENDING, TipStatus.EXPIRED):
            tip.status = TipStatus.PAID.value
            tip.paid_at = at
            tip.paid_by_payment_id = payment.id
            payment.effect = _PAID
            first = _outcome(s, OutcomeKind.TIP_PAID, None, tip, "")
        else:
            payment.effect = _REFUND_NEEDED
            first = _outcome(s, OutcomeKind.REFUND_NEEDED, None, tip, "already_paid")
        s.flush()
        if rank == _APPROVED:
            return first
    elif rank == _APPROVED or payment.effect == _REFUNDED:
        return _outcome(s, OutcomeKind.DUPLICATE, None, tip, payment.effect)
    effect, payment.effect = payment.effect, _REFUNDED
    if effect == _PAID and tip.status == TipStatus.PAID:
        tip.status = TipStatus.REFUNDED.value
    s.flush()
    return _outcome(s, OutcomeKind.REFUNDED, None, tip, payment.status)


def _outcome(
    s: Session, kind: OutcomeKind, order: Order | None, tip: Tip | None, detail: str
) -> PaymentOutcome:
    return PaymentOutcome(
        kind,
        order=order_view(s, order) if order is not None else None,
        tip=tip_view(s, tip) if tip is not None else None,
        detail=detail,
    )


def payments_for(s: Session, code: str) -> list[PaymentView]:
    """Every provider payment recorded against an order or tip, oldest first."""
    reference = code.strip().upper()
    order = s.scalars(select(Order).where(ORDERS.c.code == reference)).first()
    if order is not None:
        where = PAYMENTS.c.order_id == order.id
    else:
        tip = s.scalars(select(Tip).where(TIPS.c.code == reference)).first()
        if tip is None:
            raise errors.OrderNotFound(code)
        where = PAYMENTS.c.tip_id == tip.id
    found = s.scalars(select(Payment).where(where).order_by(PAYMENTS.c.id)).all()
    return [payment_view(p) for p in found]


def pending_references(s: Session, since: datetime) -> list[str]:
    """Codes a reconciler should poll the provider for: pending orders and tips, plus
    expired ones created since `since` (a late payment must still be found)."""

    def codes(table: Table, pending: str, expired: str) -> list[str]:
        query = (
            select(table.c.code)
            .where(
                or_(
                    table.c.status == pending,
                    and_(table.c.status == expired, table.c.created_at >= since),
                )
            )
            .order_by(table.c.id)
        )
        return [str(c) for c in s.execute(query).scalars()]

    return codes(ORDERS, OrderStatus.PENDING, OrderStatus.EXPIRED) + codes(
        TIPS, TipStatus.PENDING, TipStatus.EXPIRED
    )


def awaiting_payment(s: Session, since: datetime) -> list[AwaitingPayment]:
    """What a reconciler should poll, oldest first: pending orders and tips, plus expired or
    cancelled ones created since `since` (their payment links may still be paid)."""

    def found(table: Table, kind: str, pending: str, late: list[str]) -> list[Any]:
        query = select(table.c.code, table.c.status, table.c.created_at).where(
            or_(
                table.c.status == pending,
                and_(table.c.status.in_(late), table.c.created_at >= since),
            )
        )
        return [
            AwaitingPayment(
                code=str(code),
                kind=kind,
                pending=status == pending,
                created_at=created,  # UTCDateTime makes it aware, Core or ORM
            )
            for code, status, created in s.execute(query)
        ]

    everything = found(
        ORDERS,
        "order",
        OrderStatus.PENDING.value,
        [OrderStatus.EXPIRED.value, OrderStatus.CANCELLED.value],
    ) + found(TIPS, "tip", TipStatus.PENDING.value, [TipStatus.EXPIRED.value])
    return sorted(everything, key=lambda a: a.created_at)
