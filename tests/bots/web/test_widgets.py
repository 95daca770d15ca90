"""The stream widgets' pages and their event stream, without a browser (see tests/browser):
each widget's data, live after a payment, names filtered, held messages left out."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.chat.i18n import Messages
from bots.moderation.service import Moderation
from bots.runtime.events import (
    EventBus,
    GoalChanged,
    OrderDelivered,
    OrderPaid,
    SpotlightChanged,
    TipReceived,
)
from bots.web import security
from bots.web.overlay import Overlay
from bots.web.widgets import Query, Widgets
from commerce.money import Money
from commerce.views import LineRequest, PaymentReport, TipSource, TipView, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")
TROLL = ViewerRef("youtube", "u2", "f.u.c.k_you")


def tip(store: Any, amount: int, message: str = "", viewer: ViewerRef = ANA) -> TipView:
    view: TipView = store.create_tip(
        viewer,
        "canal",
        Money(amount, "ARS"),
        message,
        TipSource.BITS,
        ttl=timedelta(minutes=5),
        external_id=f"w-{amount}-{viewer.user_id}",
    )
    return view


class Stack:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.bus = EventBus()
        self.moderation = Moderation(store, "ARS")
        self.overlay = Overlay(store, Messages(), moderation=self.moderation)
        self.widgets = Widgets(store, Messages(), self.overlay, self.moderation)
        self.bus.subscribe(self.overlay.on_event)
        self.bus.subscribe(self.widgets.on_event)

    async def pay_order(
        self, sku: str = "TAZA", quantity: int = 1, viewer: ViewerRef = ANA, message: str = ""
    ) -> str:
        order = self.store.reserve(
            viewer, "canal", [LineRequest(sku, quantity)], ttl=timedelta(minutes=5)
        )
        if message:
            self.store.set_shoutout_message(order.code, message)
        paid = self.store.record_payment(
            PaymentReport(
                "mercadopago", f"p-{order.code}", "approved", order.total.amount, "ARS", order.code
            )
        )
        assert paid.order is not None
        await self.bus.publish(OrderPaid(paid.order))
        return order.code


@pytest.fixture
async def stack(store: Any) -> AsyncIterator[tuple[Stack, str]]:
    s = Stack(store)
    app = web.Application()
    security.install(app)
    s.overlay.setup(app)
    s.widgets.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield s, f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def next_data(response: aiohttp.ClientResponse) -> dict[str, Any]:
    while True:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("data: "):
            found: dict[str, Any] = json.loads(line[6:])
            return found


async def test_each_widget_page_is_served_under_the_overlays_policy(
    stack: tuple[Stack, str],
) -> None:
    _, url = stack
    async with aiohttp.ClientSession() as http:
        for name in ("recent", "top", "ticker", "goal", "queue"):
            async with http.get(f"{url}/overlay/widgets/{name}?theme=neon") as response:
                assert response.status == 200
                assert response.headers[security.CSP] == security.OVERLAY
                assert f'data-widget="{name}"' in await response.text()
        for path in ("static/widgets.js", "static/widgets.css"):
            async with http.get(f"{url}/overlay/widgets/{path}") as response:
                assert response.status == 200
        for path in ("nope", "static/overlay.py"):
            async with http.get(f"{url}/overlay/widgets/{path}") as response:
                assert response.status == 404


async def test_recent_events_arrive_live_with_names_and_messages_filtered(
    stack: tuple[Stack, str],
) -> None:
    s, url = stack
    await s.pay_order()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/overlay/widgets/events?widget=recent&n=3") as response,
    ):
        first = await next_data(response)
        assert [(e["kind"], e["name"], e["detail"]) for e in first["recent"]] == [
            ("order", "ana", "Taza")
        ]
        await s.bus.publish(TipReceived(tip(s.store, 700, "vamos www.spam.com puto", TROLL)))
        second = await next_data(response)
    latest = second["recent"][0]
    assert (latest["kind"], latest["name"], latest["detail"]) == ("tip", "***_you", "vamos ***")
    assert latest["amount"] == "$ 700,00"


async def test_a_held_message_stays_out_of_the_widgets_until_approved(
    stack: tuple[Stack, str],
) -> None:
    s, _ = stack
    s.store.save_moderation_settings("replace", "messages", None)
    await s.bus.publish(TipReceived(tip(s.store, 800, "hola a todos")))
    data = await s.widgets.data(Query.parse("recent", {}))
    assert data["recent"][0]["detail"] == ""
    [held] = s.store.held_alerts()
    await s.moderation.decide(held.id, True, "owner")
    data = await s.widgets.data(Query.parse("recent", {}))
    assert data["recent"][0]["detail"] == "hola a todos"


async def test_a_name_with_a_filtered_word_is_covered_even_when_alerts_are_held(
    stack: tuple[Stack, str],
) -> None:
    s, _ = stack
    s.store.save_moderation_settings("hold", "off", None)
    await s.bus.publish(TipReceived(tip(s.store, 300, viewer=TROLL)))
    [held] = s.store.held_alerts()
    await s.moderation.decide(held.id, True, "owner")
    data = await s.widgets.data(Query.parse("top", {"period": "all"}))
    assert [r["name"] for r in data["top"]["rows"]] == ["***_you"]


async def test_top_supporters_by_tips_or_purchases_of_the_stream_or_all_time(
    stack: tuple[Stack, str],
) -> None:
    s, _ = stack
    await s.bus.publish(TipReceived(tip(s.store, 300)))
    await s.bus.publish(TipReceived(tip(s.store, 900, viewer=TROLL)))
    await s.pay_order(quantity=2)
    tips = await s.widgets.data(Query.parse("top", {"by": "tips", "period": "all"}))
    assert tips["top"]["title"] == "Top propinas" and tips["top"]["period"] == "histórico"
    assert [(r["name"], r["amount"]) for r in tips["top"]["rows"]] == [
        ("***_you", "$ 900,00"),
        ("ana", "$ 300,00"),
    ]
    bought = await s.widgets.data(Query.parse("top", {"by": "purchases", "n": "1"}))
    assert bought["top"]["period"] == "este stream"
    assert [r["name"] for r in bought["top"]["rows"]] == ["ana"]


async def test_the_goal_in_its_shapes_and_x_of_y_sold(stack: tuple[Stack, str]) -> None:
    s, url = stack
    await s.bus.publish(GoalChanged(Money(20000, "ARS"), "sales"))
    await s.bus.publish(SpotlightChanged(s.store.get_product("TAZA")))
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/overlay/widgets/events?widget=goal&shape=ring") as response,
    ):
        first = await next_data(response)
        assert first["goal"]["percent"] == 0.0
        assert first["sold"]["label"].endswith("vendidos")
        sold_before = first["sold"]["sold"]
        await s.pay_order(quantity=2)
        second = await next_data(response)
    assert second["goal"]["progress"] == "$ 17.000,00"
    assert second["sold"]["sold"] == sold_before + 2
    assert second["sold"]["label"] == f"{sold_before + 2} de {second['sold']['total']} vendidos"


def test_bad_query_values_fall_back() -> None:
    q = Query.parse("x", {"n": "-3", "by": "x", "period": "y"})
    assert (q.widget, q.n, q.by, q.period) == ("recent", 5, "tips", "stream")
    assert Query.parse("top", {"n": "500"}).n == 20


async def test_the_shoutout_queue_follows_payments_and_done_oldest_first(
    stack: tuple[Stack, str],
) -> None:
    s, url = stack
    first = await s.pay_order("SALUDO", message="feliz cumple puto")
    await s.pay_order()  # a taza is no shout-out
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/overlay/widgets/events?widget=queue&layout=corner") as response,
    ):
        data = await next_data(response)
        assert data["title"] == "Saludos" and data["queue"]["total"] == 1
        assert [(i["code"], i["name"], i["message"]) for i in data["queue"]["items"]] == [
            (first, "ana", "feliz cumple ***")  # filtered like every viewer's text
        ]
        second = await s.pay_order("SALUDO", viewer=TROLL)
        data = await next_data(response)
        assert [(i["name"], i["message"]) for i in data["queue"]["items"]] == [
            ("ana", "feliz cumple ***"),
            ("***_you", ""),  # no message: the name only
        ]
        step = s.store.shoutout_done(first)
        await s.bus.publish(OrderDelivered(step.order))
        data = await next_data(response)
    assert [i["code"] for i in data["queue"]["items"]] == [second]


async def test_the_queue_says_how_many_more_wait_beyond_n(stack: tuple[Stack, str]) -> None:
    s, _ = stack
    for _ in range(3):
        await s.pay_order("SALUDO")
    data = await s.widgets.data(Query.parse("queue", {"n": "1"}))
    assert len(data["queue"]["items"]) == 1 and data["queue"]["more"] == "y 2 más"
    s.store.shoutout_done()
    s.store.shoutout_done()
    s.store.shoutout_done()
    data = await s.widgets.data(Query.parse("queue", {}))
    assert data["queue"]["items"] == [] and data["empty"] == "No hay saludos en la cola."
