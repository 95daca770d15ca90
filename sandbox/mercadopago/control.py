"""The control API under `/_sandbox/mercadopago/`: how tests and the demo drive the stand-in.

Pay a preference, change a payment's status, list payments, preferences and webhook
deliveries, read and set faults. None of this exists on the real MercadoPago.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from sandbox.mercadopago.faults import Faults
from sandbox.mercadopago.payloads import STATUS_DETAIL, _decimal
from sandbox.mercadopago.payments import Payments
from sandbox.mercadopago.responses import _json, _read_json

CONTROL = "/_sandbox/mercadopago"


class Control(Payments):
    """The `/_sandbox/mercadopago/` handlers."""

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
        payer = body.get("payer")
        if payer is not None and not isinstance(payer, dict):
            return _control_error(400, "payer must be an object (email, first_name, last_name)")
        payment = self.pay(
            preference,
            status=status,
            amount=amount,
            currency=str(currency) if currency else None,
            status_detail=body.get("status_detail"),
            payer=payer,
        )
        if body.get("wait"):
            # A scripted buyer (the demo console, tests) wants the merchant to have heard.
            await self.drain()
        return _json(payment, 201)

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
            ts_in_milliseconds=bool(body.get("ts_in_milliseconds", self.faults.ts_in_milliseconds)),
            seed=body.get("seed", self.faults.seed),
        )
        return _json(asdict(self.faults))

    def _find_preference(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if body.get("preference_id"):
            return self._state.preferences.get(str(body["preference_id"]))
        reference = body.get("external_reference")
        matches = [
            p for p in self._state.preferences.values() if p["external_reference"] == reference
        ]
        return matches[-1] if reference and matches else None


def _control_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
