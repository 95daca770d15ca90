"""`!tienda` and `!precio`: the catalog as the viewer reads it, in their language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import Chat

from bots.chat.i18n import Messages
from commerce.money import Money

M = Messages()


def t(locale: str, key: str, **params: object) -> str:
    return M.t(locale, key, p="!", **params)


def price(amount: str, locale: str) -> str:
    return M.money(Money(Decimal(amount), "ARS"), locale)


@pytest.mark.parametrize(("alias", "locale"), [("!tienda", "es"), ("!shop", "en"), ("!loja", "pt")])
async def test_shop_lists_active_products_with_price_and_availability(
    chat: Chat, alias: str, locale: str
) -> None:
    text = await chat.say(alias)
    assert text.startswith("🛍️ Tienda Test")
    assert t(locale, "price_from", price=price("15000", locale)) in text
    assert t(locale, "shop_item", product="Taza", price=price("8500", locale)) in text
    assert t(locale, "shop_item_sold_out", product="Llavero", price=price("1000", locale)) in text
    assert "Gorra" not in text  # inactive


async def test_shop_says_when_it_is_closed(chat: Chat, store: Any) -> None:
    store.set_open(False)
    assert "(cerrada por ahora)" in await chat.say("!tienda")


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        ("!precio taza", "price_info", {"product": "Taza", "price": "$ 8.500,00", "available": 20}),
        (
            "!precio remeras",
            "price_info_variants",
            {
                "product": "Remera",
                "price": "desde $ 15.000,00",
                "options": "color: negro, blanco · talle: S, M, L",
                "available": 30,
            },
        ),
        (
            "!precio remera L blanca",
            "price_variant",
            {"product": "Remera", "variant": "blanco L", "price": "$ 16.500,00", "available": 5},
        ),
        ("!precio llavero", "price_sold_out", {"product": "Llavero", "price": "$ 1.000,00"}),
        ("!precio gorra", "error_product_inactive", {"product": "Gorra"}),
        ("!precio", "missing_product", {"example": "!precio remera M"}),
        ("!precio tasa", "did_you_mean", {"query": "tasa", "suggestion": "Taza"}),
    ],
)
async def test_price(chat: Chat, text: str, key: str, params: dict[str, object]) -> None:
    assert await chat.say(text) == t("es", key, **params)
