"""`!ayuda`: the command list in the viewer's language, and one command explained."""

from __future__ import annotations

import pytest
from chat_helpers import MOD, Chat

from bots.chat.i18n import Messages


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


@pytest.mark.parametrize(
    ("text", "locale", "key"),
    [
        ("!ayuda", "es", "help"),
        ("!help", "en", "help"),
        ("!ajuda", "pt", "help"),
        ("!ayuda comprar", "es", "help_comprar"),
        ("!help buy", "en", "help_comprar"),
        ("!ajuda !gorjeta", "pt", "help_propina"),
        ("!ayuda Stock", "es", "help_stock"),
    ],
)
async def test_help(chat: Chat, text: str, locale: str, key: str) -> None:
    assert await chat.say(text) == t(locale, key)


async def test_help_for_an_unknown_command(chat: Chat) -> None:
    assert await chat.say("!ayuda bailar") == t("es", "help_unknown", command="bailar")


async def test_moderators_also_see_their_commands(chat: Chat) -> None:
    assert await chat.say("!ayuda", MOD) == t("es", "help_owner")


async def test_help_uses_the_prefix_the_viewer_typed(chat: Chat) -> None:
    assert "/comprar" in await chat.say("/ayuda")
