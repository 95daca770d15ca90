"""The overlay's state and its SSE stream, without a browser (see tests/browser)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bots.chat.i18n import Messages
from bots.runtime.events import GoalChanged, OrderPaid, SpotlightChanged, TipReceived
from bots.web.overlay import Overlay
from commerce.money import Money
from commerce.views import LineRequest, OrderView, TipSource, TipView, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")


def order(store: Any, sku: str = "TAZA", quantity: int = 1) -> OrderView:
    view: OrderView = store.reserve(
        ANA, "canal", [LineRequest(sku, quantity)], ttl=timedelta(minutes=5)
    )
    return view


def tip(store: Any, amount: int) -> TipView:
    view: TipView = store.create_tip(
        ANA, "canal", Money(amount, "ARS"), "¡grande!", TipSource.LINK, ttl=timedelta(minutes=5)
    )
    return view


@pytest.fixture
def overlay(store: Any) -> Overlay:
    return Overlay(store, Messages(), locale="es")


async def test_spotlight_shows_price_stock_left_and_a_qr_to_the_product_page(
    overlay: Overlay, store: Any
) -> None:
    await overlay.on_event(SpotlightChanged(store.get_product("TAZA")))
    order(store, quantity=3)
    await overlay.on_event(OrderPaid(order(store)))  # any event refreshes the stock
    spot = overlay.state("http://127.0.0.1:9")["spotlight"]
    assert spot["name"] == "Taza"
    assert spot["available"] == store.get_product("TAZA").available == 16
    assert spot["stock_label"] == "quedan 16"
    assert spot["url"] == "http://127.0.0.1:9/c/TAZA"
    assert spot["qr"].startswith("<svg")
    await overlay.on_event(SpotlightChanged(None))
    assert overlay.state("http://x")["spotlight"] is None


async def test_the_qr_uses_the_public_url_when_there_is_one(store: Any) -> None:
    overlay = Overlay(store, Messages(), public_url="https://tienda.example/")
    await overlay.on_event(SpotlightChanged(store.get_product("TAZA")))
    assert overlay.state("http://127.0.0.1:9")["spotlight"]["url"] == (
        "https://tienda.example/c/TAZA"
    )


async def test_sales_goal_counts_paid_orders_only_and_survives_a_raise(
    overlay: Overlay, store: Any
) -> None:
    await overlay.on_event(GoalChanged(Money(10000, "ARS"), "sales"))
    await overlay.on_event(OrderPaid(order(store)))  # 8500
    await overlay.on_event(TipReceived(tip(store, 500)))  # a tip is not a sale
    goal = overlay.state("http://x")["goal"]
    assert goal["progress"] == Messages().money(Money(8500, "ARS"), "es")
    assert goal["percent"] == pytest.approx(85.0)
    await overlay.on_event(GoalChanged(Money(17000, "ARS"), "sales"))
    assert overlay.state("http://x")["goal"]["percent"] == pytest.approx(50.0)
    await overlay.on_event(OrderPaid(order(store)))
    assert overlay.state("http://x")["goal"]["percent"] == pytest.approx(100.0)
    await overlay.on_event(GoalChanged(Money(1000, "ARS"), "tips"))  # another kind: from zero
    assert overlay.state("http://x")["goal"]["percent"] == 0.0
    await overlay.on_event(TipReceived(tip(store, 1500)))
    assert overlay.state("http://x")["goal"]["percent"] == 100.0  # capped
    await overlay.on_event(GoalChanged(None, "tips"))
    assert overlay.state("http://x")["goal"] is None


async def serve(overlay: Overlay) -> AsyncIterator[str]:
    app = web.Application()
    overlay.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@pytest.fixture
async def url(overlay: Overlay) -> AsyncIterator[str]:
    async for base in serve(overlay):
        yield base


async def read_events(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, Any]]:
    """The next `count` SSE events (name, data), skipping comments and `retry:`."""
    events: list[tuple[str, Any]] = []
    name, data = "message", ""
    while len(events) < count:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            events.append((name, json.loads(data)))
            name, data = "message", ""
    return events


async def test_stream_starts_with_the_state_then_sends_alerts_in_order(
    overlay: Overlay, store: Any, url: str
) -> None:
    await overlay.on_event(SpotlightChanged(store.get_product("TAZA")))
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/overlay/events") as response,
    ):
        assert response.headers["Content-Type"].startswith("text/event-stream")
        [(kind, state)] = await read_events(response, 1)
        assert (kind, state["spotlight"]["sku"]) == ("state", "TAZA")
        await overlay.on_event(OrderPaid(order(store)))
        await overlay.on_event(TipReceived(tip(store, 700)))
        events = await read_events(response, 4)
    alerts = [data for kind, data in events if kind == "alert"]
    assert [(a["kind"], a["buyer"], a["platform"]) for a in alerts] == [
        ("order", "ana", "twitch"),
        ("tip", "ana", "twitch"),
    ]
    assert alerts[0]["title"] == "Taza" and alerts[0]["headline"] == "ana compró"
    assert alerts[1]["message"] == "¡grande!"
    assert alerts[0]["id"] < alerts[1]["id"]


async def test_a_reconnecting_overlay_gets_the_alerts_it_missed_and_a_new_one_none(
    overlay: Overlay, store: Any, url: str
) -> None:
    for _ in range(3):
        await overlay.on_event(OrderPaid(order(store)))
    first, second, third = (a["id"] for a in overlay.alerts)
    async with aiohttp.ClientSession() as http:
        headers = {"Last-Event-ID": str(first)}
        async with http.get(f"{url}/overlay/events", headers=headers) as response:
            events = await read_events(response, 3)
        assert [d["id"] for k, d in events if k == "alert"] == [second, third]
        async with http.get(f"{url}/overlay/events?last={second}") as response:
            events = await read_events(response, 2)
        assert [d["id"] for k, d in events if k == "alert"] == [third]
        async with http.get(f"{url}/overlay/events") as response:
            [(kind, _)] = await read_events(response, 1)
            await overlay.on_event(OrderPaid(order(store)))
            [(kind, data)] = await read_events(response, 1)
        assert kind == "alert" and data["id"] == third + 1  # nothing old was replayed


async def test_page_and_its_files_are_served(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for path, kind in [
            ("/overlay", "text/html"),
            ("/overlay/static/overlay.js", "text/javascript"),
            ("/overlay/static/overlay.css", "text/css"),
        ]:
            async with http.get(url + path) as response:
                assert response.status == 200 and response.content_type == kind
        async with http.get(url + "/overlay/static/..%2Fapp.py") as response:
            assert response.status == 404
