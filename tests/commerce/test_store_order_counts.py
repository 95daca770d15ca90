"""`Store.order_counts`: orders per status for `/metrics`, every status present."""

from __future__ import annotations

from store_helpers import ANA, BETO, CARLA, T0, TTL, buy

from commerce.store import Store
from commerce.views import OrderStatus


def test_every_status_is_counted_zero_included(shop: Store) -> None:
    assert shop.order_counts() == {status.value: 0 for status in OrderStatus}
    buy(shop, viewer=ANA)
    shop.cancel_order(buy(shop, viewer=BETO).code)
    [expired] = shop.expire_due(now=T0 + TTL * 2)
    buy(shop, viewer=CARLA, now=T0 + TTL * 2)
    zero = {status.value: 0 for status in OrderStatus}
    assert expired.viewer == ANA
    assert shop.order_counts() == {**zero, "pending": 1, "cancelled": 1, "expired": 1}
