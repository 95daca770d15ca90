"""Money: exact amounts, what viewers type, and how amounts are shown per locale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from commerce.errors import InvalidAmount
from commerce.money import Money, exponent, format_money, parse_amount, quantize


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1500", "ARS", "1500.00"),
        ("$1500", "ARS", "1500.00"),
        ("$ 1.500", "ARS", "1500.00"),
        ("1.500", "ARS", "1500.00"),
        ("1,500", "ARS", "1500.00"),
        ("1.500,50", "ARS", "1500.50"),
        ("1,500.50", "ARS", "1500.50"),
        ("1500,50", "ARS", "1500.50"),
        ("1500.50", "ARS", "1500.50"),
        ("1500.5", "ARS", "1500.50"),
        ("1.234.567", "ARS", "1234567.00"),
        ("1.234.567,89", "ARS", "1234567.89"),
        ("1,5k", "ARS", "1500.00"),
        ("1.5k", "ARS", "1500.00"),
        ("2k", "ARS", "2000.00"),
        ("2K", "ARS", "2000.00"),
        ("2 mil", "ARS", "2000.00"),
        ("ARS 1500", "ARS", "1500.00"),
        ("1500 ars", "ARS", "1500.00"),
        ("1500 pesos", "ARS", "1500.00"),
        ("  $\u00a01.500,00  ", "ARS", "1500.00"),
        ("R$ 10,90", "BRL", "10.90"),
        ("10 reais", "BRL", "10.00"),
        ("US$ 5", "USD", "5.00"),
        ("1.500", "CLP", "1500"),
        ("1500,00", "CLP", "1500"),
        ("2,5k", "CLP", "2500"),
        ("1000000000", "ARS", "1000000000.00"),
    ],
)
def test_parse_accepts(text: str, currency: str, expected: str) -> None:
    value = parse_amount(text, currency)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -exponent(currency)


@pytest.mark.parametrize("locale", ["es", "pt", "en"])
def test_parse_rules_do_not_depend_on_locale(locale: str) -> None:
    assert parse_amount("1.500,50", "ARS", locale) == Decimal("1500.50")
    assert parse_amount("1.500", "ARS", locale) == Decimal("1500")


@pytest.mark.parametrize(
    ("text", "currency", "reason"),
    [
        ("-1500", "ARS", "negative"),
        ("$-1500", "ARS", "negative"),
        ("- $1500", "ARS", "negative"),
        ("−5", "ARS", "negative"),
        ("0", "ARS", "zero"),
        ("$ 0,00", "ARS", "zero"),
        ("0k", "ARS", "zero"),
        ("nan", "ARS", "not_a_number"),
        ("NaN", "ARS", "not_a_number"),
        ("inf", "ARS", "not_a_number"),
        ("Infinity", "ARS", "not_a_number"),
        ("1e3", "ARS", "not_a_number"),
        ("1E+3", "ARS", "not_a_number"),
        ("", "ARS", "not_a_number"),
        ("mil pesos", "ARS", "not_a_number"),
        ("abc", "ARS", "not_a_number"),
        ("15OO", "ARS", "not_a_number"),
        ("1500.", "ARS", "not_a_number"),
        ("1..500", "ARS", "not_a_number"),
        ("1.5.0", "ARS", "not_a_number"),
        ("1.50.000", "ARS", "not_a_number"),
        ("01.500.000", "ARS", "not_a_number"),
        ("1.500,50.20", "ARS", "not_a_number"),
        ("1500 bananas", "ARS", "not_a_number"),
        ("1" * 41, "ARS", "too_long"),
        ("1500,5", "CLP", "too_many_decimals"),
        ("1,55", "CLP", "too_many_decimals"),
        ("12,3456", "ARS", "too_many_decimals"),
        ("0,001", "ARS", "too_many_decimals"),
        ("1000000000,01", "ARS", "too_large"),
        ("2000000k", "ARS", "too_large"),
        ("USD 10", "ARS", "wrong_currency"),
        ("10 reais", "ARS", "wrong_currency"),
    ],
)
def test_parse_rejects(text: str, currency: str, reason: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(text, currency)
    assert caught.value.reason == reason
    assert caught.value.code == "invalid_amount"


def test_parse_unknown_currency_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="XYZ"):
        parse_amount("10", "XYZ")


def test_money_quantizes_half_up_to_the_currency() -> None:
    assert Money(Decimal("10.005"), "ARS").amount == Decimal("10.01")
    assert Money(Decimal("10.004"), "ARS").amount == Decimal("10.00")
    assert Money(Decimal("1500.5"), "CLP").amount == Decimal("1501")
    assert Money(7, "ARS").amount == Decimal("7.00")
    assert quantize(Decimal("2.345"), "USD") == Decimal("2.35")


@pytest.mark.parametrize("bad", [1.5, True, "10"])
def test_money_rejects_floats_and_non_numbers(bad: object) -> None:
    with pytest.raises(TypeError):
        Money(bad, "ARS")  # type: ignore[arg-type]


def test_money_rejects_unknown_currency_and_non_finite() -> None:
    with pytest.raises(ValueError, match="XYZ"):
        Money(Decimal(1), "XYZ")
    with pytest.raises(ValueError):
        Money(Decimal(1), "eur")
    with pytest.raises(ValueError):
        Money(Decimal("NaN"), "ARS")


@pytest.mark.parametrize(
    ("currency", "places", "minor"),
    [
        ("EUR", 2, 123457),
        ("JPY", 0, 1235),
        ("KRW", 0, 1235),
        ("BHD", 3, 1234568),
        ("GBP", 2, 123457),
    ],
)
def test_money_takes_any_iso_currency_with_its_own_exponent(
    currency: str, places: int, minor: int
) -> None:
    """Tips from platforms come in whatever the viewer paid; only selling is limited."""
    money = Money(Decimal("1234.5678"), currency)
    assert exponent(currency) == places
    assert money.minor == minor
    assert Money.from_minor(minor, currency) == money


def test_money_arithmetic_and_comparison() -> None:
    a = Money(Decimal("1500.50"), "ARS")
    assert a + Money(Decimal("0.50"), "ARS") == Money(Decimal("1501"), "ARS")
    assert a * 3 == Money(Decimal("4501.50"), "ARS")
    assert 2 * a == a + a
    assert a - a == Money.zero("ARS")
    assert Money(Decimal(1), "ARS") < a <= a
    assert a > Money(Decimal(1), "ARS")
    with pytest.raises(ValueError):
        _ = a + Money(Decimal(1), "CLP")
    with pytest.raises(ValueError):
        _ = a < Money(Decimal(1), "USD")


def test_money_minor_units_round_trip() -> None:
    assert Money(Decimal("1500.50"), "ARS").minor == 150050
    assert Money(Decimal("1500"), "CLP").minor == 1500
    assert Money.from_minor(150050, "ARS") == Money(Decimal("1500.50"), "ARS")
    assert Money.from_minor(1500, "CLP").amount == Decimal("1500")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1500", "ARS", "es", "$ 1.500,00"),
        ("1500.5", "ARS", "es", "$ 1.500,50"),
        ("1500", "CLP", "es", "$ 1.500"),
        ("1500", "USD", "es", "US$ 1.500,00"),
        ("1500", "USD", "en", "$1,500.00"),
        ("1500", "CLP", "en", "CLP 1,500"),
        ("1500", "ARS", "en", "ARS 1,500.00"),
        ("1500", "BRL", "pt", "R$ 1.500,00"),
        ("1500", "CLP", "pt", "CLP 1.500"),
        ("1500", "ARS", "xx", "$ 1.500,00"),
        ("1234567.89", "ARS", "es_AR", "$ 1.234.567,89"),
        ("1500", "BRL", "pt-BR", "R$ 1.500,00"),
    ],
)
def test_format_money(amount: str, currency: str, locale: str, expected: str) -> None:
    money = Money(Decimal(amount), currency)
    assert format_money(money, locale) == expected
    assert money.format(locale) == expected


@pytest.mark.parametrize("currency", ["ARS", "CLP", "BRL", "USD"])
def test_formatted_amounts_parse_back(currency: str) -> None:
    money = Money(Decimal("1234.5"), currency)
    assert parse_amount(money.format("es"), currency) == money.amount
