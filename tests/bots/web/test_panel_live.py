"""En vivo: the SSE feed with catch-up, the figures, and quick actions the overlay follows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from panel_helpers import Browser, Served, serve_panel

from bots.runtime.events import (
    ClaimWordsChanged,
    GoalChanged,
    OrderPaid,
    SpotlightChanged,
    StockChanged,
    TipReceived,
)
from bots.runtime.services import Settings
from bots.web.panel.core import LiveSources
from commerce.live_state import ClaimWordsState
from commerce.money import Money
from commerce.views import LineRequest, OrderView, PaymentReport, TipSource, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")


@pytest.fixture
async def served(store: Any, settings: Settings) -> AsyncIterator[Served]:
    async with serve_panel(store, settings, low_stock=5) as found:
        yield found


def paid_order(store: Any, sku: str = "TAZA", quantity: int = 1) -> OrderView:
    order = store.reserve(ANA, "c", [LineRequest(sku, quantity)], ttl=timedelta(minutes=2))
    store.record_payment(
        PaymentReport(
            "mercadopago", f"p-{order.code}", "approved", order.total.amount, "ARS", order.code
        )
    )
    view: OrderView = store.get_order(order.code)
    return view


async def events(response: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    """The next `count` SSE events (name, id, data) from a stream."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    while len(found) < count:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode().rstrip("\n")
        if not line:
            if "event" in current:
                found.append(current)
            current = {}
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
    return found


async def test_the_feed_streams_payments_and_tips_and_catches_up_on_reconnect(
    owner: Browser, served: Served, store: Any
) -> None:
    url = f"{served.url}/panel/vivo/eventos"
    async with owner.http.get(url) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        [ready] = await events(stream, 1)
        assert ready["event"] == "ready"
        await served.bus.publish(OrderPaid(paid_order(store, quantity=2)))
        tip = store.create_tip(
            ANA, "c", Money(Decimal(500), "ARS"), "¡vamos!", TipSource.BITS, ttl=timedelta(1)
        )
        await served.bus.publish(TipReceived(tip))
        first, second = await events(stream, 2)
    assert first["event"] == "item" and first["data"]["title"] == "ana pagó"
    assert first["data"]["detail"] == "2× Taza" and "17.000" in first["data"]["amount"]
    assert second["data"]["kind"] == "tip" and second["data"]["detail"] == "¡vamos!"
    # a page that lost the stream comes back with Last-Event-ID and misses nothing
    await served.bus.publish(OrderPaid(paid_order(store)))
    headers = {"Last-Event-ID": first["id"]}
    async with owner.http.get(url, headers=headers) as again:
        missed = await events(again, 3)
    assert [m["event"] for m in missed] == ["item", "item", "ready"]
    assert int(missed[0]["id"]) == int(first["id"]) + 1


async def test_the_figures_show_this_streams_sales_stock_and_expiring_reservations(
    owner: Browser, store: Any
) -> None:
    paid_order(store, "TAZA", 2)
    paid_order(store, "SALUDO")
    store.set_stock("STICK", 4)  # low: at or under 5
    waiting = store.reserve(
        ViewerRef("youtube", "u2", "beto"), "c", [LineRequest("STICK")], ttl=timedelta(minutes=2)
    )
    page = await owner.get("/panel/vivo/estado")
    html = await page.text()
    assert page.status == 200
    assert 'data-stat="revenue">$ 22.000,00<' in html
    assert 'data-stat="orders">3<' in html
    assert waiting.code in html and "beto" in html  # expires within minutes
    stick = html[html.index('data-sku="STICK"') :]
    assert 'class="avail low"' in stick[: stick.index("</tr>")]


def test_the_current_stream_starts_after_the_last_long_pause(store: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)  # streams are found to the second
    for minutes in (300, 290, 60, 30, 5):
        store.reserve(
            ANA,
            "c",
            [LineRequest("SALUDO")],
            ttl=timedelta(minutes=2),
            now=now - timedelta(minutes=minutes),
        )
    live = store.panel_live("ARS", now=now)
    assert live.since == now - timedelta(minutes=60)
    assert live.orders == 3


