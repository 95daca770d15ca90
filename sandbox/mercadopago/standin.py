"""MercadoPago, played on loopback well enough for the official SDK to run against it.

API (under `/mercadopago`, MercadoPago's own paths): Checkout Pro preferences, payments,
payment search and refunds, in MercadoPago's documented shapes and error bodies. A checkout
page (`/mercadopago/checkout/v1/redirect?pref_id=…`) lets a human pay or decline. The control
API (under `/_sandbox/mercadopago`) pays, changes payment statuses, lists what happened and
injects faults. Payments are announced by webhooks signed the way MercadoPago documents,
with this module's own implementation of the manifest.

The pieces live in sibling modules; this one puts them together and mounts their routes.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from sandbox.mercadopago.api import Api, Handler
from sandbox.mercadopago.checkout import Checkout
from sandbox.mercadopago.control import CONTROL, Control
from sandbox.mercadopago.payloads import PREFIX
from sandbox.mercadopago.responses import mp_error


class MercadoPagoStandIn(Control, Checkout, Api):
    name = "mercadopago"

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def setup(self, app: web.Application) -> None:
        api = self._api
        endpoints: list[tuple[str, str, Handler]] = [
            ("POST", "/checkout/preferences", self._create_preference),
            ("GET", "/checkout/preferences/{id}", self._get_preference),
            ("GET", "/v1/payments/search", self._search_payments),
            ("GET", "/v1/payments/{id:\\d+}", self._get_payment),
            ("POST", "/v1/payments/{id:\\d+}/refunds", self._refund),
            ("GET", "/v1/payments/{id:\\d+}/refunds", self._list_refunds),
        ]
        for method, path, handler in endpoints:
            # MercadoPago answers a path with a trailing slash as the path itself; its own
            # Node SDK sends `/checkout/preferences/` and `/v1/payments/{id}/refunds/`.
            for variant in (path, path + "/"):
                app.router.add_route(method, PREFIX + variant, api(handler))
        app.router.add_get(f"{PREFIX}/checkout/v1/redirect", self._checkout_page)
        app.router.add_post(f"{PREFIX}/checkout/v1/pay", self._checkout_submit)
        app.router.add_post(f"{CONTROL}/pay", self._control_pay)
        app.router.add_post(f"{CONTROL}/payments/{{id:\\d+}}/status", self._control_status)
        app.router.add_get(f"{CONTROL}/payments", self._control_payments)
        app.router.add_get(f"{CONTROL}/preferences", self._control_preferences)
        app.router.add_get(f"{CONTROL}/webhooks", self._control_webhooks)
        app.router.add_get(f"{CONTROL}/faults", self._control_get_faults)
        app.router.add_post(f"{CONTROL}/faults", self._control_set_faults)
        # Last: anything else under the API prefix gets MercadoPago's JSON error, not a page.
        app.router.add_route("*", PREFIX + "/{tail:.*}", _no_such_route)


async def _no_such_route(request: web.Request) -> web.StreamResponse:
    return mp_error(404, f"resource {request.path.removeprefix(PREFIX)} not found", "not_found")
