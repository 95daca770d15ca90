"""Telegram deep links that carry a paid order to the private chat with the bot.

A Twitch or YouTube buyer without a public checkout page pays first; the thank-you then
gives them `https://t.me/<bot>?start=<token>`. Opening it sends `/start <token>` to the
bot in private (Telegram's deep linking: the payload is at most 64 characters of
`A-Za-z0-9_-`), and the delivery questions run there for that order.

The token is `<code>_<expiry>_<mac>`: the order's code, when the link stops working (Unix
seconds in base 36) and an HMAC-SHA256 of both under the bot's secret, cut to 12 bytes,
base64url. Nobody can make one for another order or stretch its life without the secret;
every process of one store derives the same secret (bots.runtime.bot), so any of them
reads it. The link is posted in a public chat, so opening it proves nothing: the opener
must send the operation number of the payment that paid the order, and only then is the
order theirs (commerce.payer_proof); another viewer who opens it gets nothing, and once
the details are given it takes none again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

#: How long a deep link takes the buyer to the questions after the payment.
LIFETIME = timedelta(days=3)
_TOKEN = re.compile(r"([A-Z0-9]{1,16})_([0-9a-z]{1,10})_([A-Za-z0-9_-]{16})")


def _mac(secret: bytes, code: str, expiry: str) -> str:
    digest = hmac.new(secret, f"deep link:{code}:{expiry}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def make(secret: bytes, code: str, now: datetime) -> str:
    """The `start` payload for order `code`, valid for LIFETIME from `now`."""
    expiry = _base36(int((now + LIFETIME).timestamp()))
    return f"{code}_{expiry}_{_mac(secret, code, expiry)}"


def read(secret: bytes, payload: str, now: datetime) -> str | None:
    """The order code a payload was made for, or None (not ours, altered, or expired)."""
    found = _TOKEN.fullmatch(payload.strip())
    if found is None:
        return None
    code, expiry, mac = found.groups()
    if not hmac.compare_digest(mac, _mac(secret, code, expiry)):
        return None
    if int(expiry, 36) < now.timestamp():
        return None
    return code


def url(username: str, payload: str) -> str:
    return f"https://t.me/{username}?start={payload}"
