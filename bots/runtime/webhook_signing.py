"""How an outgoing webhook proves it came from this store, Stripe's way.

Each attempt carries `Vivo-Signature: t=<unix seconds>,v1=<hex>`, where the hex is
HMAC-SHA256, keyed by the webhook's secret, of `f"{t}.{body}"` (the raw body bytes, as
sent). The timestamp is signed with the body, so a receiver that refuses old timestamps
(five minutes is the advice in docs/webhooks.md) cannot be fooled by a replayed delivery.
Each retry signs anew with its own time; the body and the `Vivo-Event-Id` stay the same.

`verify` is what a receiver written in Python would run; the documented snippet does the
same in a few lines, and a test runs that snippet against a real delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Vivo-Signature"
EVENT_ID_HEADER = "Vivo-Event-Id"
EVENT_TYPE_HEADER = "Vivo-Event-Type"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Vivo-Signature` header's value for `body` sent at `timestamp`."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """True when `header` signs `body` with `secret` and its time is within `tolerance`."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, v) for v in parts.get("v1", []))
