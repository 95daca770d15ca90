"""MercadoPago objects as its API documents them: Checkout Pro preferences and their rules.

Validating and building preferences, their expiry, the seller's clock and the status
details payments carry. Pure functions and constants: no state, no HTTP.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

PREFIX = "/mercadopago"
COLLECTOR_ID = 1234567890
CLIENT_ID = "6295877106812064"
SITE_ID = "MLA"
ARGENTINA = timezone(timedelta(hours=-3))  # MercadoPago stamps dates in the seller's zone
STATUS_DETAIL = {
    "approved": "accredited",
    "pending": "pending_waiting_payment",
    "authorized": "pending_capture",
    "in_process": "pending_contingency",
    "in_mediation": "in_process",
    "rejected": "cc_rejected_other_reason",
    "cancelled": "by_collector",
    "refunded": "refunded",
    "charged_back": "settled",
}


def _now() -> datetime:
    return datetime.now(ARGENTINA)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _decimal(value: object) -> Decimal | None:
    """A number (JSON ones arrive as Decimal via parse_float) or numeric string; else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal | str):
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            return None
        return result if result.is_finite() else None
    return None


def _preference_problem(body: dict[str, Any]) -> str | None:
    items = body.get("items")
    if not isinstance(items, list) or not items:
        return "items needed"
    currencies = set()
    for item in items:
        if not isinstance(item, dict):
            return "item must be an object"
        if not isinstance(item.get("title"), str) or not item["title"].strip():
            return "item.title needed"
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            return "item.quantity must be a positive integer"
        raw_price = item.get("unit_price")
        price = None if isinstance(raw_price, str) else _decimal(raw_price)
        if price is None or price <= 0:
            return "item.unit_price must be a positive number"
        currencies.add(item.get("currency_id", "ARS"))
    if len(currencies) > 1:
        return "all items must share one currency_id"
    for name in ("expiration_date_from", "expiration_date_to", "date_of_expiration"):
        value = body.get(name)
        if value is not None and _parse_date(value) is None:
            return f"{name} must be an ISO 8601 date with offset"
    return None


def _parse_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _preference(body: dict[str, Any], origin: str) -> dict[str, Any]:
    preference_id = f"{COLLECTOR_ID}-{uuid.uuid4()}"
    checkout = f"{origin}{PREFIX}/checkout/v1/redirect?pref_id={preference_id}"
    items = [
        {
            "id": str(item.get("id", "")),
            "category_id": item.get("category_id", ""),
            "currency_id": item.get("currency_id", "ARS"),
            "description": item.get("description", ""),
            "picture_url": item.get("picture_url"),
            "title": item["title"],
            "quantity": item["quantity"],
            "unit_price": _decimal(item["unit_price"]),
        }
        for item in body["items"]
    ]
    now = _iso(_now())
    back_urls = _merged(_URLS, body.get("back_urls"))
    return {
        "id": preference_id,
        "init_point": checkout,
        "sandbox_init_point": checkout,
        "collector_id": COLLECTOR_ID,
        "client_id": CLIENT_ID,
        "date_created": now,
        "last_updated": now,
        "operation_type": body.get("operation_type", "regular_payment"),
        "purpose": body.get("purpose", ""),
        "items": items,
        "total_amount": sum((i["unit_price"] * i["quantity"] for i in items), Decimal(0)),
        "payer": _payer(body.get("payer")),
        "back_urls": back_urls,
        "redirect_urls": _merged(_URLS, body.get("redirect_urls")),
        "auto_return": body.get("auto_return", ""),
        "payment_methods": body.get("payment_methods")
        or {
            "excluded_payment_methods": [],
            "excluded_payment_types": [],
            "installments": None,
            "default_installments": None,
        },
        "external_reference": body.get("external_reference", ""),
        "expires": bool(body.get("expires", False)),
        "expiration_date_from": body.get("expiration_date_from"),
        "expiration_date_to": body.get("expiration_date_to"),
        "date_of_expiration": body.get("date_of_expiration"),
        "notification_url": body.get("notification_url"),
        "statement_descriptor": body.get("statement_descriptor"),
        "marketplace": "NONE",
        "marketplace_fee": 0,
        "additional_info": body.get("additional_info", ""),
        "metadata": body.get("metadata") or {},
        "site_id": SITE_ID,
        "binary_mode": bool(body.get("binary_mode", False)),
        "processing_modes": body.get("processing_modes") or ["aggregator"],
        "differential_pricing": body.get("differential_pricing") or {},
        "coupon_code": body.get("coupon_code"),
        "coupon_labels": body.get("coupon_labels") or [],
        "tracks": body.get("tracks") or [],
        "taxes": body.get("taxes") or [],
        "internal_metadata": None,
        "shipments": {"default_shipping_method": None, "receiver_address": {}},
    }


_URLS = {"success": "", "pending": "", "failure": ""}
# Every payer field the preference reference lists, blank until the seller sends it.
_PAYER: dict[str, Any] = {
    "name": "",
    "surname": "",
    "email": "",
    "date_created": None,
    "phone": {"area_code": "", "number": ""},
    "identification": {"type": "", "number": ""},
    "address": {"zip_code": "", "street_name": "", "street_number": None},
}


def _merged(defaults: dict[str, Any], given: object) -> dict[str, Any]:
    """`defaults` overlaid with what the seller sent (anything but an object is ignored)."""
    merged = dict(defaults)
    if isinstance(given, dict):
        merged.update(given)
    return merged


def _payer(given: object) -> dict[str, Any]:
    payer = _merged(_PAYER, given)
    for part in ("phone", "identification", "address"):
        payer[part] = _merged(_PAYER[part], payer[part])
    return payer


def _expired(preference: dict[str, Any]) -> bool:
    if not preference.get("expires"):
        return False
    until = _parse_date(preference.get("expiration_date_to"))
    return until is not None and until < _now()
