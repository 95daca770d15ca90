"""Webhooks signed by the sandbox's own code verify with ours: two implementations agree."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from commerce.payments.base import InvalidSignature, LinkRequest
from commerce.payments.mercadopago import MercadoPagoProvider
from sandbox.app import Sandbox

LinkFactory = Callable[..., LinkRequest]


async def paid_webhook(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory, receiver: Any
) -> tuple[dict[str, Any], Any]:
    link = await asyncio.to_thread(provider.create_link, make_link("ORD-W1"))
    payment = sandbox.mercadopago.pay(sandbox.mercadopago.preferences[link.preference_id])
    await sandbox.mercadopago.drain()
    assert len(receiver.received) == 1
    return payment, receiver.received[0]


async def test_delivered_webhook_verifies(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory, receiver: Any
) -> None:
    payment, hook = await paid_webhook(sandbox, provider, make_link, receiver)
    assert hook.query == {"data.id": str(payment["id"]), "type": "payment"}

    notification = provider.verify_notification(hook.headers, hook.query, hook.body)
    assert notification.topic == "payment"
    assert notification.resource_id == str(payment["id"])
    assert notification.action == "payment.created"
    assert notification.verified is True


async def test_header_names_are_case_insensitive(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory, receiver: Any
) -> None:
    _, hook = await paid_webhook(sandbox, provider, make_link, receiver)
    shouted = {name.upper(): value for name, value in hook.headers.items()}
    assert "X-SIGNATURE" in shouted
    provider.verify_notification(shouted, hook.query, hook.body)


async def test_forged_webhooks_fail(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory, receiver: Any
) -> None:
    _, hook = await paid_webhook(sandbox, provider, make_link, receiver)
    other_id = {**hook.query, "data.id": "1"}
    with pytest.raises(InvalidSignature):
        provider.verify_notification(hook.headers, other_id, hook.body)
    body = json.loads(hook.body)
    body["data"]["id"] = "1"
    with pytest.raises(InvalidSignature, match="differ"):
        provider.verify_notification(hook.headers, hook.query, json.dumps(body).encode())
    unsigned = {k: v for k, v in hook.headers.items() if k.lower() != "x-signature"}
    with pytest.raises(InvalidSignature, match="missing"):
        provider.verify_notification(unsigned, hook.query, hook.body)


async def test_webhook_signed_with_another_secret_fails(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory, receiver: Any
) -> None:
    sandbox.mercadopago.set_faults(wrong_secret=True)
    _, hook = await paid_webhook(sandbox, provider, make_link, receiver)
    with pytest.raises(InvalidSignature, match="mismatch"):
        provider.verify_notification(hook.headers, hook.query, hook.body)


def _signed_headers(secret: str, data_id: str) -> dict[str, str]:
    request_id = str(uuid.uuid4())
    ts = str(int(time.time() * 1000))
    manifest = f"id:{data_id.lower()};request-id:{request_id};ts:{ts};"
    v1 = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}


def test_merchant_order_webhook_keeps_its_topic() -> None:
    provider = MercadoPagoProvider("TEST", "s3cret", endpoint="http://127.0.0.1:9")
    body = {"action": "update", "type": "topic_merchant_order_wh", "data": {"id": "3141"}}
    query = {"data.id": "3141", "type": "topic_merchant_order_wh"}
    notification = provider.verify_notification(
        _signed_headers("s3cret", "3141"), query, json.dumps(body).encode()
    )
    assert (notification.topic, notification.resource_id) == ("merchant_order", "3141")
    assert notification.verified is True
    with pytest.raises(InvalidSignature):
        provider.verify_notification(
            _signed_headers("other", "3141"), query, json.dumps(body).encode()
        )


@pytest.mark.parametrize("topic", ["payment", "merchant_order"])
def test_legacy_ipn_is_returned_unverified(topic: str) -> None:
    provider = MercadoPagoProvider("TEST", "s3cret", endpoint="http://127.0.0.1:9")
    notification = provider.verify_notification({}, {"topic": topic, "id": "777"}, b"")
    assert (notification.topic, notification.resource_id) == (topic, "777")
    assert notification.action is None
    assert notification.verified is False  # IPN cannot be authenticated, per MercadoPago


def test_without_a_secret_notifications_are_unverified() -> None:
    provider = MercadoPagoProvider("TEST", None, endpoint="http://127.0.0.1:9")
    body = {"type": "payment", "action": "payment.updated", "data": {"id": "55"}}
    notification = provider.verify_notification({}, {}, json.dumps(body).encode())
    assert (notification.resource_id, notification.verified) == ("55", False)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"{}"])
def test_garbage_is_refused(body: bytes) -> None:
    provider = MercadoPagoProvider("TEST", "s3cret", endpoint="http://127.0.0.1:9")
    with pytest.raises(InvalidSignature):
        provider.verify_notification({}, {}, body)


@pytest.mark.parametrize(
    ("milliseconds", "digits"),
    [(False, 10), (True, 13)],
    ids=["seconds (the docs' example, the default)", "milliseconds (the docs' prose)"],
)
async def test_both_timestamp_units_verify_within_tolerance(
    sandbox: Sandbox,
    provider: MercadoPagoProvider,
    make_link: LinkFactory,
    receiver: Any,
    milliseconds: bool,
    digits: int,
) -> None:
    sandbox.mercadopago.set_faults(ts_in_milliseconds=milliseconds)
    payment, hook = await paid_webhook(sandbox, provider, make_link, receiver)
    signature = {k.lower(): v for k, v in hook.headers.items()}["x-signature"]
    ts = dict(part.split("=", 1) for part in signature.split(","))["ts"]
    assert len(ts) == digits  # 10 digits: seconds until 2286; 13: milliseconds
    strict = MercadoPagoProvider(
        "TEST",
        sandbox.config.mp_webhook_secret,
        endpoint=f"{sandbox.url}/mercadopago",
        signature_tolerance=timedelta(minutes=5),
    )
    notification = strict.verify_notification(hook.headers, hook.query, hook.body)
    assert (notification.resource_id, notification.verified) == (str(payment["id"]), True)
