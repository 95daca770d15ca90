"""The events outbox: an event commits with the change it reports, or neither does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commerce.store import Store
from commerce.views import (
    LineRequest,
    OrderStatus,
    OutcomeKind,
    PaymentOutcome,
    PaymentReport,
    ViewerRef,
)

TTL = timedelta(minutes=15)


def _order(shop: Store, user: str = "1") -> str:
    viewer = ViewerRef("twitch", user, f"viewer{user}")
    return shop.reserve(viewer, "chan", [LineRequest("TAZA")], ttl=TTL).code


def _paid(code: str, payment: str = "p1") -> PaymentReport:
    return PaymentReport("mp", payment, "approved", Decimal("8500"), "ARS", code)


def _says(outcome: PaymentOutcome) -> list[tuple[str, str]]:
    return [("paid", outcome.order.code)] if outcome.order is not None else []


def test_a_payment_and_its_event_commit_together(shop: Store) -> None:
    code = _order(shop)
    start = shop.last_event_id()
    outcome = shop.record_payment(_paid(code), events=_says)
    assert outcome.kind is OutcomeKind.ORDER_PAID
    [row] = shop.events_after(start)
    assert (row.kind, row.body) == ("paid", code)


def test_an_event_that_cannot_be_written_undoes_the_payment(shop: Store) -> None:
    code = _order(shop)

    def broken(outcome: PaymentOutcome) -> list[tuple[str, str]]:
        raise RuntimeError("the events could not be made")

    with pytest.raises(RuntimeError):
        shop.record_payment(_paid(code), events=broken)
    assert shop.get_order(code).status is OrderStatus.PENDING
    assert shop.events_after(0) == []


def test_a_repeated_payment_reports_nothing_new(shop: Store) -> None:
    code = _order(shop)
    shop.record_payment(_paid(code), events=lambda o: [("paid", o.kind.value)])
    again = shop.record_payment(_paid(code), events=lambda o: [("paid", o.kind.value)])
    assert again.kind is OutcomeKind.DUPLICATE
    assert [r.body for r in shop.events_after(0)] == ["order_paid", "duplicate"]


def test_expiry_reports_what_it_expired(shop: Store) -> None:
    code = _order(shop)
    later = datetime.now(UTC) + TTL + timedelta(seconds=1)
    shop.expire_due(later, events=lambda orders: [("expired", o.code) for o in orders])
    shop.expire_due(later, events=lambda orders: [("expired", o.code) for o in orders])
    assert [(r.kind, r.body) for r in shop.events_after(0)] == [("expired", code)]


def test_a_new_role_starts_at_the_newest_event_and_its_cursor_never_moves_back(
    shop: Store,
) -> None:
    shop.publish_events([("a", "1"), ("b", "2")])
    newest = shop.last_event_id()
    assert shop.event_cursor("chat:twitch") == newest
    shop.publish_events([("c", "3")])
    assert [r.body for r in shop.events_after(shop.event_cursor("chat:twitch"))] == ["3"]
    shop.advance_event_cursor("chat:twitch", newest + 1)
    shop.advance_event_cursor("chat:twitch", newest)
    assert shop.event_cursor("chat:twitch") == newest + 1


def test_old_events_are_pruned(shop: Store) -> None:
    shop.publish_events([("a", "1")], now=datetime.now(UTC) - timedelta(days=4))
    shop.publish_events([("b", "2")])
    assert shop.prune_events(datetime.now(UTC) - timedelta(days=3)) == 1
    assert [r.body for r in shop.events_after(0)] == ["2"]
