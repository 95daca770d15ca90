"""Resumen: streams found by pauses, and what a stream or a date range sold."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from panel_helpers import Browser, serve_panel

from bots.runtime.services import Settings
from commerce.money import Money
from commerce.views import LineRequest, OrderView, PaymentReport, TipSource, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")
BETO = ViewerRef("youtube", "u2", "beto")
NOW = datetime.now(UTC).replace(microsecond=0)


def order(store: Any, viewer: ViewerRef, sku: str, at: datetime, *, paid: bool) -> OrderView:
    made: OrderView = store.reserve(
        viewer, "c", [LineRequest(sku)], ttl=timedelta(minutes=10), now=at
    )
    if paid:
        store.record_payment(
            PaymentReport(
                "mercadopago", f"p-{made.code}", "approved", made.total.amount, "ARS", made.code
            ),
            now=at + timedelta(minutes=1),
        )
    return made


def tip(store: Any, viewer: ViewerRef, amount: int, at: datetime) -> None:
    store.create_tip(
        viewer,
        "c",
        Money(Decimal(amount), "ARS"),
        "",
        TipSource.SUPERCHAT,
        ttl=timedelta(minutes=5),
        external_id=f"{viewer.user_id}-{amount}-{at.timestamp()}",
        now=at,
    )


def two_streams(store: Any) -> tuple[datetime, datetime]:
    """Yesterday's stream (2 orders) and today's (4 orders, 2 tips), 20 hours apart."""
    yesterday = NOW - timedelta(hours=22)
    today = NOW - timedelta(hours=1)
    order(store, ANA, "TAZA", yesterday, paid=True)
    order(store, ANA, "TAZA", yesterday + timedelta(minutes=30), paid=False)
    order(store, ANA, "TAZA", today, paid=True)
    order(store, BETO, "TAZA", today + timedelta(minutes=10), paid=True)
    order(store, BETO, "SALUDO", today + timedelta(minutes=20), paid=True)
    order(store, ANA, "SALUDO", today + timedelta(minutes=25), paid=False)
    tip(store, BETO, 3000, today + timedelta(minutes=5))
    tip(store, ANA, 1000, today + timedelta(minutes=6))
    tip(store, BETO, 500, today + timedelta(minutes=7))
    store.expire_due(now=NOW + timedelta(hours=1))
    return yesterday, today


def test_a_pause_longer_than_the_gap_ends_a_stream(store: Any) -> None:
    yesterday, today = two_streams(store)
    spans = store.panel_streams(NOW - timedelta(days=2), NOW + timedelta(hours=1))
    assert [(s.started_at, s.events) for s in spans] == [(today, 7), (yesterday, 2)]
    assert spans[1].ended_at == yesterday + timedelta(minutes=30)
    one = store.panel_streams(NOW - timedelta(days=2), NOW, timedelta(days=1))
    assert len(one) == 1


def test_a_streams_summary(store: Any) -> None:
    _, today = two_streams(store)
    report = store.panel_summary(today, NOW, "ARS")
    assert report.revenue == Money(Decimal(8500 * 2 + 5000), "ARS")
    assert (report.orders, report.converted, report.lost) == (4, 3, 1)
    assert report.lost_value == Money(Decimal(5000), "ARS")
    assert report.conversion == Decimal("75.0")
    assert [(s.label, s.orders) for s in report.by_platform] == [("youtube", 2), ("twitch", 1)]
    assert [(p.label, p.units) for p in report.by_product] == [
        ("Taza", 2),
        ("Saludo personalizado", 1),
    ]
    assert report.tips == Money(Decimal(4500), "ARS") and report.tip_count == 3
    assert [(t.name, t.amount.amount) for t in report.top_tippers] == [
        ("beto", Decimal(3500)),
        ("ana", Decimal(1000)),
    ]
    assert sum(minor for _, minor in report.series) == 2_200_000


@pytest.fixture
async def owner(store: Any, settings: Settings) -> AsyncIterator[Browser]:
    async with serve_panel(store, settings, timezone="America/Argentina/Buenos_Aires") as served:
        b = Browser(served)
        await b.sign_in()
        yield b
        await b.close()


async def test_the_page_shows_the_latest_stream_and_feeds_the_chart(
    owner: Browser, store: Any
) -> None:
    two_streams(store)
    page = await owner.get("/panel/resumen")
    assert page.status == 200
    html = await page.text()
    assert 'data-stat="revenue">$ 22.000,00<' in html
    assert "75 %" in html and "beto" in html
    chart = json.loads(unescape(re.search(r'data-chart="([^"]+)"', html).group(1)))  # type: ignore[union-attr]
    assert chart["y"][-1] == 22000 and len(chart["x"]) == len(chart["y"])  # sales so far
    assert chart["y"] == sorted(chart["y"])
    yesterday = await owner.get("/panel/resumen?stream=1")
    assert 'data-stat="revenue">$ 8.500,00<' in await yesterday.text()
    day = (NOW - timedelta(days=3)).date().isoformat()
    whole = await owner.get(f"/panel/resumen?stream=range&desde={day}")
    assert 'data-stat="revenue">$ 30.500,00<' in await whole.text()
