"""MercadoPago Checkout Pro through the official SDK, unmodified.

The only seam is the SDK's documented `http_client` argument: when an `endpoint` is given
(the loopback sandbox), an `HttpClient` subclass swaps the API's base URL for it. Everything
else — headers, JSON encoding, resource paths — is the SDK's own.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import mercadopago
import requests
from mercadopago.config import RequestOptions
from mercadopago.errors import MercadoPagoError
from mercadopago.http import HttpClient

from commerce.money import EXPONENTS
from commerce.payments.base import (
    InvalidSignature,
    LinkRequest,
    MalformedNotification,
    Notification,
    PaymentError,
    PaymentLink,
    ProviderRejected,
    ProviderUnavailable,
    header,
)
from commerce.payments.signature import verify_signature
from commerce.views import PaymentReport

API_BASE = "https://api.mercadopago.com"
SEARCH_PAGE = 50  # the documented maximum `limit` of /v1/payments/search
SEARCH_MAX_PAGES = 20

# Webhook `type` values that name a merchant order (legacy and current spellings).
_MERCHANT_ORDER_TYPES = {"merchant_order", "topic_merchant_order_wh"}

# MercadoPago payment ids are numbers (about 11 digits today). Anything else in a payment
# notification is not one: `id=search` would fetch `/v1/payments/search`, a listing.
_PAYMENT_ID = re.compile(r"[0-9]{1,20}")


def is_payment_id(value: str) -> bool:
    """Whether `value` can name a MercadoPago payment (ASCII digits, at most 20)."""
    return _PAYMENT_ID.fullmatch(value) is not None


class _EndpointHttpClient(HttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    """Sends the SDK's requests to `endpoint` instead of api.mercadopago.com."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self._endpoint = endpoint.rstrip("/")

    def request(  # type: ignore[no-untyped-def]
        self, method, url, maxretries=None, retry_on=None, backoff_factor=None, **kwargs
    ):
        if isinstance(url, str) and url.startswith(API_BASE):
            url = self._endpoint + url[len(API_BASE) :]
        return super().request(
            method,
            url,
            maxretries=maxretries,
            retry_on=retry_on,
            backoff_factor=backoff_factor,
            **kwargs,
        )


