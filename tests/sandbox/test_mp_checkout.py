"""The checkout page, webhooks and the control API of the MercadoPago stand-in."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from yarl import URL

from sandbox.app import Sandbox, SandboxConfig


async def test_health(client: Any) -> None:
    assert await client.call("GET", "/_sandbox/health", token=None) == (200, {"ok": True})


async def test_pay_button_records_an_approved_payment(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    preference = await client.preference(back_urls={"success": "https://shop.test/gracias"})
    status, page = await client.call("GET", str(URL(preference["init_point"]).relative()))
    assert status == 200
    assert "Remera negra" in page and "ARS 3.001,00" in page
    assert "name=decision value=pay" in page

    status, result = await client.call(
        "POST",
        "/mercadopago/checkout/v1/pay",
        data={"pref_id": preference["id"], "decision": "pay"},
        token=None,
    )
    assert status == 200
    [payment] = sandbox.mercadopago.payments.values()
    assert (payment["status"], payment["external_reference"]) == ("approved", "ORD-1")
    assert f"payment_id={payment['id']}" in result
    assert "https://shop.test/gracias?" in result
    await sandbox.mercadopago.drain()
    assert len(receiver.received) == 1


async def test_reject_button_records_a_rejected_payment(client: Any, sandbox: Sandbox) -> None:
    preference = await client.preference()
    status, result = await client.call(
        "POST",
        "/mercadopago/checkout/v1/pay",
        data={"pref_id": preference["id"], "decision": "reject"},
        token=None,
    )
    assert status == 200 and "rechazado" in result
    [payment] = sandbox.mercadopago.payments.values()
    assert payment["status"] == "rejected"


async def test_expired_link_cannot_be_paid_on_the_page(client: Any, sandbox: Sandbox) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    preference = await client.preference(expires=True, expiration_date_to=past)
    status, page = await client.call("GET", str(URL(preference["init_point"]).relative()))
    assert status == 410 and "Pagar" not in page
    # The control API still can: a late payment is something the store must survive.
    late = await client.pay(preference_id=preference["id"])
    assert late["status"] == "approved"


async def test_webhook_retries_until_acknowledged(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    receiver.statuses = [500, 503]
    await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    _, deliveries = await client.call("GET", "/_sandbox/mercadopago/webhooks")
    assert [d["status"] for d in deliveries] == [500, 503, 200]
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert len({d["request_id"] for d in deliveries}) == 3
    assert len(receiver.received) == 3


async def test_webhook_signature_follows_the_documented_manifest(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    paid = await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    [hook] = receiver.received
    parts = dict(part.split("=", 1) for part in hook.headers["x-signature"].split(","))
    manifest = f"id:{paid['id']};request-id:{hook.headers['x-request-id']};ts:{parts['ts']};"
    secret = sandbox.config.mp_webhook_secret.encode()
    assert parts["v1"] == hmac.new(secret, manifest.encode(), hashlib.sha256).hexdigest()


async def test_duplicate_webhooks_fault(client: Any, sandbox: Sandbox, receiver: Any) -> None:
    status, faults = await client.call(
        "POST", "/_sandbox/mercadopago/faults", json={"duplicate_webhooks": True}
    )
    assert status == 200 and faults["duplicate_webhooks"] is True
    await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    bodies = [json.loads(hook.body) for hook in receiver.received]
    assert len(bodies) == 2 and bodies[0] == bodies[1]


async def test_status_change_notifies(client: Any, sandbox: Sandbox, receiver: Any) -> None:
    paid = await client.pay(preference_id=(await client.preference())["id"])
    status, changed = await client.call(
        "POST", f"/_sandbox/mercadopago/payments/{paid['id']}/status", json={"status": "refunded"}
    )
    assert status == 200
    assert (changed["status"], changed["transaction_amount_refunded"]) == ("refunded", 3001)
    await sandbox.mercadopago.drain()
    actions = [json.loads(hook.body)["action"] for hook in receiver.received]
    assert actions == ["payment.created", "payment.updated"]
    status, listed = await client.call("GET", "/_sandbox/mercadopago/payments")
    assert [p["status"] for p in listed] == ["refunded"]


async def test_unknown_status_is_refused(client: Any) -> None:
    preference = await client.preference()
    status, _ = await client.call(
        "POST", "/_sandbox/mercadopago/pay", json={"preference_id": preference["id"], "status": "x"}
    )
    assert status == 400


async def test_seeded_error_rate_is_reproducible(client: Any) -> None:
    async def statuses() -> list[int]:
        await client.call(
            "POST", "/_sandbox/mercadopago/faults", json={"error_rate": 0.5, "seed": 7}
        )
        return [(await client.call("GET", "/mercadopago/v1/payments/search"))[0] for _ in range(20)]

    first = await statuses()
    assert first == await statuses()
    assert set(first) == {200, 500}


async def test_idempotency_key_returns_the_same_preference(client: Any) -> None:
    headers = {"X-Idempotency-Key": "same"}
    body = {"items": [{"title": "Taza", "quantity": 1, "unit_price": 10}]}
    first = await client.call(
        "POST", "/mercadopago/checkout/preferences", json=body, headers=headers
    )
    again = await client.call(
        "POST", "/mercadopago/checkout/preferences", json=body, headers=headers
    )
    assert first == again and first[0] == 201


async def test_invalid_preference_is_a_400_in_mercadopago_shape(client: Any) -> None:
    body = {"items": [{"title": "Taza", "quantity": 0, "unit_price": 10}]}
    status, error = await client.call("POST", "/mercadopago/checkout/preferences", json=body)
    assert status == 400
    assert (error["status"], error["cause"]) == (400, [])


async def test_search_sorts_and_pages(client: Any) -> None:
    preference = await client.preference(external_reference="ORD-P")
    ids = [(await client.pay(preference_id=preference["id"]))["id"] for _ in range(5)]
    status, page = await client.call(
        "GET",
        "/mercadopago/v1/payments/search",
        params={
            "external_reference": "ORD-P",
            "sort": "id",
            "criteria": "desc",
            "limit": "2",
            "offset": "1",
        },
    )
    assert status == 200
    assert page["paging"] == {"total": 5, "limit": 2, "offset": 1}
    assert [p["id"] for p in page["results"]] == sorted(ids, reverse=True)[1:3]


async def test_required_token_is_enforced() -> None:
    async with Sandbox(SandboxConfig(mp_access_token="APP_USR-ok")) as sandbox:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            url = f"{sandbox.url}/mercadopago/v1/payments/search"
            for token, expected in (("APP_USR-bad", 401), ("APP_USR-ok", 200)):
                headers = {"Authorization": f"Bearer {token}"}
                async with session.get(url, headers=headers) as response:
                    assert response.status == expected
