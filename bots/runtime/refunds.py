"""Giving a buyer's money back: `vivo orders refund CODE [--amount]`.

The refund goes through the provider's refunds API first; the store only follows what the
provider then reports, through the same `record_payment` a webhook uses, so a refund
done here, one done in MercadoPago's own panel and a chargeback all end the same way: a
full refund moves the order to refunded, once, and returns its units to stock unless the
order was delivered (those units left with the buyer).

A partial refund leaves the payment approved at MercadoPago (status_detail
`partially_refunded`), so the order stays paid: the owner kept the sale and gave part of
the money back. The payment's refunds are kept in its recorded raw data. An amount finer
than the currency's smallest unit (0.005 ARS, 100.5 CLP) is refused, never rounded: the
owner must see exactly what goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bots.runtime.retry import Backoff, retry_sync
from commerce.money import exponent, quantize
from commerce.payments.base import PaymentProvider
from commerce.store import Store
from commerce.views import OrderView, PaymentOutcome, PaymentView

REFUND_BACKOFF = Backoff(attempts=5, first=0.5, max_delay=8.0)


class RefundProblem(Exception):
    """The refund cannot be made as asked; the message tells the owner why."""


@dataclass(frozen=True, slots=True)
class RefundResult:
    order: OrderView
    payment_id: str
    refunded: Decimal  # the amount asked for, or the whole payment
    provider_status: str  # the payment's status at the provider afterwards
    outcome: PaymentOutcome
    partial: bool = False  # part of the money went back; the rest stays with the owner


def refund_order(
    store: Store,
    provider: PaymentProvider,
    code: str,
    amount: Decimal | None = None,
    *,
    backoff: Backoff = REFUND_BACKOFF,
) -> RefundResult:
    """Refund an order's payment in full (amount None) or in part, and record the result."""
    order = store.get_order(code)
    currency = order.total.currency
    if amount is not None and (not amount.is_finite() or quantize(amount, currency) != amount):
        unit = Decimal(1).scaleb(-exponent(currency))
        raise RefundProblem(
            f"{amount} {currency} is finer than the smallest unit of {currency}, {unit}"
        )
    payment = _payment_to_refund(store, provider, order, backoff)
    if amount is not None:
        if not Decimal(0) < amount <= payment.amount:
            raise RefundProblem(f"the amount must be above 0 and at most {payment.amount}")
        if amount == payment.amount:
            amount = None
    refunded = payment.amount if amount is None else amount
    key = f"vivo-refund-{payment.provider_payment_id}-full"
    if amount is not None:
        # A second partial refund of the same amount is a new refund, not a retry: count.
        current = retry_sync(lambda: provider.fetch_payment(payment.provider_payment_id), backoff)
        done = len(current.raw.get("refunds") or [])
        key = f"vivo-refund-{payment.provider_payment_id}-{done + 1}-{amount}"
    report = retry_sync(
        lambda: provider.refund(payment.provider_payment_id, amount, idempotency_key=key),
        backoff,
        what=f"refunding payment {payment.provider_payment_id}",
    )
    outcome = store.record_payment(report)
    return RefundResult(
        order=store.get_order(order.code),
        payment_id=payment.provider_payment_id,
        refunded=refunded,
        provider_status=report.status,
        outcome=outcome,
        partial=amount is not None and report.status != "refunded",
    )


def _payment_to_refund(
    store: Store, provider: PaymentProvider, order: OrderView, backoff: Backoff
) -> PaymentView:
    """The payment that must go back: the flagged one when the order needs a refund (paid
    too late or twice), else the one that paid it. Asks the provider when none is known."""
    wanted = "refund_needed" if order.needs_refund else "paid"
    found = [p for p in store.payments_for(order.code) if p.effect == wanted]
    if not found:
        reports = retry_sync(lambda: provider.search_by_reference(order.code), backoff)
        for report in reports:
            store.record_payment(report)
        order = store.get_order(order.code)
        wanted = "refund_needed" if order.needs_refund else "paid"
        found = [p for p in store.payments_for(order.code) if p.effect == wanted]
    if not found:
        raise RefundProblem(
            f"order {order.code} is {order.status.value} and has no payment to refund"
        )
    return found[0]
