"""Hostile input at /webhooks/mercadopago: nothing gets a 5xx, nothing bad is stored.

Today JSON nested 30,000 deep and a signed `ts` of 30 digits both answered 500 with a
traceback. Each case here is what a scanner, a buggy proxy or an attacker could send; the
store runs on SQLite and on PostgreSQL, whose JSON type refuses more than SQLite does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import text

from bots.runtime.events import EventBus
from bots.runtime.notifications import NotificationInbox
from bots.runtime.payments import PaymentRecorder
from bots.web.app import build_app
from commerce.db import make_engine
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from sandbox.mercadopago import sign_notification
from tests.pg import fresh_database

SECRET = "fuzz-secret"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One migrated store per database for the module; each test starts with no rows."""
    for url in _database(request.param, tmp_path_factory):
        store = Store(url)
        store.migrate()
        try:
            yield store
        finally:
            store.close()


def _database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
        return
    with fresh_database("vivo_fuzz") as url:
        yield url


@dataclass
class Hook:
    store: Store
    url: str

    async def post(
        self,
        body: bytes,
        *,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.url}?{query}", data=body, headers=headers or {}) as resp,
        ):
            await resp.read()
            return resp.status

    def stored(self) -> int:
        return len(self.store.unprocessed_notifications(10_000))  # the inbox is stopped


