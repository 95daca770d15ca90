"""Money: a Decimal amount and an ISO 4217 currency, quantized to the currency's exponent.

Amounts are exact Decimals rounded half-up to what the currency can express (CLP has no
cents), so totals computed here match what MercadoPago charges to the last unit.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, is_currency

from commerce.errors import InvalidAmount

# The currencies a store may sell in (MercadoPago's seven, plus USD), with their exponents.
# Money itself takes any ISO 4217 currency: tips from platforms arrive in whatever the
# viewer paid (a Super Chat in JPY, a cheer valued in EUR) and are kept as reported.
EXPONENTS: dict[str, int] = {
    "ARS": 2,
    "BRL": 2,
    "MXN": 2,
    "CLP": 0,
    "COP": 2,
    "PEN": 2,
    "UYU": 2,
    "USD": 2,
}

MAX_AMOUNT = Decimal(10**9)
MAX_INPUT_LENGTH = 40


def exponent(currency: str) -> int:
    """Decimal places the currency uses (JPY 0, BHD 3); ValueError for a code ISO 4217 lacks.

    Selling currencies come from EXPONENTS; any other ISO code from Babel's CLDR data.
    """
    known = EXPONENTS.get(currency)
    if known is not None:
        return known
    if len(currency) == 3 and currency.isalpha() and currency.isupper() and is_currency(currency):
        return int(get_currency_precision(currency))
    raise ValueError(f"unsupported currency {currency!r}")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's exponent (the only rounding Vivo ever does)."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Floats are refused: they cannot hold 0.10 exactly."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount: object = self.amount
        if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
            raise TypeError(f"Money amount must be Decimal or int, not {type(amount).__name__}")
        value = Decimal(amount)
        if not value.is_finite():
            raise ValueError(f"Money amount must be finite, got {value}")
        object.__setattr__(self, "amount", quantize(value, self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From an integer count of the currency's smallest unit (how the database stores it)."""
        if cls is Money and type(minor) is int:
            return _from_minor(minor, currency)  # immutable, so one per amount will do
        return cls(Decimal(minor).scaleb(-exponent(currency)), currency)

    @property
    def minor(self) -> int:
        """The amount as an integer count of the currency's smallest unit (cents, or pesos)."""
        return int(self.amount.scaleb(exponent(self.currency)))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def format(self, locale: str = "es") -> str:
        return format_money(self, locale)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


# --- parsing -----------------------------------------------------------------------------

_CURRENCY_WORDS: dict[str, frozenset[str]] = {
    "ARS": frozenset({"peso", "pesos"}),
    "CLP": frozenset({"peso", "pesos"}),
    "COP": frozenset({"peso", "pesos"}),
    "MXN": frozenset({"peso", "pesos"}),
    "UYU": frozenset({"peso", "pesos"}),
    "BRL": frozenset({"real", "reais", "reales", "r$"}),
    "PEN": frozenset({"sol", "soles", "s/"}),
    "USD": frozenset({"dolar", "dolares", "dólar", "dólares", "dollar", "dollars", "us$", "u$s"}),
}

_AMOUNT_RE = re.compile(
    r"""^
    (?P<sign>[-−]?)\s*
    (?P<pre>[^\W\d_]{3}|r\$|us\$|u\$s|s/|\$)?\s*
    (?P<sign2>[-−]?)\s*
    (?P<num>\d[\d.,]*)
    \s*(?P<k>k|mil)?
    \s*(?P<post>[^\W\d_]+|\$)?
    $""",
    re.VERBOSE,
)
_GROUPED_RE = re.compile(r"^(?:0|[1-9]\d{0,2}(?:[.,]\d{3})*)$")


def parse_amount(text: str, currency: str, locale: str = "es") -> Decimal:
    """Read an amount the way viewers type it, in `currency`; raise InvalidAmount otherwise.

    The rules are the same in es, pt and en, because chat mixes habits:

    - Optional currency marks before or after: `$`, `R$`, `US$`, the ISO code (`ARS 1500`)
      or a word (`1500 pesos`). A code or word of another currency is "wrong_currency".
    - One separator followed by exactly three digits (after one to three digits) groups
      thousands: `1.500` and `1,500` are 1500. Followed by one or two digits it is the
      decimal point: `1500,50`, `1500.50`. Repeated separators group thousands
      (`1.500.000`); with both kinds, the last one is the decimal point (`1.500,50`,
      `1,500.50`), and groups must be of three digits.
    - `k` or `mil` multiplies by a thousand; before it, a single separator is always
      decimal: `2k`, `1,5k`, `1.5k` are 2000, 1500, 1500.
    - Decimals beyond the currency's exponent are "too_many_decimals" unless they are zeros
      (`CLP 1500,5` fails, `CLP 1500,00` is 1500).
    - Rejected with a reason key: "negative", "zero", "not_a_number" (garbage, NaN, inf,
      `1e3`), "too_many_decimals", "too_large" (over 10**9), "too_long" (over 40 characters),
      "wrong_currency".

    `locale` is accepted for callers that know it; no rule depends on it today.
    """
    exponent(currency)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidAmount(text[:MAX_INPUT_LENGTH], "too_long")
    cleaned = " ".join(text.lower().split())
    match = _AMOUNT_RE.match(cleaned)
    if match is None:
        if re.match(r"^\W*[-−]\s*\d", cleaned):
            raise InvalidAmount(text, "negative")
        raise InvalidAmount(text, "not_a_number")
    if match["sign"] or match["sign2"]:
        raise InvalidAmount(text, "negative")
    for mark in (match["pre"], match["post"]):
        if mark is not None:
            _check_mark(text, mark, currency)
    value = _number(text, match["num"], thousand=match["k"] is not None)
    if match["k"] is not None:
        value *= 1000
    if value == 0:
        raise InvalidAmount(text, "zero")
    if value > MAX_AMOUNT:
        raise InvalidAmount(text, "too_large")
    rounded = quantize(value, currency)
    if rounded != value:
        raise InvalidAmount(text, "too_many_decimals")
    return rounded


