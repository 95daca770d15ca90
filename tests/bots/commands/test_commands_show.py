"""`!destacar` and `!meta`: owner commands that announce to the overlay over the EventBus."""

from __future__ import annotations

from typing import Any

import pytest
from chat_helpers import MOD, OWNER, VIEWER, Chat, Clock, Links

from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.events import Event, EventBus, GoalChanged, SpotlightChanged, StockChanged
from bots.runtime.services import Services, Settings
from commerce.money import Money


def t(key: str, **params: object) -> str:
    return Messages().t("es", key, p="!", **params)


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def chat(store: Any, links: Links, settings: Settings, clock: Clock, events: list[Event]) -> Chat:
    bus = EventBus()

    async def record(event: Event) -> None:
        events.append(event)

    bus.subscribe(record)
    services = Services(store=store, links=links, settings=settings, messages=Messages(), bus=bus)
    return Chat(Router(services, clock=clock), clock)


@pytest.mark.parametrize("text", ["!destacar taza", "!meta 5000", "!destacar off"])
async def test_viewers_cannot_touch_the_overlay(chat: Chat, events: list[Event], text: str) -> None:
    assert await chat.say(text, VIEWER) == t("not_allowed", command=text.split()[0][1:])
    assert events == []


async def test_spotlight_names_the_product_and_clears(
    chat: Chat, store: Any, events: list[Event]
) -> None:
    price = Messages().money(store.get_product("TAZA").price, "es")
    assert await chat.say("!destacar la taza", MOD) == t(
        "spotlight_set", product="Taza", price=price
    )
    assert await chat.say("!destacar off", OWNER) == t("spotlight_cleared")
    assert events == [SpotlightChanged(store.get_product("TAZA")), SpotlightChanged(None)]


async def test_spotlight_of_an_unknown_product_explains_and_announces_nothing(
    chat: Chat, events: list[Event]
) -> None:
    assert await chat.say("!destacar xyzzy", MOD) == t("product_not_found", query="xyzzy")
    assert await chat.say("!destacar", MOD) == t("spotlight_usage")
    assert events == []


@pytest.mark.parametrize(
    ("text", "event", "key"),
    [
        ("!meta 50.000", GoalChanged(Money(50000, "ARS"), "sales"), "goal_set_sales"),
        ("!meta ventas $ 20k", GoalChanged(Money(20000, "ARS"), "sales"), "goal_set_sales"),
        ("!meta propinas 2000", GoalChanged(Money(2000, "ARS"), "tips"), "goal_set_tips"),
        ("!goal tips 1,500", GoalChanged(Money(1500, "ARS"), "tips"), "goal_set_tips"),
    ],
)
async def test_goal_reads_amounts_like_tips_do(
    chat: Chat, events: list[Event], text: str, event: GoalChanged, key: str
) -> None:
    replies = await chat.send(text, MOD)
    assert events == [event]
    assert event.target is not None
    locale = "en" if text.startswith("!goal") else "es"
    amount = Messages().money(event.target, locale)
    assert [r.text for r in replies] == [Messages().t(locale, key, p="!", amount=amount)]


async def test_goal_off_clears_and_nonsense_changes_nothing(
    chat: Chat, events: list[Event]
) -> None:
    assert await chat.say("!meta off", OWNER) == t("goal_cleared")
    assert await chat.say("!meta propinas", OWNER) == t("goal_usage")
    assert await chat.say("!meta mucho", OWNER) == t(
        "amount_not_a_number", text="mucho", example="!meta 50000"
    )
    assert events == [GoalChanged(None, "sales")]


async def test_an_owner_stock_edit_is_announced_for_the_overlay(
    chat: Chat, store: Any, events: list[Event]
) -> None:
    await chat.say("!stock taza 7", MOD)
    assert events == [StockChanged(store.get_product("TAZA"))]
    assert store.get_product("TAZA").stock == 7
    await chat.say("!stock taza 8", VIEWER)
    assert len(events) == 1