async def test_quick_actions_make_the_chat_commands_store_calls(
    owner: Browser, served: Served, store: Any
) -> None:
    assert (await owner.post("/panel/vivo/abrir", {"open": "0"})).status == 303
    assert store.is_open() is False
    assert (await owner.post("/panel/vivo/abrir", {"open": "1"})).status == 303
    assert store.is_open() is True
    assert (await owner.post("/panel/vivo/destacar", {"sku": "TAZA"})).status == 303
    [spot] = [e for e in served.events if isinstance(e, SpotlightChanged)]
    assert spot.product is not None and spot.product.sku == "TAZA"
    assert store.spotlight() == "TAZA"  # kept for claim words in every chat process
    assert (
        await owner.post("/panel/vivo/meta", {"amount": "50.000", "kind": "tips"})
    ).status == 303
    [goal] = [e for e in served.events if isinstance(e, GoalChanged)]
    assert goal.target == Money(Decimal(50000), "ARS") and goal.kind == "tips"
    bad = await owner.post("/panel/vivo/meta", {"amount": "mucho"})
    assert bad.status == 400 and "no se entiende" in await bad.text()
    page = await owner.get("/panel/vivo")
    html = await page.text()
    assert 'value="TAZA" selected' in html  # the page shows what is on


class FakeOutbox:
    def __init__(self, adapter: Any, depth: int) -> None:
        self.adapter = adapter
        self.depth = depth


class FakeYouTube:
    state = "live"

    def quota(self) -> dict[str, object]:
        return {"remaining": 7345}


def test_platforms_show_connection_queue_and_youtube_units() -> None:
    sources = LiveSources(
        {"twitch": FakeOutbox(object(), 3), "youtube": FakeOutbox(FakeYouTube(), 0)}
    )
    assert sources.platforms() == [
        {"name": "twitch", "state": "running", "queue": 3, "units_left": None},
        {"name": "youtube", "state": "live", "queue": 0, "units_left": 7345},
    ]


async def test_a_stock_from_the_live_page_is_the_same_guarded_store_call(
    owner: Browser, served: Served, store: Any
) -> None:
    store.reserve(ANA, "c", [LineRequest("TAZA", 3)], ttl=timedelta(minutes=2))
    done = await owner.post("/panel/vivo/stock", {"target": "TAZA|", "stock": "5"})
    assert done.status == 303 and "ok=stock" in done.headers["Location"]
    assert store.get_product("TAZA").stock == 5
    assert any(isinstance(e, StockChanged) for e in served.events)
    below = await owner.post("/panel/vivo/stock", {"target": "TAZA|", "stock": "2"})
    assert below.status == 400 and "ya hay 3 reservados o vendidos" in await below.text()
    variant = await owner.post(
        "/panel/vivo/stock", {"target": "REM|color=negro,talle=S", "stock": "9"}
    )
    assert variant.status == 303
    assert {v.key: v.stock for v in store.get_product("REM").variants}["color=negro,talle=S"] == 9
    assert store.get_product("TAZA").stock == 5


async def test_signing_out_everywhere_ends_an_open_feed(
    owner: Browser, served: Served, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bots.web.panel import live

    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 1.0)
    async with owner.http.get(f"{served.url}/panel/vivo/eventos") as stream:
        [ready] = await events(stream, 1)
        assert ready["event"] == "ready"
        store.panel_sign_out_all()
        rest = await asyncio.wait_for(stream.content.read(), 10)  # the server closes it
    assert b"keepalive" not in rest


async def test_closing_from_the_panel_turns_claim_words_off(
    owner: Browser, served: Served, store: Any
) -> None:
    store.set_claim_words(ClaimWordsState(True, None))
    assert (await owner.post("/panel/vivo/abrir", {"open": "0"})).status == 303
    assert store.claim_words().enabled is False
    assert ClaimWordsChanged(False) in served.events
    assert (await owner.post("/panel/vivo/destacar", {"sku": ""})).status == 303
    assert store.spotlight() is None
