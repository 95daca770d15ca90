"""Owner alerts in the store: recorded once per fact, listed for the panel, and delivered
to each private destination by attempts that two processes cannot both take."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from store_helpers import T0

from commerce.alerts import AlertKind, AlertSpec, Destination
from commerce.money import Money
from commerce.store import Store

TG = Destination("telegram", "111")
DC = Destination("discord", "222")


def _paid(code: str, amount: str = "15000") -> AlertSpec:
    return AlertSpec(
        AlertKind.PAID,
        f"paid:{code}",
        code,
        platform="twitch",
        buyer="ana",
        summary="Remera",
        amount=Money(Decimal(amount), "ARS"),
    )


def test_an_alert_is_recorded_once_with_its_money_exact(store: Store) -> None:
    first = store.record_alert(_paid("AB12", "15000.50"), [TG, DC], now=T0)
    again = store.record_alert(_paid("AB12"), [TG, DC], now=T0 + timedelta(seconds=5))
    assert first is not None and again is None
    [shown] = store.list_alerts()
    assert shown.amount == Money(Decimal("15000.50"), "ARS")
    assert (shown.kind, shown.code, shown.buyer, shown.summary) == (
        AlertKind.PAID,
        "AB12",
        "ana",
        "Remera",
    )
    assert shown.created_at == T0 and shown.read_at is None
    assert set(shown.waiting_for) == {"telegram", "discord"} and shown.sent_to == ()


def test_unread_counts_by_kind_and_marking_read(store: Store) -> None:
    store.record_alert(_paid("AA11"), [], now=T0)
    refund = AlertSpec(AlertKind.REFUND_NEEDED, "refund:BB22", "BB22", reason="out_of_stock")
    store.record_alert(refund, [], now=T0 + timedelta(seconds=1))
    assert store.unread_alerts() == 2
    assert store.unread_alerts([AlertKind.PAID, AlertKind.MISSING_DETAILS]) == 1
    assert [a.code for a in store.list_alerts([AlertKind.PAID])] == ["AA11"]
    assert [a.code for a in store.list_alerts()] == ["BB22", "AA11"]  # newest first
    # Marking every unread alert of the kinds a staff member sees leaves the refund unread.
    assert store.mark_alerts_read(kinds=[AlertKind.PAID], now=T0) == 1
    assert store.unread_alerts() == 1
    [left] = store.list_alerts(unread_only=True)
    assert store.mark_alerts_read([left.id], now=T0) == 1
    assert store.mark_alerts_read([left.id], now=T0) == 0
    assert store.unread_alerts() == 0


def test_a_delivery_is_taken_once_retried_when_lost_and_done_when_sent(store: Store) -> None:
    store.record_alert(_paid("CC33"), [TG, DC], now=T0)
    due = store.due_alert_deliveries(["telegram"], now=T0)
    assert [(d.destination, d.alert.code, d.attempts) for d in due] == [(TG, "CC33", 0)]
    ids = [d.id for d in due]
    retry_at = T0 + timedelta(minutes=1)
    assert store.take_alert_deliveries(ids, retry_at, now=T0) == ids
    # Another process looking at the same moment finds it taken.
    assert store.take_alert_deliveries(ids, retry_at, now=T0) == []
    assert store.due_alert_deliveries(["telegram"], now=T0 + timedelta(seconds=30)) == []
    # The attempt was lost (the platform was down): it comes back at retry_at.
    [back] = store.due_alert_deliveries(["telegram"], now=retry_at)
    assert back.attempts == 1
    assert store.take_alert_deliveries(ids, retry_at + timedelta(minutes=2), now=retry_at) == ids
    assert store.mark_alerts_sent(ids, now=retry_at) == 1
    assert store.due_alert_deliveries(["telegram"], now=T0 + timedelta(days=1)) == []
    [shown] = store.list_alerts()
    assert shown.sent_to == ("telegram",) and shown.waiting_for == ("discord",)


def test_a_delivery_that_never_works_stops_being_tried(store: Store) -> None:
    store.record_alert(_paid("DD44"), [TG], now=T0)
    at = T0
    for _ in range(3):
        [due] = store.due_alert_deliveries(["telegram"], now=at, max_attempts=3)
        store.take_alert_deliveries([due.id], at, now=at)
    assert store.due_alert_deliveries(["telegram"], now=at, max_attempts=3) == []
    [shown] = store.list_alerts()  # the panel still has it
    assert shown.waiting_for == ("telegram",)


def test_the_owners_alert_preferences_are_kept_and_replaced(store: Store) -> None:
    from commerce.alerts import Preferences

    assert store.alert_preferences() is None
    first = Preferences({"paid": ("telegram",), "tip": ()}, False, 15, 6)
    store.save_alert_preferences(first, now=T0)
    assert store.alert_preferences() == first
    second = Preferences({"paid": ("discord", "telegram")}, True, 45, 24)
    store.save_alert_preferences(second, now=T0 + timedelta(minutes=1))
    assert store.alert_preferences() == second
