"""Signature vectors built here from MercadoPago's documented recipe, not from our code."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from commerce.payments.base import InvalidSignature
from commerce.payments.signature import verify_signature

SECRET = "your_secret_key_here"
NOW = datetime(2024, 1, 10, 17, 33, 30, tzinfo=UTC)
TS_MS = str(int(NOW.timestamp() * 1000))
REQUEST_ID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e"


def documented_v1(secret: str, manifest: str) -> str:
    """Step 4 of "Validate notification origin": HMAC-SHA256 of the manifest, in hex."""
    return hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()


def header_for(manifest: str, ts: str = TS_MS, secret: str = SECRET) -> str:
    return f"ts={ts},v1={documented_v1(secret, manifest)}"


def verify(x_signature: str | None, **overrides: object) -> None:
    arguments: dict[str, object] = {
        "secret": SECRET,
        "x_signature": x_signature,
        "x_request_id": REQUEST_ID,
        "data_id": "123456",
        "now": NOW,
    }
    arguments.update(overrides)
    verify_signature(**arguments)  # type: ignore[arg-type]


def test_valid_signature_passes() -> None:
    verify(header_for(f"id:123456;request-id:{REQUEST_ID};ts:{TS_MS};"))


def test_timestamp_in_seconds_is_accepted_too() -> None:
    ts = str(int(NOW.timestamp()))  # the magnitude of the documentation's own example
    verify(header_for(f"id:123456;request-id:{REQUEST_ID};ts:{ts};", ts=ts))


def test_missing_request_id_drops_that_part_of_the_manifest() -> None:
    verify(header_for(f"id:123456;ts:{TS_MS};"), x_request_id=None)


def test_request_id_signed_but_not_sent_fails() -> None:
    with pytest.raises(InvalidSignature, match="mismatch"):
        verify(header_for(f"id:123456;request-id:{REQUEST_ID};ts:{TS_MS};"), x_request_id=None)


def test_upper_case_alphanumeric_id_is_signed_lower_case() -> None:
    manifest = f"id:ord01jq4s4ky8hwq6na5pxb65b3d3;request-id:{REQUEST_ID};ts:{TS_MS};"
    verify(header_for(manifest), data_id="ORD01JQ4S4KY8HWQ6NA5PXB65B3D3")


def test_stale_timestamp_fails_unless_tolerance_is_disabled() -> None:
    old = NOW - timedelta(minutes=6)
    ts = str(int(old.timestamp() * 1000))
    signed = header_for(f"id:123456;request-id:{REQUEST_ID};ts:{ts};", ts=ts)
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(signed)
    verify(signed, tolerance=None)
    verify(signed, tolerance=timedelta(minutes=10))


def test_timestamp_from_the_future_fails() -> None:
    ahead = NOW + timedelta(minutes=6)
    ts = str(int(ahead.timestamp() * 1000))
    with pytest.raises(InvalidSignature, match="tolerance"):
        verify(header_for(f"id:123456;request-id:{REQUEST_ID};ts:{ts};", ts=ts))


def test_wrong_secret_fails() -> None:
    forged = header_for(f"id:123456;request-id:{REQUEST_ID};ts:{TS_MS};", secret="guessed")
    with pytest.raises(InvalidSignature, match="mismatch"):
        verify(forged)


def test_tampered_id_fails() -> None:
    signed = header_for(f"id:123456;request-id:{REQUEST_ID};ts:{TS_MS};")
    with pytest.raises(InvalidSignature, match="mismatch"):
        verify(signed, data_id="123457")


def test_header_parsing_tolerates_spaces_order_and_case_of_hex() -> None:
    v1 = documented_v1(SECRET, f"id:123456;request-id:{REQUEST_ID};ts:{TS_MS};")
    verify(f" v1 = {v1.upper()} , ts = {TS_MS} ")


@pytest.mark.parametrize(
    "x_signature",
    [
        None,
        "",
        "   ",
        f"ts={TS_MS}",
        "v1=" + "a" * 64,
        "garbage",
        "ts=soon,v1=" + "a" * 64,
        f"ts={TS_MS},v1=not-hex",
        f"ts={TS_MS},v1=" + "a" * 63,
        f"ts={TS_MS},ts={TS_MS},v1=" + "a" * 64,
        f"ts={TS_MS},v1=",
    ],
)
def test_malformed_header_fails(x_signature: str | None) -> None:
    with pytest.raises(InvalidSignature):
        verify(x_signature)


def test_empty_secret_refuses_everything() -> None:
    with pytest.raises(InvalidSignature, match="secret"):
        verify(header_for(f"id:123456;request-id:{REQUEST_ID};ts:{TS_MS};", secret=""), secret="")


@pytest.mark.parametrize("ts", ["9" * 30, "9" * 16, "99999999999999", "١٢٣", "²"])
def test_a_timestamp_no_clock_shows_is_refused_not_an_overflow(ts: str) -> None:
    """A correctly signed 30-digit `ts` raised OverflowError (a 500 at the webhook)."""
    manifest = f"id:123456;request-id:{REQUEST_ID};ts:{ts};"
    with pytest.raises(InvalidSignature):
        verify(header_for(manifest, ts=ts))
