"""The panel's Store calls on both databases: sign-in links and sessions, order search,
history, streams, live figures and summaries (window functions and epoch arithmetic differ
between SQLite and PostgreSQL, so each runs on both)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

from store_helpers import ANA, BETO, T0, buy

from commerce.money import Money
from commerce.reports import OrderQuery
from commerce.sessions import PanelRole
from commerce.store import Store
from commerce.views import OrderStatus, PaymentReport, TipSource


def pay(store: Store, code: str, amount: str, at_minutes: int = 1) -> None:
    store.record_payment(
        PaymentReport("mercadopago", f"p-{code}", "approved", Decimal(amount), "ARS", code),
        now=T0 + timedelta(minutes=at_minutes),
    )


def test_a_link_is_redeemed_once_even_by_racing_browsers(store: Store) -> None:
    token = store.panel_link(PanelRole.STAFF, timedelta(minutes=5))
    results: list[object] = []

    def redeem() -> None:
        results.append(store.panel_sign_in(token, timedelta(days=1)))

    threads = [threading.Thread(target=redeem) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results if r is not None]
    assert len(won) == 1
    session_token, view = won[0]  # type: ignore[misc]
    assert view.role is PanelRole.STAFF
    assert store.panel_session(session_token) is not None
    assert store.panel_sign_out_all() == 1
    assert store.panel_session(session_token) is None


def test_an_expired_link_opens_nothing(store: Store) -> None:
    token = store.panel_link(PanelRole.OWNER, timedelta(minutes=15), now=T0)
    assert store.panel_sign_in(token, timedelta(days=1), now=T0 + timedelta(minutes=16)) is None
    assert store.panel_sessions() == []


def test_search_filters_and_history(shop: Store) -> None:
    a = buy(shop, "TAZA", 2)
    b = buy(shop, "STICK", 1, viewer=BETO, now=T0 + timedelta(minutes=5))
    pay(shop, a.code, "17000")
    shop.panel_fulfill(a.code, "staff", now=T0 + timedelta(minutes=9))
    shop.panel_cancel(b.code, "owner", now=T0 + timedelta(minutes=10))
    found = shop.panel_orders(OrderQuery(search="BET"))
    assert [r.code for r in found.rows] == [b.code] and found.rows[0].items == "Stickers"
    assert [r.code for r in shop.panel_orders(OrderQuery(sku="TAZA")).rows] == [a.code]
    assert shop.panel_orders(OrderQuery(status="cancelled")).total == 1
    assert [
        r.code for r in shop.panel_orders(OrderQuery(since=T0 + timedelta(minutes=1))).rows
    ] == [b.code]
    assert [(e.kind, e.actor) for e in shop.panel_order_history(a.code)] == [
        ("created", "buyer"),
        ("payment", "provider"),
        ("paid", "provider"),
        ("fulfilled", "staff"),
    ]
    assert shop.get_order(b.code).status is OrderStatus.CANCELLED
    assert [e.kind for e in shop.panel_order_history(b.code)] == ["created", "cancelled"]
    counts = {p.sku: p for p in shop.panel_catalog()}
    assert (counts["TAZA"].sold, counts["TAZA"].reserved, counts["TAZA"].available) == (2, 0, 3)


def test_streams_live_figures_and_a_summary(shop: Store) -> None:
    first = buy(shop, "TAZA", 1, now=T0)
    pay(shop, first.code, "8500")
    same_bucket = buy(shop, "STICK", 1, now=T0 + timedelta(minutes=2))
    pay(shop, same_bucket.code, "2500.50", at_minutes=3)
    buy(shop, "STICK", 1, viewer=BETO, now=T0 + timedelta(minutes=30))
    later = T0 + timedelta(hours=5)
    second = buy(shop, "TAZA", 2, viewer=BETO, now=later)
    pay(shop, second.code, "17000", at_minutes=301)
    shop.create_tip(
        ANA,
        "canal",
        Money(Decimal(700), "ARS"),
        "",
        TipSource.BITS,
        ttl=timedelta(minutes=5),
        external_id="t1",
        now=later + timedelta(minutes=2),
    )
    spans = shop.panel_streams(T0 - timedelta(hours=1), T0 + timedelta(hours=6))
    assert [(s.started_at, s.ended_at, s.events) for s in spans] == [
        (later, later + timedelta(minutes=2), 2),
        (T0, T0 + timedelta(minutes=30), 3),
    ]
    live = shop.panel_live("ARS", now=later + timedelta(minutes=3))
    assert live.since == later and live.orders == 1 and live.revenue.amount == Decimal(17000)
    assert live.tips.amount == Decimal(700)
    report = shop.panel_summary(T0, T0 + timedelta(hours=6), "ARS")
    assert report.revenue.amount == Decimal("28000.50") and report.orders == 4
    assert (report.converted, report.pending, report.tip_count) == (3, 1, 1)
    assert sum(minor for _, minor in report.series) == 2_800_050
    assert report.series[0][1] == 850_000 + 250_050  # both paid in the first five minutes
