"""What an outgoing webhook says: one JSON object per event, versioned, with little personal data.

The shape is documented in docs/webhooks.md, field by field; `VERSION` goes up only when a
field changes meaning or goes away (new fields may appear at any version). Money is a
string with the currency's decimals ("15000.00"), so a spreadsheet or a script never meets
a float. Times are ISO 8601 in UTC.

Personal data stays in the store: no buyer's name, chat user id, contact, address or tip
message goes out. A buyer is `{"platform": "twitch", "ref": "b_…"}`: `ref` is the same for
the same viewer in every event to one webhook (so a sheet can count repeat buyers) and
different at each webhook (it is keyed by that webhook's secret); it cannot be turned back
into a user id. The channel is left out too: on Telegram a private chat's id is the
buyer's own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from bots.runtime.events import (
    Event,
    OrderExpired,
    OrderPaid,
    OrderRefunded,
    OrderReserved,
    RefundNeeded,
    StockChanged,
    TipReceived,
)
from commerce.money import EXPONENTS, Money
from commerce.views import OrderView, ProductView, TipView, ViewerRef

VERSION = 1
TEST_EVENT = "webhook.test"

#: The event names an owner may ask for in `[[webhooks]] events`, and what they mean.
EVENT_TYPES: dict[str, str] = {
    "order.reserved": "a viewer reserved stock (a new order, or more added to their cart)",
    "order.paid": "an order's payment was approved",
    "order.expired": "a reservation lapsed unpaid and its stock went back on sale",
    "order.refunded": "a paid order was refunded or charged back",
    "order.refund_needed": "a payment the order cannot keep: the owner must refund it",
    "tip.received": "a tip was paid (link, Bits or Super Chat)",
    "stock.changed": "the owner changed a product's stock (chat, panel)",
}


def event_type(event: Event) -> str | None:
    """The webhook name of a store event; None for events webhooks do not carry."""
    match event:
        case OrderReserved():
            return "order.reserved"
        case OrderPaid():
            return "order.paid"
        case OrderExpired():
            return "order.expired"
        case OrderRefunded():
            return "order.refunded"
        case RefundNeeded():
            return "order.refund_needed"
        case TipReceived():
            return "tip.received"
        case StockChanged():
            return "stock.changed"
    return None


def body(
    event: Event | None,
    kind: str,
    *,
    event_id: str,
    created: datetime,
    store_name: str,
    secret: str,
) -> str:
    """The exact JSON text sent for `event` (None: the test event) to the webhook whose
    secret is `secret`."""
    document = {
        "id": event_id,
        "type": kind,
        "version": VERSION,
        "created_at": _when(created),
        "store": store_name,
        "data": _data(event, secret),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _data(event: Event | None, secret: str) -> dict[str, Any]:
    match event:
        case None:
            return {"message": "Vivo test event: if you can read this, the webhook works."}
        case OrderPaid(order=order, late=late):
            return {"order": _order(order, secret), "late": late}
        case RefundNeeded(order=order, reason=reason, amount=amount):
            return {
                "order": _order(order, secret),
                "reason": reason,
                "amount_paid": _money(amount) if amount is not None else None,
            }
        case OrderReserved(order=order) | OrderExpired(order=order) | OrderRefunded(order=order):
            return {"order": _order(order, secret)}
        case TipReceived(tip=tip):
            return {"tip": _tip(tip, secret)}
        case StockChanged(product=product):
            return {"product": _product(product)}
    raise ValueError(f"webhooks do not carry {type(event).__name__}")


def buyer_ref(viewer: ViewerRef, secret: str) -> dict[str, str]:
    digest = hmac.new(
        secret.encode(), f"buyer:{viewer.platform}:{viewer.user_id}".encode(), hashlib.sha256
    )
    return {"platform": viewer.platform, "ref": "b_" + digest.hexdigest()[:20]}


def _order(order: OrderView, secret: str) -> dict[str, Any]:
    return {
        "code": order.code,
        "status": order.status.value,
        "platform": order.platform,
        "buyer": buyer_ref(order.viewer, secret),
        "lines": [
            {
                "sku": line.sku,
                "name": line.product_name,
                "variant": line.variant_key,
                "quantity": line.quantity,
                "unit_price": _amount(line.unit_price),
                "subtotal": _amount(line.subtotal),
            }
            for line in order.lines
        ],
        "total": _money(order.total),
        "revision": order.revision,
        "needs_refund": order.needs_refund,
        "created_at": _when(order.created_at),
        "expires_at": _when(order.expires_at),
        "paid_at": _when(order.paid_at) if order.paid_at else None,
    }


def _tip(tip: TipView, secret: str) -> dict[str, Any]:
    return {
        "code": tip.code,
        "status": tip.status.value,
        "source": tip.source.value,
        "platform": tip.platform,
        "buyer": buyer_ref(tip.viewer, secret),
        "amount": _money(tip.amount),
        "created_at": _when(tip.created_at),
        "paid_at": _when(tip.paid_at) if tip.paid_at else None,
    }


def _product(product: ProductView) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "active": product.active,
        "price": _money(product.price),
        "stock": product.stock,
        "available": product.available,
        "variants": [
            {
                "key": v.key,
                "price": _amount(v.price),
                "stock": v.stock,
                "available": v.available,
            }
            for v in product.variants
        ],
    }


def _amount(money: Money) -> str:
    exponent = EXPONENTS.get(money.currency)
    return str(money.amount) if exponent is None else f"{money.amount:.{exponent}f}"


def _money(money: Money) -> dict[str, str]:
    return {"amount": _amount(money), "currency": money.currency}


def _when(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
