"""Owner and moderator commands: `!stock`, `!abrir`, `!cerrar`."""

from __future__ import annotations

from typing import Any

import pytest
from chat_helpers import MOD, OWNER, VIEWER, Chat, snapshot

from adapters.base import ChatUser, Role
from bots.chat.i18n import Messages


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


def variant_stock(store: Any, sku: str, key: str) -> int:
    (variant,) = [v for v in store.get_product(sku).variants if v.key == key]
    return int(variant.stock)


@pytest.mark.parametrize("text", ["!stock remera 100", "!stock taza 100", "!cerrar", "!abrir"])
@pytest.mark.parametrize(
    "user", [VIEWER, ChatUser("test", "sub", "sub", role=Role.SUBSCRIBER)], ids=["viewer", "sub"]
)
async def test_viewers_are_refused_and_nothing_changes(
    chat: Chat, store: Any, text: str, user: ChatUser
) -> None:
    before = snapshot(store)
    command = text.split()[0][1:]
    assert await chat.say(text, user) == t("es", "not_allowed", command=command)
    assert snapshot(store) == before


async def test_moderator_sets_stock_of_a_product_and_of_a_variant(chat: Chat, store: Any) -> None:
    assert await chat.say("!stock taza 100", MOD) == t("es", "stock_set", product="Taza", stock=100)
    assert store.get_product("TAZA").stock == 100
    assert await chat.say("!stock remeras negras M 50", MOD) == t(
        "es", "stock_set", product="Remera negro M", stock=50
    )
    assert variant_stock(store, "REM", "color=negro,talle=M") == 50
    assert variant_stock(store, "REM", "color=blanco,talle=M") == 5


@pytest.mark.parametrize(
    ("text", "key", "params"),
    [
        (
            "!stock remera 100",
            "variant_required",
            {
                "product": "Remera",
                "options": "color: negro, blanco · talle: S, M, L",
                "example": "!stock remera negro S 50",  # the command typed, not !comprar
            },
        ),
        ("!stock taza muchas", "bad_stock", {"value": "muchas", "max": 1_000_000}),
        ("!stock taza -3", "bad_stock", {"value": "-3", "max": 1_000_000}),
        ("!stock taza", "stock_usage", {}),
        ("!stock xyz 3", "product_not_found", {"query": "xyz"}),
    ],
)
async def test_bad_stock_commands_explain_and_change_nothing(
    chat: Chat, store: Any, text: str, key: str, params: dict[str, object]
) -> None:
    before = snapshot(store)
    assert await chat.say(text, OWNER) == t("es", key, **params)
    assert snapshot(store) == before


async def test_stock_cannot_go_below_what_is_reserved(chat: Chat, store: Any) -> None:
    await chat.send("!comprar taza 4")
    before = snapshot(store)
    assert await chat.say("!stock taza 2", MOD) == t(
        "es", "error_stock_below_committed", product="Taza", committed=4
    )
    assert snapshot(store) == before


async def test_close_and_reopen(chat: Chat, store: Any) -> None:
    assert await chat.say("!cerrar", MOD) == t("es", "store_closed_now")
    assert await chat.say("!comprar taza") == t("es", "error_store_closed")
    assert await chat.say("!open", OWNER) == t("en", "store_opened")
    await chat.send("!comprar taza")
    assert store.get_product("TAZA").available == 19
