"""Replies that read right in each language: examples of the command typed, the owner's
option words translated, stock shown when it is low, no gender the product may not have."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from chat_helpers import MOD, VIEWER, Chat, Clock, Links, with_locale

from bots.chat.i18n import LOCALES, Messages, load_catalog
from bots.chat.router import Router
from bots.config import parse_config
from bots.runtime.services import Services, Settings
from tests.bots.test_config import ENV, example


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


@pytest.mark.parametrize(
    ("locale", "text", "example"),
    [
        ("es", "!stock remera 100", "!stock remera negro S 50"),
        ("pt", "!estoque remera 100", "!estoque remera negro S 50"),
        ("en", "!stock shirt 100", "!stock remera negro S 50"),
    ],
)
async def test_an_errors_example_is_for_the_command_that_was_typed(
    chat: Chat, locale: str, text: str, example: str
) -> None:
    moderator = with_locale(MOD, locale)
    reply = await chat.say(text, moderator)
    assert reply.endswith(example) and "comprar" not in reply and "buy" not in reply


async def test_a_goal_in_words_is_answered_with_a_goal_example(chat: Chat) -> None:
    reply = await chat.say("!meta mucho", MOD)
    assert reply.endswith("!meta 50000") and "propina" not in reply


@pytest.mark.parametrize(("text", "example"), [("!precio", "!precio"), ("!quiero", "!comprar")])
async def test_a_missing_product_example_names_the_command(
    chat: Chat, text: str, example: str
) -> None:
    reply = await chat.say(text, MOD)
    assert f"Ejemplo: {example} remera M." in reply


async def test_portuguese_viewers_read_option_words_in_portuguese(chat: Chat) -> None:
    await chat.say("!loja")
    reply = await chat.say("!comprar camiseta")
    assert "tamanho: S, M, L" in reply and "cor: preto, branco" in reply
    assert "talle" not in reply and "negro" not in reply.split("Exemplo")[0]
    price = await chat.say("!preco camiseta")
    assert "tamanho" in price and "talle" not in price


async def test_a_translated_value_can_be_typed_back(chat: Chat, store: Any, links: Links) -> None:
    await chat.say("!loja")
    await chat.send("!comprar camiseta preta M")
    [order] = links.orders
    assert [(line.sku, line.variant_key) for line in order.lines] == [
        ("REM", "color=negro,talle=M")
    ]
    assert "(preto M)" in chat.replies[-2].text  # the reservation, read in Portuguese


async def test_spanish_viewers_see_the_owners_own_words(chat: Chat) -> None:
    reply = await chat.say("!comprar remera")
    assert "talle: S, M, L" in reply and "color: negro, blanco" in reply


def test_an_owner_names_options_per_language_in_config() -> None:
    raw = example()
    raw["messages"] = tomllib.loads('[pt]\noption.talle = "numeração"\nvalue.negro = "grafite"\n')
    config = parse_config(raw, ENV)
    messages = Messages(config.messages)
    assert messages.option_name("pt", "talle") == "numeração"
    assert messages.option_value("pt", "negro") == "grafite"
    assert messages.option_name("en", "talle") == "size"  # the built-in words stay
    assert "grafite" in messages.synonyms()["negro"]


@pytest.fixture
def few_left(store: Any) -> Any:
    store.set_stock("TAZA", 3)
    store.set_stock("STICK", 1)
    return store


@pytest.mark.parametrize(
    ("alias", "three", "one", "sold_out"),
    [
        (
            "!tienda",
            "Taza $ 8.500,00 (¡quedan 3!)",
            "(¡queda 1!)",
            "Llavero $ 1.000,00 (sin stock)",
        ),
        ("!loja", "(só restam 3!)", "(só resta 1!)", "(sem estoque)"),
        ("!shop", "(only 3 left!)", "(only 1 left!)", "(sold out)"),
    ],
)
async def test_the_shop_says_how_many_are_left_when_few_are(
    chat: Chat, few_left: Any, alias: str, three: str, one: str, sold_out: str
) -> None:
    items = (await chat.say(alias)).split(" · ")
    taza = next(i for i in items if "Taza" in i)
    stickers = next(i for i in items if "Sticker" in i)
    remera = next(i for i in items if "Remera" in i)
    assert three in taza and one in stickers and sold_out in " · ".join(items)
    assert "(" not in remera  # 30 left: plenty, so no count


async def test_the_thanks_fits_any_product(chat: Chat) -> None:
    """ "Remera ya es tuyo": no adjective in the thanks agrees with a product's gender."""
    for locale in ("es", "pt"):
        text = load_catalog(locale)["order_paid_thanks"]
        for word in ("tuyo", "tuya", "suyo", "seu 🎉", "sua 🎉", "é seu", "é sua"):
            assert word not in text, (locale, text)


# An article or a gendered adjective next to a product, or a count before it ("2 Camiseta").
_AGREEING = re.compile(
    r"\{product\} (?:es|é|está|ya es|já é) (?:tuy[oa]|su[oa]|seu|sua|list[oa]|reservad[oa]|"
    r"agotad[oa]|esgotad[oa]|pront[oa])\b"
    r"|(?<!\w)(?:el|la|los|las|o|a|os|as|do|da|del|al|un|una|um|uma) \{product\}"
    r"|\{(?:limit|available|requested|already)\} \{product\}"
)


@pytest.mark.parametrize("locale", ["es", "pt"])
def test_no_template_makes_a_word_agree_with_the_product(locale: str) -> None:
    offending = {key: text for key, text in load_catalog(locale).items() if _AGREEING.search(text)}
    assert offending == {}
    assert _AGREEING.search("Tu pago llegó: {product} ya es tuyo 🎉")  # main's thanks
    assert _AGREEING.search("Máximo de {limit} {product} por pessoa.")  # main's limit, pt


async def test_every_command_has_an_example_in_every_language(router: Router) -> None:
    for locale in LOCALES:
        catalog = load_catalog(locale)
        missing = [c.name for c in router.commands if f"example_{c.name}" not in catalog]
        assert missing == [], locale


async def test_a_count_reads_right_in_the_reservation(
    store: Any, links: Links, settings: Settings, clock: Clock
) -> None:
    from dataclasses import replace
    from datetime import timedelta

    one_minute = replace(settings, reservation_ttl=timedelta(minutes=1))
    services = Services(store=store, links=links, settings=one_minute, messages=Messages())
    chat = Chat(Router(services, clock=clock), clock)
    replies = await chat.send("!comprar taza", VIEWER)
    assert "tienes 1 minuto para pagar" in replies[0].text
    assert "vence en 1 minuto." in replies[1].text
