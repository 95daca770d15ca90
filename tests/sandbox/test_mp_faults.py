"""Webhook delivery faults of the MercadoPago stand-in: delayed and reordered deliveries."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sandbox.app import Sandbox


async def test_reordered_webhooks_arrive_shuffled_and_all_of_them(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    status, faults = await client.call(
        "POST",
        "/_sandbox/mercadopago/faults",
        json={"reorder_webhooks": True, "reorder_window_ms": 300, "seed": 5},
    )
    assert status == 200 and faults["reorder_webhooks"] is True
    preference = await client.preference()
    paid = [(await client.pay(preference_id=preference["id"]))["id"] for _ in range(12)]
    await sandbox.mercadopago.drain()
    arrived = [int(json.loads(hook.body)["data"]["id"]) for hook in receiver.received]
    assert sorted(arrived) == paid
    assert arrived != paid


async def test_delayed_webhooks_still_arrive_signed(
    client: Any, sandbox: Sandbox, receiver: Any
) -> None:
    await client.call("POST", "/_sandbox/mercadopago/faults", json={"webhook_delay_ms": 100})
    paid = await client.pay(preference_id=(await client.preference())["id"])
    await sandbox.mercadopago.drain()
    [hook] = receiver.received
    assert hook.query["data.id"] == str(paid["id"]) and "x-signature" in hook.headers
    [delivery] = sandbox.mercadopago.deliveries
    waited = datetime.fromisoformat(delivery["at"]) - datetime.fromisoformat(paid["date_created"])
    assert waited >= timedelta(milliseconds=100)


async def test_unknown_fault_names_are_refused(client: Any) -> None:
    status, body = await client.call("POST", "/_sandbox/mercadopago/faults", json={"reorder": True})
    assert status == 400 and "reorder" in body["error"]
