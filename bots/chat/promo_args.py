"""What `!oferta` and a coupon in `!comprar` look like, as pure functions over the words.

Like `parse_quantity` (bots.chat.converters): each noun has its accepted forms in the
docstring, returns None for "not mine" and raises BadArgument for "mine but wrong", so
every form is testable without a store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bots.chat.router import BadArgument, MissingArgument
from bots.chat.text import fold, words
from commerce.errors import InvalidAmount
from commerce.money import parse_amount

_PERCENT = re.compile(r"^-?(\d{1,3})\s*%$")
_DURATION = re.compile(r"^(\d{1,5})(s|seg|sec|segs|secs|m|min|mins|h|hs|hr|hrs)$")
_UNITS = {"s": 1, "m": 60, "h": 3600}
# Words before a per-buyer limit: `max 1`, `máx 1`, `limite 2`, `limit 2`.
_LIMIT_WORDS = frozenset({"max", "maximo", "limite", "limit", "tope"})
# `!oferta fin`: words that end the sale on now instead of starting one.
END_WORDS = frozenset({"fin", "end", "fim", "off", "stop", "terminar", "parar", "acabar"})
MAX_LIMIT = 99
# A coupon code: letters and digits (a dash or underscore inside), 3 to 32 characters.
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,30}[A-Za-z0-9]$")


@dataclass(frozen=True, slots=True)
class FlashArgs:
    """`!oferta remera 20% 5m max 1` read: the product's words, and the sale."""

    product_text: str
    percent: int | None
    price: Decimal | None
    duration: timedelta
    max_per_buyer: int | None


def parse_percent(word: str) -> int | None:
    """`20%`, `-20%` (a percent off), or None. The range is the store's to check."""
    match = _PERCENT.match(word.strip())
    return int(match.group(1)) if match else None


def parse_duration(word: str) -> timedelta | None:
    """`30s`, `90seg`, `5m`, `5min`, `1h`, `2hs`, or None for anything else."""
    match = _DURATION.match(fold(word))
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)[0]])


def parse_flash(text: str, currency: str, locale: str = "es") -> FlashArgs:
    """`<producto> <20%|precio> <5m> [max N]`: read from the end, so the product may be
    several words (`remera negra 20% 5m`). Raises MissingArgument when a part is missing,
    BadArgument naming the word that is wrong."""
    parts = words(text)
    limit: int | None = None
    if len(parts) >= 2 and fold(parts[-2]).rstrip(".:") in _LIMIT_WORDS:
        raw = parts[-1]
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise BadArgument("flash_bad_limit", value=raw)
        limit = int(raw)
        parts = parts[:-2]
    if len(parts) < 3:
        raise MissingArgument("flash_usage")
    duration = parse_duration(parts[-1])
    if duration is None:
        raise BadArgument("flash_bad_duration", value=parts[-1])
    discount = parts[-2]
    percent = parse_percent(discount)
    price: Decimal | None = None
    if percent is None:
        try:
            price = parse_amount(discount, currency, locale)
        except InvalidAmount:
            raise BadArgument("flash_bad_discount", value=discount) from None
    return FlashArgs(" ".join(parts[:-2]), percent, price, duration, limit)


def split_coupon(text: str) -> tuple[str, str] | None:
    """(the purchase, the coupon) when the last word may be a coupon code: `remera M
    CUPON10` -> ("remera M", "CUPON10"). None when there is one word only, or the last one
    cannot be a code. Whether it IS a code is the store's to say; the caller only asks
    when the purchase did not parse with that word in it, so sizes, quantities and
    shout-out messages parse exactly as before."""
    parts = text.rsplit(maxsplit=1)
    if len(parts) != 2 or not _CODE.match(parts[1]):
        return None
    return parts[0], parts[1]


def looks_like_code(word: str) -> bool:
    """A word nobody types as a size or a colour: letters AND digits (`CUPON10`, `VIVO2x1`)."""
    return (
        bool(_CODE.match(word))
        and any(c.isdigit() for c in word)
        and any(c.isalpha() for c in word)
    )


def duration_text(duration: timedelta) -> str:
    """`5 min`, `90 s`, `1 h 30 min`: short, the same in es/en/pt."""
    seconds = int(duration.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)
