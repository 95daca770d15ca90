"""MercadoPago on loopback, for the official SDK (see `standin` for what it covers).

Modules: `state` (preferences, payments, deliveries), `payments` (the payment lifecycle),
`webhooks` (signed notifications), `signature` (the `x-signature` manifest), `api` (the REST
API), `checkout` (the page a buyer pays on), `control` (`/_sandbox/mercadopago/`), `payloads`
(documented objects), `responses` (JSON and error bodies), `faults` (injected failures),
`standin` (the whole, as `Sandbox` mounts it).
"""

from sandbox.mercadopago.checkout import NO_DECIMALS
from sandbox.mercadopago.control import CONTROL
from sandbox.mercadopago.faults import Faults
from sandbox.mercadopago.payloads import (
    ARGENTINA,
    CLIENT_ID,
    COLLECTOR_ID,
    PREFIX,
    SITE_ID,
    STATUS_DETAIL,
)
from sandbox.mercadopago.responses import mp_error
from sandbox.mercadopago.signature import sign_notification
from sandbox.mercadopago.standin import MercadoPagoStandIn

__all__ = [
    "ARGENTINA",
    "CLIENT_ID",
    "COLLECTOR_ID",
    "CONTROL",
    "NO_DECIMALS",
    "PREFIX",
    "SITE_ID",
    "STATUS_DETAIL",
    "Faults",
    "MercadoPagoStandIn",
    "mp_error",
    "sign_notification",
]
