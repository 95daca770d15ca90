"""Outgoing webhooks' rows on both databases: written once, leased to one sender at a time,
retried when due, finished once (delivered or given up), listed newest first."""

from __future__ import annotations

import threading
from datetime import timedelta

from store_helpers import T0

from commerce.store import Store
from commerce.webhooks import DELIVERED, GAVE_UP, PENDING, AttemptView, NewDelivery

LEASE = timedelta(seconds=30)


def _new(event_id: str = "evt_1", endpoint: str = "zapier") -> NewDelivery:
    return NewDelivery(event_id, "order.paid", endpoint, "https://hooks.example/1", '{"a":1}')


def _failed(delivery_id: int, at_offset: int, status: int | None = 500) -> AttemptView:
    error = f"HTTP {status}" if status else "ClientConnectorError: refused"
    return AttemptView(delivery_id, T0 + timedelta(seconds=at_offset), status, error, 12)


def test_an_event_is_written_once_per_webhook(store: Store) -> None:
    first = store.enqueue_webhooks([_new(), _new(endpoint="sheet")], now=T0)
    again = store.enqueue_webhooks([_new()], now=T0)  # the same event published twice
    assert len(first) == 2 and again == []
    assert {d.endpoint for d, _ in store.recent_webhooks()} == {"zapier", "sheet"}


def test_a_leased_delivery_is_not_handed_out_twice_until_the_lease_ends(store: Store) -> None:
    [delivery_id] = store.enqueue_webhooks([_new()], now=T0)
    [leased] = store.lease_webhooks(LEASE, now=T0)
    assert (leased.id, leased.body, leased.state) == (delivery_id, '{"a":1}', PENDING)
    assert store.lease_webhooks(LEASE, now=T0 + timedelta(seconds=29)) == []
    # the sender died mid-request: once the lease runs out the row is due again
    [again] = store.lease_webhooks(LEASE, now=T0 + timedelta(seconds=31))
    assert again.id == delivery_id


def test_concurrent_senders_never_lease_the_same_row(store: Store) -> None:
    store.enqueue_webhooks([_new(f"evt_{n}") for n in range(30)], now=T0)
    got: list[int] = []
    lock = threading.Lock()

    def sender() -> None:
        for _ in range(10):
            found = store.lease_webhooks(LEASE, limit=3, now=T0)
            with lock:
                got.extend(d.id for d in found)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 30 and len(set(got)) == 30


def test_a_failure_waits_then_a_success_delivers_for_good(store: Store) -> None:
    [delivery_id] = store.enqueue_webhooks([_new()], now=T0)
    store.lease_webhooks(LEASE, now=T0)
    retry_at = T0 + timedelta(seconds=60)
    waiting = store.record_webhook_attempt(delivery_id, _failed(delivery_id, 0), retry_at=retry_at)
    assert (waiting.state, waiting.attempts, waiting.next_attempt_at) == (PENDING, 1, retry_at)
    assert store.next_webhook_due() == retry_at
    assert store.lease_webhooks(LEASE, now=T0 + timedelta(seconds=59)) == []
    [due] = store.lease_webhooks(LEASE, now=retry_at)
    ok = AttemptView(delivery_id, retry_at, 204, None, 8)
    done = store.record_webhook_attempt(due.id, ok, retry_at=None)
    assert (done.state, done.attempts, done.finished_at) == (DELIVERED, 2, retry_at)
    # a late report of a stale attempt changes nothing
    late = store.record_webhook_attempt(delivery_id, _failed(delivery_id, 90), retry_at=retry_at)
    assert late.state == DELIVERED
    assert store.next_webhook_due() is None
    [(_, attempts)] = store.recent_webhooks()
    assert [(a.status_code, a.error, a.duration_ms) for a in attempts] == [
        (500, "HTTP 500", 12),
        (204, None, 8),
        (500, "HTTP 500", 12),
    ]


def test_given_up_deliveries_stay_listed_and_are_not_due(store: Store) -> None:
    [refused, removed] = store.enqueue_webhooks([_new("evt_a"), _new("evt_b")], now=T0)
    store.lease_webhooks(LEASE, now=T0)
    gone = store.record_webhook_attempt(refused, _failed(refused, 5, status=None), retry_at=None)
    store.give_up_webhook(removed, now=T0)
    assert gone.state == GAVE_UP and gone.finished_at == T0 + timedelta(seconds=5)
    assert store.lease_webhooks(LEASE, now=T0 + timedelta(days=2)) == []
    listed = store.recent_webhooks()
    assert [(d.event_id, d.state) for d, _ in listed] == [("evt_b", GAVE_UP), ("evt_a", GAVE_UP)]
    assert [[(a.status_code, a.error) for a in tries] for _, tries in listed] == [
        [],
        [(None, "ClientConnectorError: refused")],
    ]


def test_the_log_lists_one_webhook_newest_first(store: Store) -> None:
    store.enqueue_webhooks([_new("evt_1"), _new("evt_1", "sheet")], now=T0)
    store.enqueue_webhooks([_new("evt_2")], now=T0 + timedelta(seconds=1))
    zapier = store.recent_webhooks(endpoint="zapier")
    assert [(d.event_id, d.endpoint) for d, _ in zapier] == [
        ("evt_2", "zapier"),
        ("evt_1", "zapier"),
    ]
    assert [d.event_id for d, _ in store.recent_webhooks(limit=1)] == ["evt_2"]


def test_a_test_send_is_born_leased(store: Store) -> None:
    store.enqueue_webhooks([_new()], now=T0, held=LEASE)
    assert store.lease_webhooks(LEASE, now=T0) == []
