"""MercadoPago's REST API under `/mercadopago`, as the official SDK calls it.

Bearer-token checks and injected latency/errors around every call, Checkout Pro
preferences (idempotent by `X-Idempotency-Key`), payments, payment search and refunds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.mercadopago.payloads import (
    COLLECTOR_ID,
    _decimal,
    _iso,
    _now,
    _preference,
    _preference_problem,
)
from sandbox.mercadopago.payments import Payments
from sandbox.mercadopago.responses import _json, _payment_not_found, _read_json, mp_error

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Api(Payments):
    """The API handlers."""

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
