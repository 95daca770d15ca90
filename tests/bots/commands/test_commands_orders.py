"""`!comprar`, `!pedido`, `!cancelar` against a real Store: what is reserved, what is said."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import OTHER, VIEWER, Chat, Links, payment_replies, snapshot

from adapters.base import Priority
from bots.chat.i18n import Messages
from commerce.views import OrderStatus, PaymentReport

# The owner named the options in Spanish; each viewer reads them in their own language.
REMERA_OPTIONS = {
    "es": "color: negro, blanco · talle: S, M, L",
    "en": "color: black, white · size: S, M, L",
    "pt": "cor: preto, branco · tamanho: S, M, L",
}
COLORS = {"es": "color: negro, blanco", "en": "color: black, white", "pt": "cor: preto, branco"}
ALIASES = {"es": "!comprar", "en": "!buy", "pt": "!comprar"}
DEFAULT_ITEM = {"es": "remera M", "en": "shirt M", "pt": "camiseta M"}


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


def lines(store: Any, user_id: str = VIEWER.id) -> list[tuple[str, str | None, int]]:
    (order,) = store.viewer_orders("test", user_id, limit=1)
    return [(line.sku, line.variant_key, line.quantity) for line in order.lines]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!comprar remera M negra 2", [("REM", "color=negro,talle=M", 2)]),
        ("!comprar 2 remeras negras talle M", [("REM", "color=negro,talle=M", 2)]),
        ("!quiero dos camisetas blancas L", [("REM", "color=blanco,talle=L", 2)]),
        ("!buy three mugs", [("TAZA", None, 3)]),
        ("!comprar taza x3", [("TAZA", None, 3)]),
        ("!comprar 3x taza", [("TAZA", None, 3)]),
        ("!comprar uma taza", [("TAZA", None, 1)]),
        ("!comprar Saludo Personalizado", [("SALUDO", None, 1)]),
        ("!comprar stickers x2, taza", [("STICK", None, 2), ("TAZA", None, 1)]),
    ],
)
async def test_buy_reserves_what_was_asked(
    chat: Chat, store: Any, text: str, expected: list[tuple[str, str | None, int]]
) -> None:
    await chat.send(text)
    assert lines(store) == expected


async def test_buy_answers_in_chat_and_sends_the_link_privately_first(
    chat: Chat, store: Any, links: Links
) -> None:
    replies = await chat.send("!comprar remera M negra 2")
    (order,) = links.orders
    assert order.status is OrderStatus.PENDING
    public, link = replies
    assert public.text == t(
        "es",
        "order_reserved",
        items="2× Remera (negro M)",
        total="$ 30.000,00",
        code=order.code,
        minutes=15,
    )
    assert public.private is False
    assert payment_replies(replies) == [link]
    assert link.mention == VIEWER and link.reply_to is not None
    assert f"http://pay.test/{order.code}" in link.text and "15 min" in link.text
    assert store.get_product("REM").available == 28


async def test_buy_without_a_link_yet_says_it_is_on_its_way(chat: Chat, links: Links) -> None:
    links.available = False
    replies = await chat.send("!buy mug")
    assert payment_replies(replies) == []
    assert replies[-1].text == t("en", "link_delayed", name=VIEWER.name)
    assert len(links.orders) == 1


def _rejections(locale: str) -> list[tuple[str, str, dict[str, object]]]:
    buy = ALIASES[locale]
    options = REMERA_OPTIONS[locale]
    return [
        (f"{buy}", "missing_product", {"example": f"{buy} {DEFAULT_ITEM[locale]}"}),
        (f"{buy} xyz", "product_not_found", {"query": "xyz"}),
        (f"{buy} remra M", "did_you_mean", {"query": "remra M", "suggestion": "Remera"}),
        (f"{buy} remera 0", "bad_quantity", {"max": 99}),
        (f"{buy} remera 99999", "bad_quantity", {"max": 99}),
        (f"{buy} taza -1", "bad_quantity", {"max": 99}),
        (f"{buy} 2 tazas 3", "two_quantities", {}),
        (
            f"{buy} remera",
            "variant_required",
            {"product": "Remera", "options": options, "example": f"{buy} remera negro S"},
        ),
        (
            f"{buy} remera M",
            "variant_required",
            {"product": "Remera", "options": COLORS[locale], "example": f"{buy} remera negro M"},
        ),
        (
            f"{buy} remera verde",
            "unknown_variant",
            {
                "product": "Remera",
                "variant": "verde",
                "options": options,
                "example": f"{buy} remera negro S",
            },
        ),
        (
            f"{buy} taza gigante",
            "unknown_words",
            {"words": "gigante", "product": "Taza", "example": f"{buy} taza"},
        ),
        (
            f"{buy} llavero",
            "waitlist_offer",  # sold out: a place in line (bots/commands/waitlist.py)
            {"product": "Llavero", "name": "ana", "command": "!avisame LLAVERO"},
        ),
        (
            f"{buy} taza 21",
            "error_out_of_stock",
            {"product": "Taza", "requested": 21, "available": 20},
        ),
        (f"{buy} gorra", "error_product_inactive", {"product": "Gorra"}),
        (f"{buy} stickers 6", "error_limit_per_viewer", {"product": "Sticker pack", "limit": 5}),
    ]


@pytest.mark.parametrize(
    ("locale", "text", "key", "params"),
    [(loc, *case) for loc in ("es", "en", "pt") for case in _rejections(loc)],
)
async def test_rejected_purchases_explain_and_change_nothing(
    chat: Chat,
    store: Any,
    links: Links,
    locale: str,
    text: str,
    key: str,
    params: dict[str, object],
) -> None:
    if locale != "es":
        await chat.send("!loja" if locale == "pt" else "!shop")  # the viewer's language
    before = snapshot(store)
    assert await chat.say(text) == t(locale, key, **params)
    assert snapshot(store) == before
    assert links.orders == []


async def test_limit_counts_what_the_viewer_already_holds(chat: Chat, store: Any) -> None:
    await chat.send("!comprar stickers 4")
    before = snapshot(store)
    assert await chat.say("!comprar stickers 2") == t(
        "es", "error_limit_exceeded", product="Sticker pack", limit=5, already=4
    )
    assert snapshot(store) == before


async def test_a_closed_store_refuses_purchases(chat: Chat, store: Any, links: Links) -> None:
    store.set_open(False)
    before = snapshot(store)
    assert await chat.say("!buy mug") == t("en", "error_store_closed")
    assert snapshot(store) == before and links.orders == []


async def test_my_orders_lists_the_latest_with_status(chat: Chat, store: Any) -> None:
    assert await chat.say("!pedido") == t("es", "no_orders")
    await chat.send("!comprar taza")
    (first,) = store.viewer_orders("test", VIEWER.id)
    store.cancel_order(first.code)
    await chat.send("!comprar remera S blanca")
    second = store.viewer_orders("test", VIEWER.id, limit=1)[0]
    store.record_payment(
        PaymentReport("mp", "p1", "approved", Decimal("15000"), "ARS", second.code)
    )
    text = await chat.say("!mispedidos")
    assert text == t(
        "es",
        "order_list",
        orders=" · ".join(
            [
                t(
                    "es",
                    "order_line",
                    code=second.code,
                    items="1× Remera (blanco S)",
                    status=t("es", "status_paid"),
                ),
                t(
                    "es",
                    "order_line",
                    code=first.code,
                    items="1× Taza",
                    status=t("es", "status_cancelled"),
                ),
            ]
        ),
    )


async def test_one_order_by_code_only_if_it_is_yours(chat: Chat, store: Any, links: Links) -> None:
    await chat.send("!comprar taza 2", OTHER)
    (theirs,) = links.orders
    assert await chat.say(f"!order {theirs.code}") == t(
        "en", "error_order_not_found", code=theirs.code
    )
    text = await chat.say(f"!pedido #{theirs.code.lower()}", OTHER)
    assert text == t(
        "es",
        "order_status",
        code=theirs.code,
        items="2× Taza",
        total="$ 17.000,00",
        status=t("es", "status_pending"),
    )


async def test_cancel_releases_the_latest_pending_order(chat: Chat, store: Any) -> None:
    assert await chat.say("!cancelar") == t("es", "no_pending_orders")
    await chat.send("!comprar taza 2")
    await chat.send("!comprar remera M negra")
    (cart,) = store.viewer_orders("test", VIEWER.id)
    assert store.get_product("TAZA").available == 18
    assert await chat.say("!cancelar") == t(
        "es", "order_cancelled", code=cart.code, items="2× Taza + 1× Remera (negro M)"
    )  # the whole cart
    assert store.get_order(cart.code).status is OrderStatus.CANCELLED
    assert store.get_product("TAZA").available == 20
    assert store.get_product("REM").available == 30
    assert await chat.say("!cancelar") == t("es", "no_pending_orders")


async def test_cancel_by_code_only_your_own_and_only_once(chat: Chat, store: Any) -> None:
    await chat.send("!comprar taza", OTHER)
    (theirs,) = store.viewer_orders("test", OTHER.id)
    before = snapshot(store)
    assert await chat.say(f"!cancel {theirs.code}") == t(
        "en", "error_order_not_found", code=theirs.code
    )
    assert snapshot(store) == before
    await chat.send(f"!cancelar {theirs.code}", OTHER)
    assert await chat.say(f"!cancelar {theirs.code}", OTHER) == t(
        "es", "error_invalid_transition", status=t("es", "status_cancelled")
    )


async def test_payment_link_outranks_replies(chat: Chat) -> None:
    replies = await chat.send("!comprar taza")
    assert [r.priority for r in replies] == [Priority.REPLY, Priority.PAYMENT]


async def test_a_different_purchase_a_second_later_is_not_held_by_the_cooldown(
    chat: Chat, store: Any
) -> None:
    await chat.send("!comprar taza")
    grown = await chat.send("!comprar remera M negra", wait=0.5)
    assert t("es", "on_cooldown", seconds=2) not in [r.text for r in grown]
    (order,) = store.viewer_orders("test", VIEWER.id)
    assert [line.sku for line in order.lines] == ["TAZA", "REM"]
    # the very same line again inside the window is still spam
    assert await chat.say("!comprar remera M negra", wait=0.5) == t("es", "on_cooldown", seconds=2)
    (order,) = store.viewer_orders("test", VIEWER.id)
    assert [line.quantity for line in order.lines] == [1, 1]


async def test_a_second_purchase_joins_the_cart_with_a_new_link(
    chat: Chat, store: Any, links: Links
) -> None:
    await chat.send("!comprar taza")
    replies = await chat.send("!comprar remera M negra")
    first, grown = links.orders
    assert grown.code == first.code and grown.revision == 1
    public, link = replies
    assert public.text == t(
        "es",
        "order_added",
        added="1× Remera (negro M)",
        items="1× Taza + 1× Remera (negro M)",
        total="$ 23.500,00",
        code=first.code,
        minutes=15,
    )
    assert payment_replies(replies) == [link]
    assert f"http://pay.test/{first.code}-r1" in link.text and "15 min" in link.text
    (order,) = store.viewer_orders("test", VIEWER.id)
    assert order.total == grown.total
    assert store.get_product("TAZA").available == 19
    assert store.get_product("REM").available == 29


async def test_the_same_product_again_adds_to_its_line(chat: Chat, store: Any) -> None:
    await chat.send("!comprar taza")
    text = await chat.say("!comprar 2 tazas")
    (order,) = store.viewer_orders("test", VIEWER.id)
    assert text == t(
        "es",
        "order_added",
        added="2× Taza",
        items="3× Taza",
        total="$ 25.500,00",
        code=order.code,
        minutes=15,
    )
    assert lines(store) == [("TAZA", None, 3)]


@pytest.mark.parametrize(
    ("locale", "shop", "total"),
    [("en", "!shop", "ARS 13,500.00"), ("pt", "!loja", "ARS 13.500,00")],
)
async def test_the_cart_reply_speaks_the_viewers_language(
    chat: Chat, store: Any, locale: str, shop: str, total: str
) -> None:
    await chat.send(shop)
    await chat.send(f"{ALIASES[locale]} mug")
    text = await chat.say(f"{ALIASES[locale]} stickers 2")
    (order,) = store.viewer_orders("test", VIEWER.id)
    assert text == t(
        locale,
        "order_added",
        added="2× Sticker pack",
        items="1× Taza + 2× Sticker pack",
        total=total,
        code=order.code,
        minutes=15,
    )


async def test_a_refused_addition_leaves_the_cart_as_it_was(chat: Chat, store: Any) -> None:
    await chat.send("!comprar taza 2, stickers 4")
    before = snapshot(store)
    assert await chat.say("!comprar stickers 2") == t(
        "es", "error_limit_exceeded", product="Sticker pack", limit=5, already=4
    )  # the limit counts the whole cart
    assert await chat.say("!comprar remera M negra, taza 19") == t(
        "es", "error_out_of_stock", product="Taza", requested=19, available=18
    )
    assert snapshot(store) == before
    assert lines(store) == [("TAZA", None, 2), ("STICK", None, 4)]


async def test_my_order_shows_the_cart_with_its_total_and_link(
    chat: Chat, store: Any, links: Links
) -> None:
    await chat.send("!comprar taza")
    await chat.send("!comprar remera M negra")
    (cart,) = store.viewer_orders("test", VIEWER.id)
    store.set_order_link(cart.code, "http://pay.test/current", "pref-2", revision=1)
    replies = await chat.send("!pedido")
    public, link = replies
    assert public.text == t(
        "es",
        "order_status",
        code=cart.code,
        items="1× Taza + 1× Remera (negro M)",
        total="$ 23.500,00",
        status=t("es", "status_pending"),
    )
    assert payment_replies(replies) == [link]
    assert "http://pay.test/current" in link.text


async def test_my_order_repeats_the_same_short_link_the_purchase_gave(
    chat: Chat, store: Any, links: Links
) -> None:
    links.short_base = "https://tienda.test"
    await chat.send("!comprar taza")
    (order,) = store.viewer_orders("test", VIEWER.id)
    store.set_order_link(order.code, "http://pay.test/long?pref_id=1", "pref-1", revision=0)
    [link] = payment_replies(await chat.send("!pedido"))
    assert f"https://tienda.test/p/{order.code}" in link.text and "pref_id" not in link.text


async def test_an_order_being_paid_is_left_alone_and_a_new_one_opens(
    chat: Chat, store: Any
) -> None:
    await chat.send("!comprar taza")
    (paying,) = store.viewer_orders("test", VIEWER.id)
    store.record_payment(
        PaymentReport("mp", "p1", "in_process", Decimal("8500"), "ARS", paying.code)
    )
    text = await chat.say("!comprar remera M negra")
    newest, older = store.viewer_orders("test", VIEWER.id)
    assert older.code == paying.code and older.total.amount == Decimal("8500")
    assert text == t(
        "es",
        "order_reserved",
        items="1× Remera (negro M)",
        total="$ 15.000,00",
        code=newest.code,
        minutes=15,
    )


async def test_buy_finds_a_product_another_process_added_moments_ago(
    chat: Chat, store: Any
) -> None:
    """`!comprar` parses against a catalog read seconds ago; a product it cannot find there
    is looked up again before the viewer is told there is no such thing."""
    from commerce.store import Store
    from commerce.views import ProductSpec

    await chat.send("!comprar taza")
    assert store.recent_products() is not None
    other = Store(store.url)
    try:
        other.panel_add_product(ProductSpec("PULSERA", "Pulsera", Decimal("3000"), "ARS", 4))
    finally:
        other.close()
    await chat.send("!comprar pulsera", user=OTHER)
    assert lines(store, OTHER.id) == [("PULSERA", None, 1)]


async def test_buy_waits_off_the_loop_while_another_process_writes(chat: Chat, store: Any) -> None:
    """SQLite's lock held by someone else: the purchase is not made on the event loop's
    thread (Store.reserve_now gives up) but waits in a worker thread and goes through once
    the lock is free; the loop keeps running meanwhile."""
    other = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        buying = asyncio.create_task(chat.send("!comprar taza"))
        while store._engine.pool.checkedout() == 0:  # the loop runs: a thread waits for SQLite
            await asyncio.sleep(0.001)
        assert not buying.done()
        other.execute("ROLLBACK")
        await buying
    finally:
        other.close()
    assert lines(store) == [("TAZA", None, 1)]


async def test_purchases_in_flight_share_one_fresh_catalog_reading(
    chat: Chat, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no recent reading, the purchases that arrive together read the catalog once
    (Router.read_catalog), not once each; and each buys what it asked for."""
    reads: list[bool] = []
    list_products = store.list_products

    def counted(*, include_inactive: bool = False) -> Any:
        reads.append(include_inactive)
        return list_products(include_inactive=include_inactive)

    monkeypatch.setattr(store, "list_products", counted)
    assert store.recent_products() is None
    buyers = [replace(VIEWER, id=f"v-{i}", name=f"buyer{i}") for i in range(5)]
    await asyncio.gather(*(chat.send("!comprar taza", user, wait=0) for user in buyers))
    assert reads == [True]
    for user in buyers:
        assert lines(store, user.id) == [("TAZA", None, 1)]
