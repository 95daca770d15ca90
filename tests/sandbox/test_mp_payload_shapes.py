"""The stand-in's output has the keys and JSON types of MercadoPago's documented examples."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

from sandbox.app import Sandbox

PAYLOADS = Path(__file__).parents[1] / "payloads" / "mercadopago"


def documented(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def shape_problems(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Every documented key must exist with the same JSON type (null documents "any")."""
    if expected is None:
        return []
    if json_type(expected) != json_type(actual):
        return [f"{path}: documented {json_type(expected)}, got {json_type(actual)}"]
    problems: list[str] = []
    if isinstance(expected, dict):
        for key, value in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += shape_problems(value, actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected and actual:
        problems += shape_problems(expected[0], actual[0], f"{path}[0]")
    return problems


def test_shape_check_catches_differences() -> None:
    assert shape_problems({"a": 1, "b": {"c": "x"}}, {"a": "1", "b": {}}) == [
        "$.a: documented number, got string",
        "$.b.c: missing",
    ]


async def test_preference_response(client: Any, sandbox: Sandbox) -> None:
    preference = await client.preference(
        back_urls={
            "success": "https://a.test/ok",
            "pending": "https://a.test/p",
            "failure": "https://a.test/ko",
        },
        expires=True,
        expiration_date_from="2030-02-01T12:00:00.000-03:00",
        expiration_date_to="2030-02-28T12:00:00.000-03:00",
        notification_url="https://a.test/hook",
    )
    assert shape_problems(documented("preference_response.json"), preference) == []
    assert preference["init_point"] == (
        f"{sandbox.url}/mercadopago/checkout/v1/redirect?pref_id={preference['id']}"
    )
    status, again = await client.call(
        "GET", f"/mercadopago/checkout/preferences/{preference['id']}"
    )
    assert (status, again) == (200, preference)


async def test_payment_and_search(client: Any) -> None:
    preference = await client.preference(external_reference="ORD-SHAPE")
    paid = await client.pay(preference_id=preference["id"])
    status, payment = await client.call("GET", f"/mercadopago/v1/payments/{paid['id']}")
    assert status == 200
    assert shape_problems(documented("payment.json"), payment) == []
    assert payment["transaction_amount"] == 3001  # 2 x 1500.5, a JSON number

    status, found = await client.call(
        "GET", "/mercadopago/v1/payments/search", params={"external_reference": "ORD-SHAPE"}
    )
    assert status == 200
    assert shape_problems(documented("payments_search.json"), found) == []
    assert found["paging"] == {"total": 1, "limit": 30, "offset": 0}


async def test_refund_response(client: Any) -> None:
    paid = await client.pay(preference_id=(await client.preference())["id"])
    status, refund = await client.call(
        "POST", f"/mercadopago/v1/payments/{paid['id']}/refunds", json={"amount": 25.0}
    )
    assert status == 201
    assert shape_problems(documented("refund_response.json"), refund) == []
    assert (refund["payment_id"], refund["amount"]) == (paid["id"], 25)


async def test_error_bodies(client: Any, sandbox: Sandbox) -> None:
    status, missing = await client.call("GET", "/mercadopago/v1/payments/42")
    assert status == 404
    assert shape_problems(documented("error_not_found.json"), missing) == []
    status, unauthorized = await client.call("GET", "/mercadopago/v1/payments/42", token=None)
    assert status == 401
    assert set(unauthorized) == {"message", "error", "status", "cause"}
    assert unauthorized["status"] == 401


async def test_webhook_body_and_headers(client: Any, sandbox: Sandbox, receiver: Any) -> None:
    paid = await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    [hook] = receiver.received
    body = json.loads(hook.body)
    assert shape_problems(documented("webhook_payment.json"), body) == []
    assert body["data"] == {"id": str(paid["id"])}
    assert (body["type"], body["action"], body["live_mode"]) == (
        "payment",
        "payment.created",
        False,
    )
    assert hook.query == {"data.id": str(paid["id"]), "type": "payment"}
    assert re.fullmatch(r"ts=\d{10},v1=[0-9a-f]{64}", hook.headers["x-signature"])  # seconds
    uuid.UUID(hook.headers["x-request-id"])