@pytest.fixture
async def hook(store: Store) -> AsyncIterator[Hook]:
    engine = make_engine(store.url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM notifications"))
    engine.dispose()
    # Nothing listens there: a stored row would only fail to fetch, which is not the point.
    provider = MercadoPagoProvider("TEST-fuzz", SECRET, endpoint="http://127.0.0.1:9")
    recorder = PaymentRecorder(store, provider, EventBus())
    inbox = NotificationInbox(store, provider, recorder)
    runner = web.AppRunner(build_app(store, provider, recorder, inbox=inbox), access_log=None)
    await runner.setup()
    await inbox.stop()  # keep rows as the webhook left them
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Hook(store, f"http://127.0.0.1:{port}/webhooks/mercadopago")
    finally:
        await runner.cleanup()


def signed(data_id: str, ts: str | None = None) -> dict[str, str]:
    request_id = str(uuid.uuid4())
    ts = ts or str(int(time.time() * 1000))
    return {
        "x-signature": sign_notification(SECRET, data_id, request_id, ts),
        "x-request-id": request_id,
    }


def forged_ts(data_id: str, ts: str) -> dict[str, str]:
    """A correct HMAC over a `ts` no clock shows (what a buggy signer would send)."""
    request_id = "r-1"
    manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
    v1 = hmac.new(SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-signature": f"ts={ts},v1={v1}", "x-request-id": request_id}


def payment_body(data_id: object) -> bytes:
    body = {"type": "payment", "action": "payment.created", "data": {"id": data_id}}
    return json.dumps(body).encode()


Q1 = "data.id=1&type=payment"
DEEP = 30_000

# (name, body, query, headers) — each must be refused with a 4xx and store nothing.
BAD: list[tuple[str, bytes, str, dict[str, str]]] = [
    ("deep arrays", b"[" * DEEP + b"]" * DEEP, Q1, signed("1")),
    ("deep objects", b'{"a":' * DEEP + b"1" + b"}" * DEEP, Q1, signed("1")),
    ("deep data.id", b'{"data": {"id": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "", {}),
    ("30-digit ts", payment_body("1"), Q1, forged_ts("1", "9" * 30)),
    ("16-digit ts", payment_body("1"), Q1, forged_ts("1", "9" * 16)),
    ("ts in other digits", payment_body("1"), Q1, forged_ts("1", "١٢٣٤")),
    ("ts superscript", payment_body("1"), Q1, {"x-signature": "ts=²,v1=" + "a" * 64}),
    ("huge exponent", b'{"type": "payment", "data": {"id": 1e999999}}', "", {}),
    ("huge integer", b'{"type": "payment", "data": {"id": ' + b"9" * 5000 + b"}}", "", {}),
    ("31-digit id", payment_body(10**30), "", {}),
    ("NaN", b'{"type": "payment", "data": {"id": NaN}}', "", {}),
    ("Infinity elsewhere", b'{"type": "payment", "x": -Infinity, "data": {"id": "1"}}', Q1, {}),
    ("bad UTF-8", b'{"type": "payment", "data": {"id": "\xff\xfe"}}', "", {}),
    ("lone surrogate", b'{"type": "payment", "note": "\\ud800", "data": {"id": "5"}}', "", {}),
    ("latin-1 body", '{"type": "payment", "n": "ñ"}'.encode("latin-1"), "topic=payment&id=5", {}),
    ("id is a list", payment_body([1]), "", {}),
    ("id is an object", payment_body({"id": 1}), "", {}),
    ("id is true", payment_body(True), "", {}),
    ("id is null", payment_body(None), "", {}),
    ("id is a float", payment_body(1.5), "", {}),
    ("id is empty", payment_body(""), "", {}),
    ("id is negative", payment_body(-7), "", {}),
    ("id is search", payment_body("search"), "", {}),
    ("data is a list", b'{"type": "payment", "data": [1]}', "", {}),
    ("body is a list", b"[1, 2]", "", {}),
    ("body is a string", b'"payment"', "", {}),
    ("body is a number", b"12", "", {}),
    ("no fields at all", b"{}", "", {}),
    ("type only", b'{"type": "payment"}', "", {}),
    ("not JSON", b"topic=payment&id=1", "", {}),
    ("query id differs", payment_body("2"), Q1, signed("1")),
    ("IPN id search", b"", "topic=payment&id=search", {}),
    ("IPN id with a path", b"", "topic=payment&id=1/refunds", {}),
    ("IPN id with a query", b"", "topic=payment&id=1%3Flimit%3D1", {}),
    ("IPN id unicode digits", b"", "topic=payment&id=%D9%A1%D9%A2", {}),
    ("IPN bad percent-encoding", b"", "topic=payment&id=%ff%fe", {}),
    ("IPN huge id", b"", "topic=payment&id=" + "9" * 10_000, {}),
    ("IPN without id", b"", "topic=payment", {}),
    ("huge x-signature", payment_body("1"), Q1, {"x-signature": "ts=1,v1=" + "a" * 100_000}),
    ("huge x-request-id", payment_body("1"), Q1, {"x-request-id": "r" * 100_000}),
    ("many headers", payment_body("1"), Q1, {f"x-h{n}": "v" for n in range(200)}),
    ("oversized body", b'{"pad": "' + b"x" * 70_000 + b'"}', Q1, signed("1")),
    ("repeated ts", payment_body("1"), Q1, {"x-signature": "ts=1,ts=2,v1=" + "a" * 64}),
    ("v1 not hex", payment_body("1"), Q1, {"x-signature": "ts=1,v1=" + "z" * 64}),
]


@pytest.mark.parametrize(("name", "body", "query", "headers"), BAD, ids=[b[0] for b in BAD])
async def test_hostile_input_is_refused_without_a_5xx(
    hook: Hook, name: str, body: bytes, query: str, headers: dict[str, str]
) -> None:
    status = await hook.post(body, query=query, headers=headers)
    assert 400 <= status < 500, (name, status)
    assert hook.stored() == 0


async def test_odd_but_harmless_input_is_answered_and_kept_safely(hook: Hook) -> None:
    """Not every strange notification is bad: these are answered 200, and what is stored
    can be stored on either database."""
    odd = b'{"topic": "payment", "note": "\\u0000 \\ud83d\\ude00 \xc3\xb1", "n": 1e308}'
    assert await hook.post(odd, query="topic=payment&id=42") == 200
    assert await hook.post(payment_body(43), query="", headers=signed("43")) == 200
    assert await hook.post(b"", query="topic=merchant_order&id=search") == 200  # ignored
    assert await hook.post(payment_body("7"), query="data.id=7&type=payment") == 401
    assert sorted(n.resource_id for n in hook.store.unprocessed_notifications()) == ["42", "43"]


async def test_random_mutations_of_a_real_notification_never_get_a_5xx(hook: Hook) -> None:
    rng = random.Random(20261202)
    real = payment_body("1234567890")
    headers = signed("1234567890")
    for _ in range(300):
        body = bytearray(real)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(body))
            choice = rng.random()
            if choice < 0.4:
                body[at] = rng.randrange(256)
            elif choice < 0.7:
                body[at:at] = bytes(rng.choice(b'[]{}":,0123456789e-\\u\xff') for _ in range(3))
            else:
                del body[at]
        query = rng.choice(["data.id=1234567890&type=payment", "", "topic=payment&id=1234567890"])
        status = await hook.post(bytes(body), query=query, headers=rng.choice([headers, {}]))
        assert status < 500, (bytes(body), query, status)
    for row in hook.store.unprocessed_notifications(10_000):
        assert row.resource_id == "1234567890"
