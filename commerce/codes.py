"""The strings people read aloud and type: public order/tip codes and variant keys.

Codes are drawn from `secrets` over an alphabet without look-alike characters; variant keys
are the canonical "name=value,..." form of a variant's options, and `match_variant` resolves
whatever a viewer typed ("talle=L", "L", the full key) to exactly one variant. Pure functions:
no database, so the ORM paths and the reservation fast path share them.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from commerce import errors

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed safely
ORDER_CODE_LENGTH = 10
TIP_CODE_LENGTH = 12


def new_code(length: int = ORDER_CODE_LENGTH) -> str:
    """A public code from `secrets`: 31**10 (about 8e14) possibilities for an order.

    One uniform draw below 31**length, written in base 31 (as uniform as `length` separate
    `secrets.choice` calls, at a fraction of the cost: this runs on every reservation)."""
    base = len(CODE_ALPHABET)
    draw = secrets.randbelow(base**length)
    digits = []
    for _ in range(length):
        draw, digit = divmod(draw, base)
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


def canonical_variant_key(options: Mapping[str, str]) -> str:
    """`{"Talle": "M", "color": "rojo"}` -> "color=rojo,talle=M": names lower-cased and sorted."""
    pairs = sorted((name.strip().lower(), value.strip()) for name, value in options.items())
    return ",".join(f"{name}={value}" for name, value in pairs)


def parse_variant_key(key: str) -> dict[str, str] | None:
    """ "talle=M, color=rojo" -> options; None when `key` is not in name=value form."""
    options: dict[str, str] = {}
    for part in key.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            return None
        options[name.strip().lower()] = value.strip()
    return options


def match_variant(sku: str, variants: Sequence[Any], requested: str) -> int:
    """Match a requested variant by options, any case: the full key, part of it
    ("talle=L") or a bare value ("L"), as long as exactly one variant fits."""
    keys = [v.key for v in variants]
    options = parse_variant_key(requested)

    def fits(v: Any) -> bool:
        have = {name: value.casefold() for name, value in v.options.items()}
        if options is None:
            return requested.strip().casefold() in have.values()
        return all(have.get(name) == value.casefold() for name, value in options.items())

    hits = [v for v in variants if fits(v)]
    if len(hits) == 1:
        return int(hits[0].id)
    if len(hits) > 1:
        raise errors.VariantRequired(sku, [v.key for v in hits])
    raise errors.VariantNotFound(sku, requested, keys)


__all__ = [
    "CODE_ALPHABET",
    "ORDER_CODE_LENGTH",
    "TIP_CODE_LENGTH",
    "canonical_variant_key",
    "match_variant",
    "new_code",
    "parse_variant_key",
]
