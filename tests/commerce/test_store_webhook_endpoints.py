"""The panel's webhooks on both databases: made with their secret, changed, paused, given
a new secret, deleted; a name is taken once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_helpers import T0

from commerce.store import Store
from commerce.webhook_endpoints import EndpointExists, EndpointNotFound


def test_a_webhook_is_made_listed_changed_and_deleted(store: Store) -> None:
    made = store.create_webhook_endpoint(
        "zapier", "https://hooks.example/1", ["order.paid", "tip.received"], "whsec_a", now=T0
    )
    assert (made.name, made.url, made.enabled, made.secret) == (
        "zapier",
        "https://hooks.example/1",
        True,
        "whsec_a",
    )
    assert made.events == {"order.paid", "tip.received"} and made.created_at == T0
    store.create_webhook_endpoint("sheet", "http://10.0.0.2/x", ["order.reserved"], "whsec_b")
    assert [e.name for e in store.webhook_endpoints()] == ["sheet", "zapier"]

    later = T0 + timedelta(minutes=5)
    changed = store.update_webhook_endpoint(
        "zapier", "https://hooks.example/2", ["stock.changed"], False, now=later
    )
    assert (changed.url, changed.events, changed.enabled) == (
        "https://hooks.example/2",
        frozenset({"stock.changed"}),
        False,
    )
    assert changed.secret == "whsec_a" and changed.updated_at == later  # not its secret
    assert store.get_webhook_endpoint("zapier") == changed

    rotated = store.rotate_webhook_secret("zapier", "whsec_new")
    assert rotated.secret == "whsec_new" and "whsec_new" not in repr(rotated)

    store.delete_webhook_endpoint("zapier")
    assert [e.name for e in store.webhook_endpoints()] == ["sheet"]


def test_a_name_is_taken_once_and_a_missing_one_is_refused(store: Store) -> None:
    store.create_webhook_endpoint("zapier", "https://a.example/", ["order.paid"], "s1")
    with pytest.raises(EndpointExists):
        store.create_webhook_endpoint("zapier", "https://b.example/", ["order.paid"], "s2")
    assert store.get_webhook_endpoint("zapier").url == "https://a.example/"
    with pytest.raises(EndpointNotFound):
        store.update_webhook_endpoint("nadie", "https://a.example/", ["order.paid"], True)
    with pytest.raises(EndpointNotFound):
        store.rotate_webhook_secret("nadie", "s3")
    with pytest.raises(EndpointNotFound):
        store.delete_webhook_endpoint("nadie")
    with pytest.raises(EndpointNotFound):
        store.get_webhook_endpoint("nadie")
