"""Money: a Decimal amount and an ISO 4217 currency, quantized to the currency's exponent.

CONTRACT STUB — the commerce helper replaces this module's body (parsing, Babel formatting)
keeping these names and signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

EXPONENTS: dict[str, int] = {
    "ARS": 2, "BRL": 2, "MXN": 2, "CLP": 0, "COP": 2, "PEN": 2, "UYU": 2, "USD": 2,
}


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str
