"""The `x-signature` MercadoPago signs webhooks with, implemented here from its documentation.

Public: Vivo's tests sign notifications with it too.
"""

from __future__ import annotations

import hashlib
import hmac


def sign_notification(secret: str, data_id: str, request_id: str, ts: str) -> str:
    """MercadoPago's documented x-signature: HMAC-SHA256 over id, request-id and ts."""
    signed_id = data_id.lower() if data_id.isalnum() else data_id
    manifest = f"id:{signed_id};request-id:{request_id};ts:{ts};"
    digest = hmac.new(secret.encode("utf-8"), manifest.encode("utf-8"), hashlib.sha256)
    return f"ts={ts},v1={digest.hexdigest()}"
