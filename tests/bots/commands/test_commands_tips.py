"""`!propina`: amounts as viewers type them, the store's limits, and the payment link."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import VIEWER, Chat, Links, payment_replies, snapshot

from bots.chat.i18n import Messages
from bots.commands.tips import split_amount
from commerce.views import TipSource

ALIASES = {"es": "!propina", "en": "!tip", "pt": "!gorjeta"}


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


async def test_tip_creates_a_pending_tip_and_sends_its_link(chat: Chat, links: Links) -> None:
    replies = await chat.send("!propina 1.500 ¡saludos desde Córdoba!")
    (tip,) = links.tips
    assert tip.amount.amount == Decimal("1500") and tip.amount.currency == "ARS"
    assert tip.message == "¡saludos desde Córdoba!"
    assert tip.source is TipSource.LINK and tip.viewer.user_id == VIEWER.id
    assert replies[0].text == t("es", "tip_reserved", amount="$ 1.500,00", code=tip.code)
    (link,) = payment_replies(replies)
    assert f"http://pay.test/{tip.code}" in link.text


async def test_tip_locale_follows_the_alias(chat: Chat, links: Links) -> None:
    await chat.send("!gorjeta 500")
    assert links.tips[0].locale == "pt"


async def test_tip_link_on_its_way(chat: Chat, links: Links) -> None:
    links.available = False
    replies = await chat.send("!tip 500")
    assert payment_replies(replies) == []
    assert replies[-1].text == t("en", "link_delayed", name=VIEWER.name)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("500 hola", ("500", "hola")),
        ("$ 500 hola que tal", ("$500", "hola que tal")),
        ("R$ 20", ("R$20", "")),
        ("abc", ("abc", "")),
    ],
)
def test_split_amount(args: str, expected: tuple[str, str]) -> None:
    assert split_amount(args) == expected


def _rejections() -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("", "missing_amount", {}),
        ("-5", "amount_negative", {}),
        ("abc", "amount_not_a_number", {"text": "abc"}),
        ("0", "amount_zero", {}),
        ("50", "tip_too_small", {"min": "100"}),
        ("200000", "tip_too_large", {"max": "100000"}),
        ("1.500,555", "amount_too_many_decimals", {"text": "1.500,555"}),
    ]


@pytest.mark.parametrize(
    ("locale", "args", "key", "params"),
    [(loc, *case) for loc in ("es", "en", "pt") for case in _rejections()],
)
async def test_rejected_tips_explain_and_create_nothing(
    chat: Chat,
    store: Any,
    links: Links,
    locale: str,
    args: str,
    key: str,
    params: dict[str, object],
) -> None:
    messages = Messages()
    from commerce.money import Money

    shown = {
        k: messages.money(Money(Decimal(str(v)), "ARS"), locale) if k in ("min", "max") else v
        for k, v in params.items()
    }
    if key == "amount_not_a_number":
        shown["example"] = messages.t(locale, "example_propina", p="!")
    before = snapshot(store)
    assert await chat.say(f"{ALIASES[locale]} {args}".strip()) == t(locale, key, **shown)
    assert links.tips == [] and snapshot(store) == before
