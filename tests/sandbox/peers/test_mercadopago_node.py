"""MercadoPago's official Node SDK (3.6, pinned by node/package-lock.json) against the sandbox.

The sandbox runs in this process on a loopback port; `node/mercadopago_peer.js` runs as a
subprocess and talks to it over real sockets, pointed there only by the SDK's own base-URL
constant. It creates a preference; this test pays it through the control API, as a buyer
would; the program then reads the preference and the payment, searches, refunds and lists
refunds, and validates the webhooks the sandbox sends it with the SDK's
`WebhookSignatureValidator` (tolerance on). `make test` installs the SDK (`npm ci`).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sandbox.app import Sandbox, SandboxConfig

NODE_DIR = Path(__file__).parent / "node"
PROGRAM = NODE_DIR / "mercadopago_peer.js"
TOKEN = "APP_USR-node-peer-token"
SECRET = "node-peer-webhook-secret"
RUN_BOUND = 60.0  # seconds: a hung program fails the test instead of hanging the suite


@pytest.fixture
async def mp_sandbox() -> AsyncIterator[Sandbox]:
    config = SandboxConfig(
        mp_access_token=TOKEN, mp_webhook_secret=SECRET, mp_webhook_retry_delay=0.01
    )
    async with Sandbox(config) as running:
        yield running


def _node() -> str:
    node = shutil.which("node")
    assert node, "Node.js 20 or newer is needed for the MercadoPago Node SDK peer"
    installed = NODE_DIR / "node_modules" / "mercadopago" / "package.json"
    assert installed.exists(), f"run `npm ci --prefix {NODE_DIR}` (make test does)"
    return node


async def run_peer(sandbox: Sandbox) -> tuple[list[dict[str, Any]], str]:
    """Run the Node program, paying its preference when it asks; return its JSON lines."""
    process = await asyncio.create_subprocess_exec(
        _node(),
        str(PROGRAM),
        sandbox.url,
        TOKEN,
        SECRET,
        cwd=NODE_DIR,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    events: list[dict[str, Any]] = []

    async def converse() -> None:
        assert process.stdout is not None
        async with aiohttp.ClientSession() as session:
            async for line in process.stdout:
                event = json.loads(line)
                events.append(event)
                if event["event"] == "preference_created":
                    async with session.post(
                        f"{sandbox.url}/_sandbox/mercadopago/pay",
                        json={"preference_id": event["preference_id"], "status": "approved"},
                    ) as response:
                        assert response.status == 201, await response.text()

    try:
        await asyncio.wait_for(converse(), RUN_BOUND)
        stderr = (await process.stderr.read()).decode()
        await asyncio.wait_for(process.wait(), RUN_BOUND)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return events, stderr


async def test_node_sdk_runs_a_shop_against_the_sandbox(mp_sandbox: Sandbox) -> None:
    events, stderr = await run_peer(mp_sandbox)
    assert [e["event"] for e in events] == ["preference_created", "done"], (events, stderr)
    done = events[-1]
    assert done["sdk_version"].startswith("3.6.")

    preference = done["preference"]
    assert preference["status"] == 201
    assert preference["id"] in mp_sandbox.mercadopago.preferences
    assert preference["init_point"].startswith(f"{mp_sandbox.url}/mercadopago/checkout/v1/")
    assert preference["items"][0]["title"] == "Remera negra"
    assert preference["payer"]["name"] == "Ana"
    assert (preference["fetched_status"], preference["fetched_same"]) == (200, True)

    [paid] = mp_sandbox.mercadopago.payments.values()
    payment = done["payment"]
    assert payment["id"] == paid["id"]
    assert payment["external_reference"] == preference["external_reference"]
    assert (payment["status"], payment["currency_id"]) == ("approved", "ARS")
    assert payment["transaction_amount"] == 3001
    assert done["search"] == {"total": 1, "ids": [paid["id"]]}

    refund = done["refund"]
    assert (refund["status"], refund["payment_id"], refund["amount"]) == (201, paid["id"], 500.5)
    assert done["refunds_listed"] == {"status": 200, "ids": [refund["id"]]}
    assert paid["status_detail"] == "partially_refunded"

    # Every webhook passes the SDK's own validator with tolerance on, and fails it with
    # another secret: the check is real.
    hooks = done["webhooks"]
    assert [h["action"] for h in hooks] == ["payment.created", "payment.updated"]
    for hook in hooks:
        assert hook["data_id"] == hook["body_data_id"] == str(paid["id"])
        assert hook["validation"] == "ok", hook
        assert hook["wrong_secret_validation"] == "SignatureMismatch"

    not_found = done["errors"]
    assert not_found["preference_get_unknown"]["name"] == "MPNotFoundError"
    assert not_found["preference_get_unknown"]["status"] == 404
    payment_missing = not_found["payment_get_unknown"]
    assert (payment_missing["name"], payment_missing["error"]) == ("MPNotFoundError", "not_found")
    assert payment_missing["causes"][0]["code"] == 2000


async def test_millisecond_ts_fails_the_sdks_tolerance_check(mp_sandbox: Sandbox) -> None:
    """The control: signed with `ts` in milliseconds, as the stand-in once did, the SDK's
    validator (which reads seconds) refuses every webhook as out of tolerance."""
    mp_sandbox.mercadopago.set_faults(ts_in_milliseconds=True)
    events, stderr = await run_peer(mp_sandbox)
    assert events[-1]["event"] == "done", (events, stderr)
    hooks = events[-1]["webhooks"]
    assert hooks and all(len(h["ts"]) == 13 for h in hooks)
    assert {h["validation"] for h in hooks} == {"TimestampOutOfTolerance"}
