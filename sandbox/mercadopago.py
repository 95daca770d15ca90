"""MercadoPago, played on loopback well enough for the official SDK to run against it.

API (under `/mercadopago`, MercadoPago's own paths): Checkout Pro preferences, payments,
payment search and refunds, in MercadoPago's documented shapes and error bodies. A checkout
page (`/mercadopago/checkout/v1/redirect?pref_id=…`) lets a human pay or decline. The control
API (under `/_sandbox/mercadopago`) pays, changes payment statuses, lists what happened and
injects faults. Payments are announced by webhooks signed the way MercadoPago documents,
with this module's own implementation of the manifest.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import itertools
import json
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

PREFIX = "/mercadopago"
CONTROL = "/_sandbox/mercadopago"
COLLECTOR_ID = 1234567890
CLIENT_ID = "6295877106812064"
SITE_ID = "MLA"
ARGENTINA = timezone(timedelta(hours=-3))  # MercadoPago stamps dates in the seller's zone
NO_DECIMALS = {"CLP"}

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

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# -- helpers ---------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(ARGENTINA)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_dumps = partial(json.dumps, default=_json_default)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def mp_error(
    status: int, message: str, error: str, causes: list[dict[str, Any]] | None = None
) -> web.Response:
    """An error body the way MercadoPago's API shapes them."""
    body = {"message": message, "error": error, "status": status, "cause": causes or []}
    return web.json_response(body, status=status)


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


def sign_notification(secret: str, data_id: str, request_id: str, ts: str) -> str:
    """MercadoPago's documented x-signature: HMAC-SHA256 over id, request-id and ts."""
    signed_id = data_id.lower() if data_id.isalnum() else data_id
    manifest = f"id:{signed_id};request-id:{request_id};ts:{ts};"
    digest = hmac.new(secret.encode("utf-8"), manifest.encode("utf-8"), hashlib.sha256)
    return f"ts={ts},v1={digest.hexdigest()}"


@dataclass
class Faults:
    """What can go wrong, set through `POST /_sandbox/mercadopago/faults`.

    `error_rate`: share of API calls answered 500. `latency_ms`: added to every API call.
    `duplicate_webhooks`: every notification is sent twice. `webhook_delay_ms`: each
    delivery waits this long first. `reorder_webhooks`: notifications are held for
    `reorder_window_ms` and sent shuffled. `wrong_secret`: deliveries are signed with
    another secret. `seed` makes the random choices reproducible.
    """

    error_rate: float = 0.0
    latency_ms: int = 0
    duplicate_webhooks: bool = False
    wrong_secret: bool = False
    webhook_delay_ms: int = 0
    reorder_webhooks: bool = False
    reorder_window_ms: int = 200
    seed: int | None = None


@dataclass
class _State:
    preferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    preference_by_key: dict[str, str] = field(default_factory=dict)
    payments: dict[int, dict[str, Any]] = field(default_factory=dict)
    refund_by_key: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


