"""Routes, errors, webhook timestamps and preference fields, as MercadoPago documents them.

Each test here failed before the stand-in was fixed (issue #12): MercadoPago's own Node SDK
posts to `/checkout/preferences/` and lists refunds at `/v1/payments/{id}/refunds/`; errors
anywhere under the API are MercadoPago's JSON `{message, error, status, cause}`; `ts` in
`x-signature` is in seconds, as the documentation's example and the official validators
read it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from sandbox.app import Sandbox


async def test_trailing_slashes_reach_the_same_endpoints(client: Any) -> None:
    body = {"items": [{"title": "Gorra", "quantity": 1, "unit_price": 900}]}
    status, preference = await client.call("POST", "/mercadopago/checkout/preferences/", json=body)
    assert status == 201, preference
    status, again = await client.call(
        "GET", f"/mercadopago/checkout/preferences/{preference['id']}/"
    )
    assert (status, again["id"]) == (200, preference["id"])

    paid = await client.pay(preference_id=preference["id"])
    status, refund = await client.call(
        "POST", f"/mercadopago/v1/payments/{paid['id']}/refunds/", json={"amount": 100}
    )
    assert (status, refund["amount"]) == (201, 100)
    status, refunds = await client.call("GET", f"/mercadopago/v1/payments/{paid['id']}/refunds/")
    assert status == 200 and [r["id"] for r in refunds] == [refund["id"]]
    status, found = await client.call("GET", "/mercadopago/v1/payments/search/")
    assert status == 200 and found["paging"]["total"] == 1
    status, payment = await client.call("GET", f"/mercadopago/v1/payments/{paid['id']}/")
    assert (status, payment["id"]) == (200, paid["id"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/mercadopago/v1/no-such-thing"),
        ("POST", "/mercadopago/checkout/preferencias"),
        ("GET", "/mercadopago/v1/payments/not-a-number"),
        ("GET", "/mercadopago/v1/payments/1/refunds/2/extra"),
        ("DELETE", "/mercadopago/v1/payments/search"),
    ],
)
async def test_unknown_routes_answer_mercadopagos_error_envelope(
    client: Any, method: str, path: str
) -> None:
    status, body = await client.call(method, path)
    assert status == 404
    assert isinstance(body, dict), body  # JSON, not aiohttp's text page
    assert set(body) == {"message", "error", "status", "cause"}
    assert (body["status"], body["error"], body["cause"]) == (404, "not_found", [])
    assert body["message"]


def _ts(hook: Any) -> int:
    parts = dict(part.split("=", 1) for part in hook.headers["x-signature"].split(","))
    return int(parts["ts"])


async def test_webhook_ts_is_in_seconds_by_default(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    before = int(time.time())
    await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    [hook] = receiver.received
    assert before <= _ts(hook) <= int(time.time())


async def test_webhook_ts_in_milliseconds_on_request(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    status, faults = await client.call(
        "POST", "/_sandbox/mercadopago/faults", json={"ts_in_milliseconds": True}
    )
    assert status == 200 and faults["ts_in_milliseconds"] is True
    before = int(time.time() * 1000)
    await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    [hook] = receiver.received
    assert before <= _ts(hook) <= int(time.time() * 1000)


async def test_preference_carries_the_documented_fields(client: Any) -> None:
    preference = await client.preference(
        payer={
            "name": "Ana",
            "email": "ana@example.com",
            "phone": {"area_code": "11", "number": "4444-4444"},
        },
        date_of_expiration="2030-05-30T23:59:59.000-04:00",
    )
    assert preference["date_of_expiration"] == "2030-05-30T23:59:59.000-04:00"
    assert preference["last_updated"] == preference["date_created"]
    assert preference["processing_modes"] == ["aggregator"]
    assert preference["total_amount"] == 3001  # 2 × 1500.5
    assert preference["redirect_urls"] == {"success": "", "pending": "", "failure": ""}
    payer = preference["payer"]
    assert (payer["name"], payer["surname"]) == ("Ana", "")
    assert payer["phone"] == {"area_code": "11", "number": "4444-4444"}
    assert payer["identification"] == {"type": "", "number": ""}
    assert payer["address"] == {"zip_code": "", "street_name": "", "street_number": None}


async def test_bad_date_of_expiration_is_refused(client: Any) -> None:
    body = {
        "items": [{"title": "Gorra", "quantity": 1, "unit_price": 900}],
        "date_of_expiration": "mañana",
    }
    status, error = await client.call("POST", "/mercadopago/checkout/preferences", json=body)
    assert status == 400 and "date_of_expiration" in error["message"]