def _check_mark(text: str, mark: str, currency: str) -> None:
    if mark == "$":
        return
    if mark.upper() in EXPONENTS:
        if mark.upper() != currency:
            raise InvalidAmount(text, "wrong_currency")
        return
    if mark in _CURRENCY_WORDS.get(currency, frozenset()):
        return
    if any(mark in words for words in _CURRENCY_WORDS.values()):
        raise InvalidAmount(text, "wrong_currency")
    raise InvalidAmount(text, "not_a_number")


def _number(text: str, num: str, *, thousand: bool) -> Decimal:
    """Turn the digits-and-separators part into a Decimal, per the rules in parse_amount."""
    if not num[-1].isdigit() or ".." in num or ",," in num or ".," in num or ",." in num:
        raise InvalidAmount(text, "not_a_number")
    seps = [c for c in num if c in ".,"]
    integer, fraction = num, ""
    if len(set(seps)) == 2:
        decimal_sep = seps[-1]
        if seps.count(decimal_sep) != 1:
            raise InvalidAmount(text, "not_a_number")
        integer, fraction = num.split(decimal_sep)
        if not _GROUPED_RE.match(integer):
            raise InvalidAmount(text, "not_a_number")
    elif len(seps) == 1:
        head, tail = num.split(seps[0])
        if not thousand and len(tail) == 3 and len(head) <= 3 and head[0] != "0":
            integer = num
        else:
            integer, fraction = head, tail
    elif len(seps) > 1 and not _GROUPED_RE.match(num):
        raise InvalidAmount(text, "not_a_number")
    digits = integer.replace(".", "").replace(",", "")
    try:
        return Decimal(f"{digits}.{fraction}" if fraction else digits)
    except InvalidOperation:
        raise InvalidAmount(text, "not_a_number") from None


# --- formatting --------------------------------------------------------------------------

_SPANISH_TERRITORY = {
    "ARS": "es_AR",
    "CLP": "es_CL",
    "COP": "es_CO",
    "MXN": "es_MX",
    "PEN": "es_PE",
    "UYU": "es_UY",
}
_SHORT_LOCALES = {"en": "en_US", "pt": "pt_BR"}


def _babel_locale(locale: str, currency: str) -> Locale:
    name = locale.replace("-", "_")
    if name.lower() == "es":
        name = _SPANISH_TERRITORY.get(currency, "es_AR")
    name = _SHORT_LOCALES.get(name.lower(), name)
    try:
        return Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("es_AR")


@functools.lru_cache(maxsize=4096)
def _from_minor(minor: int, currency: str) -> Money:
    """`Money.from_minor`, kept: a store prices in a few amounts, and every order and reply
    builds them again (a Decimal, its exponent and its rounding each time)."""
    return Money(Decimal(minor).scaleb(-exponent(currency)), currency)


def format_money(money: Money, locale: str) -> str:
    return _formatted(money.amount, money.currency, locale)


@functools.lru_cache(maxsize=4096)
def _formatted(amount: Decimal, currency: str, locale: str) -> str:
    """Format for chat: es -> `$ 1.500,00` (the store's country), en -> en_US, pt -> pt_BR.

    Short locales pick a territory (Spanish follows the currency: CLP shows as es_CL would,
    without decimals). Babel's non-breaking spaces become plain spaces, since chat
    platforms and templates treat them inconsistently.
    """
    loc = _babel_locale(locale, currency)
    pattern: str | None = None
    if loc.language == "es" or (loc.language == "en" and currency != "USD"):
        pattern = "¤ #,##0.00"
    text = format_currency(amount, currency, format=pattern, locale=loc)
    return text.replace("\xa0", " ").replace("\u202f", " ")
