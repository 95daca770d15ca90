"""The shout-out queue from chat: `!comprar saludo <mensaje>` and `!hecho` (owner, mods)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import MOD, OTHER, OWNER, VIEWER, Chat, Clock, Links, snapshot, with_locale

from bots.chat.converters import split_shoutout
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.events import Event, EventBus, OrderDelivered, ShoutoutDone
from bots.runtime.services import Services, Settings
from commerce.views import PaymentReport


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


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


def pay(store: Any, code: str, payment_id: str) -> None:
    order = store.get_order(code)
    store.record_payment(
        PaymentReport("mp", payment_id, "approved", order.total.amount, "ARS", code)
    )


def only_order(store: Any, user: Any = VIEWER) -> Any:
    (order,) = store.viewer_orders("test", user.id, limit=10)
    return order


@pytest.mark.parametrize(
    ("text", "wanted", "message"),
    [
        ("saludo ¡feliz cumple Ana!", "saludo", "¡feliz cumple Ana!"),
        ("2 saludos hola, che", "2 saludos", "hola, che"),
        ("Saludo personalizado para mi vieja", "Saludo personalizado", "para mi vieja"),
        ("saludo", "saludo", None),
        ("saludo, taza", "saludo, taza", None),  # another item follows: no message
        ("saludo + taza", "saludo + taza", None),
        ("taza, saludo hola", "taza, saludo hola", None),  # not first: parsed as before
        ("remera negra M", "remera negra M", None),
    ],
)
def test_the_message_is_what_follows_a_queue_item(
    store: Any, text: str, wanted: str, message: str | None
) -> None:
    products = store.list_products()
    assert split_shoutout(text, products) == (wanted, message)


async def test_buying_a_saludo_keeps_its_message(chat: Chat, store: Any) -> None:
    await chat.send("!comprar saludo ¡feliz cumple @beto!")
    order = only_order(store)
    assert [(line.sku, line.quantity) for line in order.lines] == [("SALUDO", 1)]
    pay(store, order.code, "p1")
    (waiting,) = store.shoutout_queue()
    # Neutralised like all viewer text: it can never mention anyone.
    assert waiting.message == "¡feliz cumple @\u200dbeto!"
    assert waiting.name == "ana"


async def test_other_purchases_carry_no_message(chat: Chat, store: Any) -> None:
    await chat.send("!comprar saludo, taza")
    order = only_order(store)
    assert sorted(line.sku for line in order.lines) == ["SALUDO", "TAZA"]
    pay(store, order.code, "p1")
    (waiting,) = store.shoutout_queue()
    assert waiting.message is None  # the queue shows the buyer's name only


@pytest.mark.parametrize(("text", "locale"), [("!hecho", "es"), ("!done", "en"), ("!feito", "pt")])
async def test_viewers_are_refused(
    chat: Chat, store: Any, events: list[Event], text: str, locale: str
) -> None:
    await chat.send("!comprar saludo hola", OTHER)
    pay(store, only_order(store, OTHER).code, "p1")
    before = snapshot(store)
    reply = await chat.say(text, VIEWER)
    assert reply == t(locale, "not_allowed", command="hecho")  # the router names it so
    assert snapshot(store) == before and len(store.shoutout_queue()) == 1
    assert not any(isinstance(e, ShoutoutDone) for e in events)


async def test_hecho_does_the_oldest_then_says_the_queue_is_empty(
    chat: Chat, store: Any, events: list[Event]
) -> None:
    await chat.send("!comprar saludo primero", OTHER)
    await chat.send("!comprar saludo segundo", VIEWER)
    first, second = only_order(store, OTHER), only_order(store, VIEWER)
    pay(store, first.code, "p1")
    pay(store, second.code, "p2")
    assert await chat.say("!hecho", MOD) == t(
        "es", "shoutout_marked_done", code=first.code, name="beto", left=1
    )
    done = [e for e in events if isinstance(e, (OrderDelivered, ShoutoutDone))]
    assert [(type(e), e.order.code) for e in done] == [
        (OrderDelivered, first.code),
        (ShoutoutDone, first.code),
    ]
    assert [w.code for w in store.shoutout_queue()] == [second.code]
    assert await chat.say(f"!hecho {second.code.lower()}", OWNER) == t(
        "es", "shoutout_marked_done", code=second.code, name="ana", left=0
    )
    assert await chat.say("!hecho", MOD) == t("es", "shoutout_queue_empty")
    count = len(events)
    assert await chat.say(f"!hecho {second.code}", MOD) == t(
        "es", "shoutout_already_done", code=second.code
    )
    assert len(events) == count  # done once: the buyer is thanked once


async def test_done_and_feito_answer_in_their_language(chat: Chat, store: Any) -> None:
    assert await chat.say("!done", MOD) == t("en", "shoutout_queue_empty")
    assert await chat.say("!feito", with_locale(MOD, None)) == t("pt", "shoutout_queue_empty")


async def test_a_code_that_is_not_a_shoutout_is_refused(chat: Chat, store: Any) -> None:
    await chat.send("!comprar taza")
    order = only_order(store)
    pay(store, order.code, "p1")
    reply = await chat.say(f"!hecho {order.code}", MOD)
    assert reply == t("es", "error_order_not_found", code=order.code)
    assert store.get_order(order.code).status.value == "paid"
    assert Decimal(order.total.amount) == Decimal("8500")
