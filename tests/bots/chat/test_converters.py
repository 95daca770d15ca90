"""Purchase parsing as a pure function of the text and a hand-built catalog."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bots.chat.converters import parse_purchase, parse_quantity
from bots.chat.router import BadArgument, MissingArgument
from commerce.money import Money
from commerce.views import ProductView, VariantView


def _money(amount: str) -> Money:
    return Money(Decimal(amount), "ARS")


def _variant(n: int, **options: str) -> VariantView:
    key = ",".join(f"{k}={options[k]}" for k in sorted(options))
    return VariantView(n, key, dict(options), _money("15000"), 5, 5)


def _product(n: int, sku: str, name: str, *aliases: str, variants: tuple[VariantView, ...] = ()):
    return ProductView(
        n, sku, name, aliases, "", _money("1000"), 10, 10, True, None, None, False, variants
    )


REMERA = _product(
    1,
    "REM",
    "Remera",
    "camiseta",
    variants=tuple(
        _variant(i, talle=t, color=c)
        for i, (t, c) in enumerate(
            [(t, c) for t in ("S", "M", "L") for c in ("negro", "blanco")], start=1
        )
    ),
)
TAZA = _product(2, "TAZA", "Taza", "mug")
STICKERS = _product(3, "STICK-PACK", "Sticker pack", "stickers")
SALUDO = _product(4, "SALUDO", "Saludo personalizado")
BUZO = _product(5, "BUZO", "Buzo", variants=(_variant(20, talle="M"), _variant(21, talle="L")))
CATALOG = [REMERA, TAZA, STICKERS, SALUDO, BUZO]


def one(text: str) -> tuple[str, str | None, int]:
    (item,) = parse_purchase(text, CATALOG, max_items=20)
    return item.product.sku, item.variant.key if item.variant else None, item.quantity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("remera M negro 2", ("REM", "color=negro,talle=M", 2)),
        ("2 remeras negras talle M", ("REM", "color=negro,talle=M", 2)),
        ("REMERAS BLANCAS s", ("REM", "color=blanco,talle=S", 1)),
        ("dos camisetas blancas L", ("REM", "color=blanco,talle=L", 2)),
        ("taza x3", ("TAZA", None, 3)),
        ("3x taza", ("TAZA", None, 3)),
        ("taza x 3", ("TAZA", None, 3)),
        ("tazas", ("TAZA", None, 1)),
        ("Tazas tres", ("TAZA", None, 3)),
        ("three mugs", ("TAZA", None, 3)),
        ("duas tazas", ("TAZA", None, 2)),
        ("diez stickers", ("STICK-PACK", None, 10)),
        ("stick-pack", ("STICK-PACK", None, 1)),
        ("una taza por favor", ("TAZA", None, 1)),
        ("Saludo personalizado", ("SALUDO", None, 1)),
        ("2 saludos personalizados", ("SALUDO", None, 2)),
        ("buzo talle M", ("BUZO", "talle=M", 1)),
        ("buzos L 4", ("BUZO", "talle=L", 4)),
        ("remera negro/M", ("REM", "color=negro,talle=M", 1)),
    ],
)
def test_parses_natural_orders(text: str, expected: tuple[str, str | None, int]) -> None:
    assert one(text) == expected


def test_several_items_in_one_command() -> None:
    items = parse_purchase("remera M negra, 2 tazas + stickers x5", CATALOG, max_items=20)
    assert [(i.product.sku, i.quantity) for i in items] == [
        ("REM", 1),
        ("TAZA", 2),
        ("STICK-PACK", 5),
    ]
    with pytest.raises(BadArgument) as error:
        parse_purchase("taza, taza, taza", CATALOG, max_items=2)
    assert error.value.key == "too_many_items"


@pytest.mark.parametrize(
    "text", ["remera M negro 0", "taza -2", "taza 100", "taza 99999", "0x taza"]
)
def test_rejects_quantities_out_of_range(text: str) -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase(text, CATALOG, max_items=20)
    assert error.value.key == "bad_quantity"
    assert error.value.params == {"max": 99}


def test_quantity_words_and_limits() -> None:
    assert parse_quantity("99") == 99
    assert parse_quantity("×7") == 7
    assert parse_quantity("negro") is None
    with pytest.raises(BadArgument):
        parse_quantity("9" * 5000)


def test_variant_missing_lists_the_options_left() -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase("remera", CATALOG, max_items=20)
    assert error.value.key == "variant_required"
    assert str(error.value.params["options"]) == "color: negro, blanco · talle: S, M, L"
    with pytest.raises(BadArgument) as error:
        parse_purchase("remera M", CATALOG, max_items=20)
    assert str(error.value.params["options"]) == "color: negro, blanco"


def test_unknown_variant_names_it_and_the_choices() -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase("remera verde M", CATALOG, max_items=20)
    assert error.value.key == "unknown_variant"
    assert error.value.params["variant"] == "verde"


def test_unknown_words_for_a_plain_product_are_not_ignored() -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase("taza gigante", CATALOG, max_items=20)
    assert error.value.key == "unknown_words"
    assert error.value.params["words"] == "gigante"


def test_two_different_quantities_are_refused() -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase("2 tazas 3", CATALOG, max_items=20)
    assert error.value.key == "two_quantities"


@pytest.mark.parametrize(
    ("text", "suggestion"), [("remra M", "Remera"), ("tasa", "Taza"), ("stikers", "Sticker pack")]
)
def test_near_misses_suggest_a_product(text: str, suggestion: str) -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase(text, CATALOG, max_items=20)
    assert error.value.key == "did_you_mean"
    assert error.value.params["suggestion"] == suggestion


def test_nothing_like_a_product_is_not_found() -> None:
    with pytest.raises(BadArgument) as error:
        parse_purchase("xyz 2", CATALOG, max_items=20)
    assert error.value.key == "product_not_found"
    assert error.value.params["query"] == "xyz"
    with pytest.raises(MissingArgument):
        parse_purchase("  ", CATALOG, max_items=20)
