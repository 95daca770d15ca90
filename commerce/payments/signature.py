"""Verify MercadoPago's `x-signature` webhook header, as MercadoPago documents it.

The documented recipe: take `ts` and `v1` from `x-signature: ts=<ts>,v1=<hex>`, fill the
manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;` (leaving out any part whose value
is missing; an alphanumeric data.id in lower case), HMAC-SHA256 it with the application's
secret, and compare the hex digest with `v1`.

`ts` is documented in milliseconds, yet the documentation's own example and the official
SDK's validator use seconds. Both magnitudes are accepted for the age check: a value of 10^11
or more is milliseconds (10^11 seconds lies in the year 5138, 10^11 milliseconds in 1973).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta

from commerce.payments.base import InvalidSignature

_MS_THRESHOLD = 10**11
_MAX_TS_DIGITS = 16  # milliseconds stay under 16 digits until the year 318857
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def verify_signature(
    *,
    secret: str,
    x_signature: str | None,
    x_request_id: str | None,
    data_id: str | None,
    now: datetime | None = None,
    tolerance: timedelta | None = timedelta(minutes=5),
) -> None:
    """Return quietly when the signature is valid; raise InvalidSignature saying why not.

    `tolerance` bounds how far `ts` may be from `now` in either direction (replays, clocks);
    None disables the check.
    """
    if not secret:
        raise InvalidSignature("no webhook secret configured")
    if x_signature is None or not x_signature.strip():
        raise InvalidSignature("missing x-signature header")
    ts, v1 = _parse_header(x_signature)
    manifest = _manifest(_clean(data_id), _clean(x_request_id), ts)
    expected = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, v1.lower()):
        raise InvalidSignature("signature mismatch")
    if tolerance is not None:
        signed_at = timestamp_to_datetime(ts)
        current = now if now is not None else datetime.now(UTC)
        if abs(current - signed_at) > tolerance:
            raise InvalidSignature(f"timestamp {ts} is outside the {tolerance} tolerance")


def timestamp_to_datetime(ts: str) -> datetime:
    """Read `ts` as milliseconds or seconds since the epoch, by magnitude (see module doc).

    A value no clock can show (30 digits, say) is an InvalidSignature, never an overflow.
    """
    if not ts.isascii() or not ts.isdigit() or len(ts) > _MAX_TS_DIGITS:
        raise InvalidSignature(f"x-signature ts {ts[:20]!r} is not a time")
    value = int(ts)
    seconds = value / 1000 if value >= _MS_THRESHOLD else float(value)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidSignature(f"x-signature ts {ts} is not a time") from exc


def _parse_header(x_signature: str) -> tuple[str, str]:
    """Accept spaces and any order; demand exactly one `ts` (digits) and one `v1` (hex)."""
    found: dict[str, str] = {}
    for part in x_signature.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not key or not value:
            raise InvalidSignature(f"malformed x-signature part {part.strip()!r}")
        if key in found:
            raise InvalidSignature(f"x-signature repeats {key!r}")
        found[key] = value
    ts, v1 = found.get("ts"), found.get("v1")
    if ts is None:
        raise InvalidSignature("x-signature has no ts")
    if v1 is None:
        raise InvalidSignature("x-signature has no v1")
    if not ts.isascii() or not ts.isdigit():
        raise InvalidSignature("x-signature ts is not a number")
    if not _HEX_SHA256.fullmatch(v1):
        raise InvalidSignature("x-signature v1 is not a SHA-256 hex digest")
    return ts, v1


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _manifest(data_id: str | None, request_id: str | None, ts: str) -> str:
    parts = []
    if data_id is not None:
        parts.append(f"id:{data_id.lower() if data_id.isalnum() else data_id}")
    if request_id is not None:
        parts.append(f"request-id:{request_id}")
    parts.append(f"ts:{ts}")
    return "".join(f"{part};" for part in parts)