class MercadoPagoProvider:
    """`PaymentProvider` for MercadoPago. Thread-safe: the SDK opens a session per call."""

    name = "mercadopago"

    def __init__(
        self,
        access_token: str,
        webhook_secret: str | None,
        *,
        endpoint: str | None = None,
        timeout: float = 10.0,
        signature_tolerance: timedelta | None = timedelta(minutes=5),
    ) -> None:
        self._token = access_token
        self._secret = webhook_secret
        self._timeout = float(timeout)
        self._tolerance = signature_tolerance
        http_client = _EndpointHttpClient(endpoint) if endpoint else HttpClient()
        self._sdk = mercadopago.SDK(
            access_token, http_client=http_client, request_options=self._options()
        )

    # -- API calls ---------------------------------------------------------------------

    def create_link(self, request: LinkRequest) -> PaymentLink:
        body = _preference_body(request)
        options = self._options({"x-idempotency-key": request.idempotency_key})
        with warnings.catch_warnings():
            # MercadoPago still documents notification_url for preferences; SDK 3.6 warns.
            warnings.filterwarnings(
                "ignore", message="notification_url", category=DeprecationWarning
            )
            result = self._call(
                lambda: self._sdk.preference().create(body, request_options=options)
            )
        preference = _as_dict(result)
        try:
            return PaymentLink(
                preference_id=str(preference["id"]), url=str(preference["init_point"])
            )
        except KeyError as exc:
            raise ProviderUnavailable(f"preference response lacks {exc}") from exc

    def fetch_payment(self, payment_id: str) -> PaymentReport:
        """The payment as the API reports it. An id that cannot be a payment's, or an answer
        that is not that payment, is refused (ProviderRejected): asking again won't help."""
        if not is_payment_id(payment_id):
            raise ProviderRejected(f"{payment_id!r:.40} is not a MercadoPago payment id")
        payment = _as_dict(self._call(lambda: self._sdk.payment().get(payment_id)))
        if str(payment.get("id")) != payment_id or "status" not in payment:
            raise ProviderRejected(
                f"MercadoPago answered something that is not payment {payment_id}"
            )
        return _report(payment)

    def search_by_reference(self, reference: str) -> list[PaymentReport]:
        reports: list[PaymentReport] = []
        offset = 0
        for _ in range(SEARCH_MAX_PAGES):
            filters = {
                "external_reference": reference,
                "sort": "date_created",
                "criteria": "desc",
                "limit": SEARCH_PAGE,
                "offset": offset,
            }
            page = _as_dict(self._call(partial(self._sdk.payment().search, filters)))
            results = page.get("results") or []
            reports.extend(
                _report(p)
                for p in results
                if isinstance(p, dict) and p.get("external_reference") == reference
            )
            offset += len(results)
            total = (page.get("paging") or {}).get("total", 0)
            if not results or offset >= int(total):
                break
        return reports

    def refund(
        self, payment_id: str, amount: Decimal | None = None, *, idempotency_key: str | None = None
    ) -> PaymentReport:
        """Refund all (amount None) or part of a payment; returns the payment as it now stands.

        Pass `idempotency_key` to make a retried refund safe; without it each call is new.
        """
        body = None if amount is None else {"amount": _json_number(amount)}
        headers = {"x-idempotency-key": idempotency_key} if idempotency_key else None
        options = self._options(headers)
        self._call(lambda: self._sdk.refund().create(payment_id, body, request_options=options))
        return self.fetch_payment(payment_id)

    # -- notifications -----------------------------------------------------------------

    def verify_notification(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> Notification:
        payload = _parse_body(body)
        raw: dict[str, Any] = {"query": dict(query), "body": payload}
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        body_id = data.get("id") if isinstance(data, dict) else None
        query_id = query.get("data.id")

        if query_id is None and body_id is None:
            return _legacy_ipn(query, payload, raw)

        # The signature covers the id in the URL; a different id in the body is forged.
        if query_id is not None and body_id is not None and str(body_id) != query_id:
            raise InvalidSignature("data.id in the query and in the body differ")
        data_id = query_id if query_id is not None else str(body_id)
        topic = _topic(query.get("type") or payload.get("type") or payload.get("topic"))
        action = payload.get("action")
        notification = Notification(
            topic=topic,
            resource_id=data_id,
            action=action if isinstance(action, str) else None,
            raw=raw,
            verified=self._secret is not None,
        )
        if self._secret is not None:
            verify_signature(
                secret=self._secret,
                x_signature=header(headers, "x-signature"),
                x_request_id=header(headers, "x-request-id"),
                data_id=data_id,
                tolerance=self._tolerance,
            )
        if topic == "payment" and not is_payment_id(data_id):
            raise MalformedNotification(f"data.id {data_id!r:.40} is not a payment id")
        return notification

    # -- plumbing ----------------------------------------------------------------------

    def _options(self, headers: dict[str, str] | None = None) -> Any:
        # No SDK retries: they only apply to https, and the caller owns the retry policy.
        return RequestOptions(
            access_token=self._token,
            connection_timeout=self._timeout,
            custom_headers=headers,
            max_retries=0,
        )

    def _call(self, send: Callable[[], Any]) -> Any:
        """Run one SDK call and turn every failure into ProviderUnavailable/Rejected."""
        try:
            result = send()
        except requests.RequestException as exc:
            raise ProviderUnavailable(f"MercadoPago unreachable: {exc}") from exc
        except MercadoPagoError as exc:
            raise _error_for(int(exc.status_code or 0), str(exc)) from exc
        status = int(result.get("status", 0))
        if not 200 <= status < 300:
            response = result.get("response")
            message = response.get("message", "") if isinstance(response, dict) else ""
            raise _error_for(status, f"MercadoPago answered {status}: {message}".rstrip(": "))
        return result.get("response")


def _error_for(status: int, message: str) -> PaymentError:
    if status == 429 or status >= 500 or status == 0:
        return ProviderUnavailable(message)
    return ProviderRejected(message, status)


def _as_dict(response: Any) -> dict[str, Any]:
    if not isinstance(response, dict):
        raise ProviderUnavailable(f"MercadoPago answered an unexpected body: {response!r:.200}")
    return response


def _json_number(amount: Decimal) -> int | float:
    """MercadoPago's API takes JSON numbers: whole amounts go as ints, others as floats."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def _preference_body(request: LinkRequest) -> dict[str, Any]:
    currency = request.total.currency
    if EXPONENTS.get(currency, 2) == 0:
        for item in request.items:
            if item.unit_price != item.unit_price.to_integral_value():
                raise ValueError(f"{currency} has no decimals: {item.unit_price}")
    body: dict[str, Any] = {
        "items": [
            {
                "id": item.id,
                "title": item.title,
                "quantity": item.quantity,
                "unit_price": _json_number(item.unit_price),
                "currency_id": item.currency,
            }
            for item in request.items
        ],
        "external_reference": request.reference,
        "expires": True,
        "expiration_date_to": request.expires_at.isoformat(timespec="milliseconds"),
    }
    if request.notification_url:
        body["notification_url"] = request.notification_url
    if request.back_url:
        body["back_urls"] = {
            "success": request.back_url,
            "pending": request.back_url,
            "failure": request.back_url,
        }
    if request.payer_name:
        body["payer"] = {"name": request.payer_name}
    return body


def _report(payment: dict[str, Any]) -> PaymentReport:
    try:
        amount = Decimal(str(payment["transaction_amount"]))
        return PaymentReport(
            provider=MercadoPagoProvider.name,
            provider_payment_id=str(payment["id"]),
            status=str(payment["status"]),
            amount=amount,
            currency=str(payment["currency_id"]),
            external_reference=payment.get("external_reference") or None,
            raw=payment,
            payer_name=_payer_name(payment.get("payer")),
            payer_email=_payer_text(payment.get("payer"), "email"),
        )
    except (KeyError, ArithmeticError) as exc:
        raise ProviderUnavailable(f"payment response lacks or garbles {exc}") from exc


def _payer_text(payer: Any, key: str) -> str | None:
    """One payer field (MercadoPago returns the email only once approved or refunded)."""
    value = payer.get(key) if isinstance(payer, dict) else None
    return str(value).strip() or None if value else None


def _payer_name(payer: Any) -> str | None:
    parts = (_payer_text(payer, "first_name"), _payer_text(payer, "last_name"))
    return " ".join(p for p in parts if p) or None


def _parse_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object that any database can store again: strict UTF-8, no
    NaN or Infinity, no lone surrogates, not absurdly deep."""
    if not body.strip():
        return {}
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
        json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, RecursionError) as exc:  # UnicodeError is a ValueError
        raise MalformedNotification("notification body is not UTF-8 JSON") from exc
    if not isinstance(payload, dict):
        raise MalformedNotification("notification body is not a JSON object")
    return payload


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _topic(value: Any) -> str:
    text = str(value) if value else "payment"
    return "merchant_order" if text in _MERCHANT_ORDER_TYPES else text


def _legacy_ipn(
    query: Mapping[str, str], payload: dict[str, Any], raw: dict[str, Any]
) -> Notification:
    """IPN (`?topic=payment&id=…`): MercadoPago documents that it cannot be authenticated."""
    topic = query.get("topic") or payload.get("topic")
    resource_id = query.get("id")
    if not topic or not resource_id:
        raise MalformedNotification("not a MercadoPago notification: no data.id, no topic/id")
    notification = Notification(
        topic=_topic(topic), resource_id=resource_id, action=None, raw=raw, verified=False
    )
    if notification.topic == "payment" and not is_payment_id(resource_id):
        raise MalformedNotification(f"id {resource_id!r:.40} is not a payment id")
    return notification
