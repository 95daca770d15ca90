"""The payment lifecycle: a buyer pays a preference, statuses change, each change announced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.mercadopago.payloads import COLLECTOR_ID, STATUS_DETAIL, _iso, _now
from sandbox.mercadopago.webhooks import Webhooks


class Payments(Webhooks):
    """Creating payments and moving them between statuses."""

    def pay(
        self,
        preference: dict[str, Any],
        *,
        status: str = "approved",
        amount: Decimal | None = None,
        currency: str | None = None,
        status_detail: str | None = None,
        payer: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a buyer's payment for `preference` and announce it by webhook.

        `payer` overrides the payer's documented fields (`email`, `first_name`,
        `last_name`): what the buyer typed on MercadoPago's checkout."""
        items = preference["items"]
        total = sum((Decimal(str(i["unit_price"])) * i["quantity"] for i in items), Decimal(0))
        amount = total if amount is None else amount
        now = _iso(_now())
        payment: dict[str, Any] = {
            "id": next(self._payment_ids),
            "date_created": now,
            "date_approved": now if status == "approved" else None,
            "date_last_updated": now,
            "date_of_expiration": None,
            "money_release_date": now if status == "approved" else None,
            "operation_type": "regular_payment",
            "issuer_id": None,
            "payment_method_id": "account_money",
            "payment_type_id": "account_money",
            "status": status,
            "status_detail": status_detail or STATUS_DETAIL.get(status, status),
            "currency_id": currency or items[0].get("currency_id", "ARS"),
            "description": items[0]["title"],
            "live_mode": False,
            "sponsor_id": None,
            "authorization_code": None,
            "collector_id": COLLECTOR_ID,
            "payer": {
                "id": "987654321",
                "email": "comprador@sandbox.test",
                "identification": {"type": "DNI", "number": "12345678"},
                "type": "customer",
            },
            "metadata": {},
            "additional_info": {"items": [dict(item) for item in items]},
            "order": {},
            "external_reference": preference.get("external_reference") or None,
            "transaction_amount": amount,
            "transaction_amount_refunded": Decimal(0),
            "coupon_amount": 0,
            "differential_pricing_id": None,
            "deduction_schema": None,
            "transaction_details": {
                "net_received_amount": amount,
                "total_paid_amount": amount,
                "overpaid_amount": 0,
                "external_resource_url": None,
                "installment_amount": amount,
                "financial_institution": None,
                "payment_method_reference_id": None,
            },
            "fee_details": [],
            "captured": True,
            "binary_mode": False,
            "call_for_authorize_id": None,
            "statement_descriptor": None,
            "installments": 1,
            "card": {},
            "notification_url": preference.get("notification_url"),
            "refunds": [],
            "processing_mode": "aggregator",
            "merchant_account_id": None,
            "acquirer": None,
            "merchant_number": None,
        }
        if payer:
            payment["payer"].update(
                {k: str(v) for k, v in payer.items() if k in ("email", "first_name", "last_name")}
            )
        self._state.payments[payment["id"]] = payment
        self._notify(payment, "payment.created")
        return payment

    def _set_status(self, payment: dict[str, Any], status: str, detail: str | None = None) -> None:
        now = _iso(_now())
        payment["status"] = status
        payment["status_detail"] = detail or STATUS_DETAIL.get(status, status)
        payment["date_last_updated"] = now
        if status == "approved" and payment["date_approved"] is None:
            payment["date_approved"] = now
        if status == "refunded":
            payment["transaction_amount_refunded"] = payment["transaction_amount"]