class MercadoPagoStandIn:
    name = "mercadopago"

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = "sandbox-secret",
        access_token: str | None = None,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.access_token = access_token
        self.webhook_attempts = max(1, webhook_attempts)
        self.webhook_retry_delay = webhook_retry_delay
        self.faults = Faults()
        self._rng = random.Random()
        self._state = _State()
        self._payment_ids = itertools.count(1310000001)
        self._refund_ids = itertools.count(2010000001)
        self._notification_ids = itertools.count(100000001)
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: list[tuple[str, dict[str, Any]]] = []
        self._session: aiohttp.ClientSession | None = None

    # -- direct access for tests -------------------------------------------------------

    @property
    def preferences(self) -> dict[str, dict[str, Any]]:
        return self._state.preferences

    @property
    def payments(self) -> dict[int, dict[str, Any]]:
        return self._state.payments

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return self._state.deliveries

    async def drain(self) -> None:
        """Wait until every webhook delivery in flight (retries included) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- routes ------------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        api = self._api
        app.router.add_post(f"{PREFIX}/checkout/preferences", api(self._create_preference))
        app.router.add_get(f"{PREFIX}/checkout/preferences/{{id}}", api(self._get_preference))
        app.router.add_get(f"{PREFIX}/v1/payments/search", api(self._search_payments))
        app.router.add_get(f"{PREFIX}/v1/payments/{{id:\\d+}}", api(self._get_payment))
        app.router.add_post(f"{PREFIX}/v1/payments/{{id:\\d+}}/refunds", api(self._refund))
        app.router.add_get(f"{PREFIX}/v1/payments/{{id:\\d+}}/refunds", api(self._list_refunds))
        app.router.add_get(f"{PREFIX}/checkout/v1/redirect", self._checkout_page)
        app.router.add_post(f"{PREFIX}/checkout/v1/pay", self._checkout_submit)
        app.router.add_post(f"{CONTROL}/pay", self._control_pay)
        app.router.add_post(f"{CONTROL}/payments/{{id:\\d+}}/status", self._control_status)
        app.router.add_get(f"{CONTROL}/payments", self._control_payments)
        app.router.add_get(f"{CONTROL}/preferences", self._control_preferences)
        app.router.add_get(f"{CONTROL}/webhooks", self._control_webhooks)
        app.router.add_get(f"{CONTROL}/faults", self._control_get_faults)
        app.router.add_post(f"{CONTROL}/faults", self._control_set_faults)

    def _api(self, handler: Handler) -> Handler:
        """Wrap an API handler with MercadoPago's auth check and the injected faults."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if self.faults.latency_ms > 0:
                await asyncio.sleep(self.faults.latency_ms / 1000)
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if (
                scheme != "Bearer"
                or not token
                or (self.access_token is not None and token != self.access_token)
            ):
                return mp_error(401, "invalid access token", "unauthorized")
            if self.faults.error_rate > 0 and self._rng.random() < self.faults.error_rate:
                return mp_error(500, "Internal server error", "internal_server_error")
            return await handler(request)

        return guarded

    # -- preferences -------------------------------------------------------------------

    async def _create_preference(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request)
        if not isinstance(body, dict):
            return mp_error(400, "body must be a JSON object", "bad_request")
        key = request.headers.get("X-Idempotency-Key")
        if key and key in self._state.preference_by_key:
            return _json(self._state.preferences[self._state.preference_by_key[key]], 201)
        problem = _preference_problem(body)
        if problem:
            return mp_error(400, problem, "invalid_items" if "item" in problem else "bad_request")
        preference = _preference(body, str(request.url.origin()))
        self._state.preferences[preference["id"]] = preference
        if key:
            self._state.preference_by_key[key] = preference["id"]
        return _json(preference, 201)

    async def _get_preference(self, request: web.Request) -> web.StreamResponse:
        preference = self._state.preferences.get(request.match_info["id"])
        if preference is None:
            return mp_error(404, "preference not found", "not_found")
        return _json(preference)

    # -- payments ----------------------------------------------------------------------

    async def _get_payment(self, request: web.Request) -> web.StreamResponse:
        payment = self._state.payments.get(int(request.match_info["id"]))
        if payment is None:
            return _payment_not_found()
        return _json(payment)

    async def _search_payments(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        try:
            limit = min(max(int(query.get("limit", "30")), 1), 50)
            offset = max(int(query.get("offset", "0")), 0)
        except ValueError:
            return mp_error(400, "limit and offset must be integers", "bad_request")
        sort = query.get("sort", "date_created")
        criteria = query.get("criteria", "asc")
        if criteria not in ("asc", "desc"):
            return mp_error(400, "criteria must be asc or desc", "bad_request")
        found = [
            p
            for p in self._state.payments.values()
            if all(
                str(p.get(name)) == query[name]
                for name in ("external_reference", "status", "id")
                if name in query
            )
        ]
        found.sort(key=lambda p: (str(p.get(sort) or ""), p["id"]), reverse=criteria == "desc")
        page = found[offset : offset + limit]
        return _json(
            {"paging": {"total": len(found), "limit": limit, "offset": offset}, "results": page}
        )

    async def _refund(self, request: web.Request) -> web.StreamResponse:
        payment_id = int(request.match_info["id"])
        payment = self._state.payments.get(payment_id)
        if payment is None:
            return _payment_not_found()
        key = request.headers.get("X-Idempotency-Key", "")
        if key and (payment_id, key) in self._state.refund_by_key:
            return _json(self._state.refund_by_key[(payment_id, key)], 201)
        body = await _read_json(request) if request.can_read_body else None
        if payment["status"] != "approved":
            return mp_error(400, f"payment is {payment['status']}, not refundable", "bad_request")
        remaining = payment["transaction_amount"] - payment["transaction_amount_refunded"]
        amount = remaining
        if isinstance(body, dict) and "amount" in body:
            requested = _decimal(body["amount"])
            if requested is None or requested <= 0 or requested > remaining:
                return mp_error(400, "invalid refund amount", "bad_request")
            amount = requested
        refund = {
            "id": next(self._refund_ids),
            "payment_id": payment_id,
            "amount": amount,
            "metadata": {},
            "source": {"id": str(COLLECTOR_ID), "name": "Sandbox Seller", "type": "collector"},
            "date_created": _iso(_now()),
            "unique_sequence_number": None,
            "refund_mode": "standard",
            "adjustment_amount": 0,
            "status": "approved",
            "reason": None,
            "labels": [],
            "amount_refunded_to_payer": amount,
        }
        payment["refunds"].append(refund)
        payment["transaction_amount_refunded"] += amount
        if payment["transaction_amount_refunded"] == payment["transaction_amount"]:
            self._set_status(payment, "refunded")
        else:
            payment["status_detail"] = "partially_refunded"
            payment["date_last_updated"] = _iso(_now())
        if key:
            self._state.refund_by_key[(payment_id, key)] = refund
        self._notify(payment, "payment.updated")
        return _json(refund, 201)

    async def _list_refunds(self, request: web.Request) -> web.StreamResponse:
        payment = self._state.payments.get(int(request.match_info["id"]))
        if payment is None:
            return _payment_not_found()
        return _json(payment["refunds"])

    def pay(
        self,
        preference: dict[str, Any],
        *,
        status: str = "approved",
        amount: Decimal | None = None,
        currency: str | None = None,
        status_detail: str | None = None,
    ) -> dict[str, Any]:
        """Record a buyer's payment for `preference` and announce it by webhook."""
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

    # -- webhooks ----------------------------------------------------------------------

    def _notify(self, payment: dict[str, Any], action: str) -> None:
        url = payment.get("notification_url") or self.webhook_url
        if not url:
            return
        body = {
            "id": next(self._notification_ids),
            "live_mode": False,
            "type": "payment",
            "date_created": _iso(_now()),
            "user_id": COLLECTOR_ID,
            "api_version": "v1",
            "action": action,
            "data": {"id": str(payment["id"])},
        }
        # A duplicate is the same notification sent again, as MercadoPago's retries are.
        copies = 2 if self.faults.duplicate_webhooks else 1
        for _ in range(copies):
            if self.faults.reorder_webhooks:
                if not self._held:
                    self._spawn(self._release_held())
                self._held.append((url, body))
            else:
                self._spawn(self._deliver(url, body))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(_run(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release_held(self) -> None:
        """Send what piled up during the window, shuffled: later news may arrive first."""
        await asyncio.sleep(self.faults.reorder_window_ms / 1000)
        held, self._held = self._held, []
        self._rng.shuffle(held)
        for url, body in held:
            self._spawn(self._deliver(url, body))

    async def _deliver(self, url: str, body: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        if self.faults.webhook_delay_ms > 0:
            await asyncio.sleep(self.faults.webhook_delay_ms / 1000)
        payment_id = body["data"]["id"]
        target = URL(url).update_query({"data.id": payment_id, "type": "payment"})
        payload = json.dumps(body)
        for attempt in range(1, self.webhook_attempts + 1):
            secret = self.webhook_secret
            if self.faults.wrong_secret:
                secret = "not-" + secret
            request_id = str(uuid.uuid4())
            ts = str(int(datetime.now(ARGENTINA).timestamp() * 1000))
            headers = {
                "Content-Type": "application/json",
                "x-signature": sign_notification(secret, payment_id, request_id, ts),
                "x-request-id": request_id,
            }
            record: dict[str, Any] = {
                "notification_id": body["id"],
                "url": str(target),
                "payment_id": payment_id,
                "action": body["action"],
                "attempt": attempt,
                "request_id": request_id,
                "status": None,
                "error": None,
                "at": _iso(_now()),
                "body": body,
                "headers": headers,
            }
            try:
                async with self._session.post(
                    target, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=22)
                ) as response:
                    record["status"] = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                record["error"] = f"{type(exc).__name__}: {exc}"
            self._state.deliveries.append(record)
            if record["status"] in (200, 201):  # what MercadoPago accepts as received
                return
            if attempt < self.webhook_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)

    # -- checkout page -----------------------------------------------------------------

    async def _checkout_page(self, request: web.Request) -> web.StreamResponse:
        preference = self._state.preferences.get(request.query.get("pref_id", ""))
        if preference is None:
            return _page("Pago no encontrado", "<p>No encontramos este link de pago.</p>", 404)
        if _expired(preference):
            return _page("Link vencido", "<p>Este link de pago venció.</p>", 410)
        return _page("Pagar", _checkout_html(preference))

    async def _checkout_submit(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        preference = self._state.preferences.get(str(form.get("pref_id", "")))
        if preference is None:
            return _page("Pago no encontrado", "<p>No encontramos este link de pago.</p>", 404)
        if _expired(preference):
            return _page("Link vencido", "<p>Este link de pago venció.</p>", 410)
        approved = form.get("decision") == "pay"
        payment = self.pay(preference, status="approved" if approved else "rejected")
        return _page("Resultado", _result_html(preference, payment))

    # -- control API -------------------------------------------------------------------

    async def _control_pay(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request)
        if not isinstance(body, dict):
            return _control_error(400, "body must be a JSON object")
        preference = self._find_preference(body)
        if preference is None:
            return _control_error(404, "no preference matches preference_id/external_reference")
        status = str(body.get("status", "approved"))
        if status not in STATUS_DETAIL:
            return _control_error(400, f"unknown status {status!r}")
        amount = None
        if body.get("amount") is not None:
            amount = _decimal(body["amount"])
            if amount is None:
                return _control_error(400, "amount must be a number")
        currency = body.get("currency")
        payment = self.pay(
            preference,
            status=status,
            amount=amount,
            currency=str(currency) if currency else None,
            status_detail=body.get("status_detail"),
        )
        if body.get("wait"):
            # A scripted buyer (the demo console, tests) wants the merchant to have heard.
            await self.drain()
        return _json(payment, 201)

    def _find_preference(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("preference_id"):
            return self._state.preferences.get(str(body["preference_id"]))
        reference = body.get("external_reference")
        matches = [
            p for p in self._state.preferences.values() if p["external_reference"] == reference
        ]
        return matches[-1] if reference and matches else None

    async def _control_status(self, request: web.Request) -> web.StreamResponse:
        payment = self._state.payments.get(int(request.match_info["id"]))
        if payment is None:
            return _control_error(404, "no such payment")
        body = await _read_json(request)
        status = body.get("status") if isinstance(body, dict) else None
        if status not in STATUS_DETAIL:
            return _control_error(400, f"unknown status {status!r}")
        self._set_status(payment, str(status), body.get("status_detail"))
        self._notify(payment, "payment.updated")
        return _json(payment)

    async def _control_payments(self, request: web.Request) -> web.StreamResponse:
        return _json(list(self._state.payments.values()))

    async def _control_preferences(self, request: web.Request) -> web.StreamResponse:
        return _json(list(self._state.preferences.values()))

    async def _control_webhooks(self, request: web.Request) -> web.StreamResponse:
        return _json(self._state.deliveries)

    async def _control_get_faults(self, request: web.Request) -> web.StreamResponse:
        return _json(asdict(self.faults))

    async def _control_set_faults(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request)
        if not isinstance(body, dict):
            return _control_error(400, "body must be a JSON object")
        unknown = set(body) - set(Faults.__dataclass_fields__)
        if unknown:
            return _control_error(400, f"unknown faults: {sorted(unknown)}")
        rate = _decimal(body.get("error_rate", self.faults.error_rate))
        if rate is None or not 0 <= rate <= 1:
            return _control_error(400, "error_rate must be between 0 and 1")
        self.set_faults(
            error_rate=float(rate),
            latency_ms=int(body.get("latency_ms", self.faults.latency_ms)),
            duplicate_webhooks=bool(body.get("duplicate_webhooks", self.faults.duplicate_webhooks)),
            wrong_secret=bool(body.get("wrong_secret", self.faults.wrong_secret)),
            webhook_delay_ms=int(body.get("webhook_delay_ms", self.faults.webhook_delay_ms)),
            reorder_webhooks=bool(body.get("reorder_webhooks", self.faults.reorder_webhooks)),
            reorder_window_ms=int(body.get("reorder_window_ms", self.faults.reorder_window_ms)),
            seed=body.get("seed", self.faults.seed),
        )
        return _json(asdict(self.faults))

    def set_faults(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.faults, name, value)
        if "seed" in changes:
            self._rng = random.Random(self.faults.seed)


# -- module-level pieces ---------------------------------------------------------------


async def _run(work: Awaitable[None]) -> None:
    await work


async def _read_json(request: web.Request) -> Any:
    text = await request.text()
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return None


def _payment_not_found() -> web.Response:
    cause = [{"code": 2000, "description": "Payment not found", "data": None}]
    return mp_error(404, "Payment not found", "not_found", cause)


def _control_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


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
    for name in ("expiration_date_from", "expiration_date_to"):
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
    payer = {"name": "", "surname": "", "email": "", "date_created": None}
    payer.update(body.get("payer") or {})
    back_urls = {"success": "", "pending": "", "failure": ""}
    back_urls.update(body.get("back_urls") or {})
    return {
        "id": preference_id,
        "init_point": checkout,
        "sandbox_init_point": checkout,
        "collector_id": COLLECTOR_ID,
        "client_id": CLIENT_ID,
        "date_created": _iso(_now()),
        "operation_type": "regular_payment",
        "items": items,
        "payer": payer,
        "back_urls": back_urls,
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
        "notification_url": body.get("notification_url"),
        "statement_descriptor": body.get("statement_descriptor"),
        "marketplace": "NONE",
        "marketplace_fee": 0,
        "additional_info": body.get("additional_info", ""),
        "metadata": body.get("metadata") or {},
        "site_id": SITE_ID,
        "binary_mode": bool(body.get("binary_mode", False)),
        "shipments": {"default_shipping_method": None, "receiver_address": {}},
    }


def _expired(preference: dict[str, Any]) -> bool:
    if not preference.get("expires"):
        return False
    until = _parse_date(preference.get("expiration_date_to"))
    return until is not None and until < _now()


def _money(amount: Decimal, currency: str) -> str:
    """Spanish-style amounts: thousands with dots, decimals with a comma."""
    places = 0 if currency in NO_DECIMALS else 2
    text = f"{amount:,.{places}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{html.escape(currency)} {text}"


def _checkout_html(preference: dict[str, Any]) -> str:
    items = preference["items"]
    currency = items[0]["currency_id"]
    total = sum((Decimal(str(i["unit_price"])) * i["quantity"] for i in items), Decimal(0))
    rows = "".join(
        f"<tr><td>{html.escape(i['title'])}</td><td class=n>{i['quantity']}</td>"
        f"<td class=n>{_money(Decimal(str(i['unit_price'])) * i['quantity'], currency)}</td></tr>"
        for i in items
    )
    pref_id = html.escape(preference["id"])
    return f"""
<p class=muted>Estás pagando a <strong>Vivo Sandbox</strong></p>
<table><thead><tr><th>Producto</th><th class=n>Cant.</th><th class=n>Importe</th></tr></thead>
<tbody>{rows}</tbody>
<tfoot><tr><th colspan=2>Total</th><th class="n total">{_money(total, currency)}</th></tr></tfoot>
</table>
<form method=post action="{PREFIX}/checkout/v1/pay">
  <input type=hidden name=pref_id value="{pref_id}">
  <button class=pay name=decision value=pay>Pagar</button>
  <button class=reject name=decision value=reject>Rechazar</button>
</form>
<p class=muted>Entorno de prueba: no se mueve dinero real.</p>"""


def _result_html(preference: dict[str, Any], payment: dict[str, Any]) -> str:
    approved = payment["status"] == "approved"
    back = preference["back_urls"].get("success" if approved else "failure") or ""
    message = "¡Listo! Tu pago fue aprobado." if approved else "El pago fue rechazado."
    link = ""
    if back:
        target = URL(back).update_query(
            {
                "collection_id": str(payment["id"]),
                "collection_status": payment["status"],
                "payment_id": str(payment["id"]),
                "status": payment["status"],
                "external_reference": payment["external_reference"] or "",
                "preference_id": preference["id"],
                "site_id": SITE_ID,
            }
        )
        link = f'<p><a class=back href="{html.escape(str(target))}">Volver al sitio</a></p>'
    else:
        link = "<p class=muted>Ya podés cerrar esta ventana.</p>"
    css = "ok" if approved else "ko"
    return (
        f'<p class="result {css}">{message}</p>'
        f"<p class=muted>Operación n.º {payment['id']}</p>{link}"
    )


_STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f5f6f8;
color:#222}main{max-width:28rem;margin:2rem auto;background:#fff;border-radius:12px;
padding:1.5rem;box-shadow:0 2px 12px #0001}h1{font-size:1.3rem;margin:0 0 1rem}
table{width:100%;border-collapse:collapse;margin:1rem 0}td,th{padding:.4rem 0;text-align:left;
border-bottom:1px solid #eee}.n{text-align:right}.total{font-size:1.2rem}
button{width:100%;padding:.9rem;border:0;border-radius:8px;font-size:1rem;margin-top:.6rem;
cursor:pointer}.pay{background:#009ee3;color:#fff}.reject{background:#eee;color:#333}
.muted{color:#777;font-size:.9rem}.result{font-size:1.2rem;font-weight:600}.ok{color:#00a650}
.ko{color:#d0021b}a.back{color:#009ee3}
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    document = (
        "<!doctype html><html lang=es><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)} · Mercado Pago (sandbox)</title>"
        f"<style>{_STYLE}</style></head><body><main><h1>{html.escape(title)}</h1>"
        f"{body}</main></body></html>"
    )
    return web.Response(text=document, status=status, content_type="text/html")
