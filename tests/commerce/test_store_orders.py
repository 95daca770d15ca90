"""Reservations and the order lifecycle: every error, every transition, expiry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from store_helpers import ANA, BETO, CARLA, T0, TTL, buy

from commerce import errors
from commerce.money import Money
from commerce.store import CODE_ALPHABET, ORDER_CODE_LENGTH, Store
from commerce.views import LineRequest, OrderStatus, ViewerRef


def test_reserve_holds_stock_and_prices_the_order(shop: Store) -> None:
    order = shop.reserve(
        ANA,
        "canal",
        [LineRequest("TAZA", 2), LineRequest("REM", 1, "talle=L,color=negro")],
        ttl=TTL,
        locale="pt",
        now=T0,
    )
    assert order.status is OrderStatus.PENDING
    assert order.total == Money(Decimal("33500"), "ARS")
    assert [(line.sku, line.quantity, line.variant_key) for line in order.lines] == [
        ("TAZA", 2, None),
        ("REM", 1, "color=negro,talle=L"),
    ]
    assert order.lines[1].unit_price.amount == Decimal("16500")
    assert order.lines[0].subtotal.amount == Decimal("17000")
    assert (order.created_at, order.expires_at) == (T0, T0 + TTL)
    assert order.created_at.tzinfo is not None
    assert (order.viewer, order.platform, order.channel_id, order.locale) == (
        ANA,
        "twitch",
        "canal",
        "pt",
    )
    assert shop.get_product("TAZA").available == 3
    rem = shop.get_product("REM")
    assert [v.available for v in rem.variants] == [3, 1]
    assert rem.available == 4


def test_order_codes_are_unguessable_and_case_insensitive(shop: Store) -> None:
    codes = {buy(shop, "STICK", viewer=ViewerRef("t", str(i), "x")).code for i in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == ORDER_CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    code = codes.pop()
    assert shop.get_order(code.lower()).code == code
    with pytest.raises(errors.OrderNotFound):
        shop.get_order("ZZZZZZZZZZ")


def test_reserve_errors(shop: Store) -> None:
    with pytest.raises(errors.ProductNotFound):
        buy(shop, "NOPE")
    with pytest.raises(errors.VariantRequired) as required:
        buy(shop, "REM")
    assert required.value.options == ["color=negro,talle=M", "color=negro,talle=L"]
    with pytest.raises(errors.VariantNotFound):
        buy(shop, "REM", 1, "talle=XL,color=negro")
    with pytest.raises(errors.VariantNotFound):
        buy(shop, "TAZA", 1, "talle=M")
    for bad in (0, -2):
        with pytest.raises(errors.InvalidQuantity):
            buy(shop, "TAZA", bad)
    with pytest.raises(errors.InvalidQuantity):
        shop.reserve(ANA, "canal", [], ttl=TTL)
    with pytest.raises(errors.OutOfStock) as short:
        buy(shop, "TAZA", 6)
    assert (short.value.requested, short.value.available) == (6, 5)
    assert shop.list_orders() == []
    assert shop.get_product("TAZA").available == 5


def test_variant_by_bare_value_and_any_case(shop: Store) -> None:
    assert buy(shop, "REM", 1, "l").lines[0].variant_key == "color=negro,talle=L"
    assert buy(shop, "rem", 1, "Color=NEGRO, talle=m", viewer=BETO).lines[0].variant_key == (
        "color=negro,talle=M"
    )
    with pytest.raises(errors.VariantRequired):
        buy(shop, "REM", 1, "negro")  # both variants are black


def test_failed_line_rolls_back_the_whole_order(shop: Store) -> None:
    with pytest.raises(errors.OutOfStock):
        shop.reserve(
            ANA, "canal", [LineRequest("TAZA", 2), LineRequest("REM", 3, "talle=L")], ttl=TTL
        )
    assert shop.get_product("TAZA").available == 5
    assert shop.get_product("REM").variants[1].available == 2
    assert shop.list_orders() == []


def test_repeated_lines_for_one_row_are_checked_together(shop: Store) -> None:
    with pytest.raises(errors.OutOfStock):
        shop.reserve(ANA, "canal", [LineRequest("TAZA", 3), LineRequest("TAZA", 3)], ttl=TTL)
    order = shop.reserve(ANA, "canal", [LineRequest("TAZA", 2), LineRequest("TAZA", 3)], ttl=TTL)
    assert order.total.amount == Decimal("42500")
    assert shop.get_product("TAZA").available == 0


def test_out_of_stock_reports_what_is_left(shop: Store) -> None:
    buy(shop, "TAZA", 4)
    with pytest.raises(errors.OutOfStock) as caught:
        buy(shop, "TAZA", 2, viewer=BETO)
    assert caught.value.available == 1
    buy(shop, "TAZA", 1, viewer=BETO)


def test_max_per_viewer_counts_pending_paid_and_fulfilled(shop: Store) -> None:
    first = buy(shop, "STICK", 2)
    with pytest.raises(errors.LimitExceeded) as caught:
        buy(shop, "STICK", 2)
    assert (caught.value.limit, caught.value.already) == (3, 2)
    buy(shop, "STICK", 3, viewer=BETO)  # the limit is per viewer
    shop.cancel_order(first.code)  # cancelled units no longer count
    second = buy(shop, "STICK", 3)
    shop.record_payment(_approved(second.code, "p8:7501.50"))
    with pytest.raises(errors.LimitExceeded):
        buy(shop, "STICK", 1)
    shop.fulfill_order(second.code)
    with pytest.raises(errors.LimitExceeded):
        buy(shop, "STICK", 1)
    with pytest.raises(errors.LimitExceeded):
        shop.reserve(BETO, "canal", [LineRequest("STICK", 1)], ttl=TTL)


def _approved(code: str, spec: str):  # type: ignore[no-untyped-def]
    from commerce.views import PaymentReport

    payment_id, amount = spec.split(":")
    return PaymentReport("mp", payment_id, "approved", Decimal(amount), "ARS", code)


def test_cancel(shop: Store) -> None:
    order = buy(shop, "TAZA", 2)
    with pytest.raises(errors.OrderNotFound):
        shop.cancel_order(order.code, viewer=BETO)
    cancelled = shop.cancel_order(order.code.lower(), viewer=ANA)
    assert cancelled.status is OrderStatus.CANCELLED
    assert shop.get_product("TAZA").available == 5
    assert shop.cancel_order(order.code) == cancelled  # no-op, stock untouched
    assert shop.get_product("TAZA").available == 5
    paid = buy(shop, "TAZA")
    shop.record_payment(_approved(paid.code, "p1:8500"))
    with pytest.raises(errors.InvalidTransition):
        shop.cancel_order(paid.code)
    with pytest.raises(errors.OrderNotFound):
        shop.cancel_order("NOSUCHCODE")


def test_fulfill_and_refund(shop: Store) -> None:
    order = buy(shop, "TAZA", 2)
    with pytest.raises(errors.InvalidTransition):
        shop.fulfill_order(order.code)
    with pytest.raises(errors.InvalidTransition):
        shop.refund_order(order.code)
    shop.record_payment(_approved(order.code, "p1:17000"))
    fulfilled = shop.fulfill_order(order.code)
    assert fulfilled.status is OrderStatus.FULFILLED
    assert shop.fulfill_order(order.code) == fulfilled
    assert shop.get_product("TAZA").available == 3
    refunded = shop.refund_order(order.code)
    assert refunded.status is OrderStatus.REFUNDED
    # The mugs were delivered: refunding the money does not put them back on sale.
    assert shop.get_product("TAZA").available == 3
    assert shop.refund_order(order.code) == refunded
    assert shop.get_product("TAZA").available == 3
    with pytest.raises(errors.InvalidTransition):
        shop.fulfill_order(order.code)


def test_refund_a_paid_variant_order(shop: Store) -> None:
    order = buy(shop, "REM", 2, "talle=M")
    shop.record_payment(_approved(order.code, "p1:30000"))
    assert shop.get_product("REM").variants[0].available == 1
    shop.refund_order(order.code)
    assert shop.get_product("REM").variants[0].available == 3


def test_expire_due_releases_stock(shop: Store) -> None:
    early = buy(shop, "TAZA", 2, now=T0)
    late = buy(shop, "REM", 1, "talle=M", viewer=BETO, now=T0 + timedelta(minutes=10))
    paid = buy(shop, "TAZA", 1, viewer=CARLA, now=T0)
    shop.record_payment(_approved(paid.code, "p1:8500"))
    assert shop.expire_due(now=T0 + TTL - timedelta(seconds=1)) == []
    expired = shop.expire_due(now=T0 + TTL)
    assert [o.code for o in expired] == [early.code]
    assert expired[0].status is OrderStatus.EXPIRED
    assert shop.get_product("TAZA").available == 4
    assert shop.expire_due(now=T0 + TTL) == []  # idempotent
    assert [o.code for o in shop.expire_due(now=T0 + timedelta(hours=1))] == [late.code]
    assert shop.get_product("REM").variants[0].available == 3
    assert shop.get_order(paid.code).status is OrderStatus.PAID
    with pytest.raises(errors.InvalidTransition):
        shop.cancel_order(early.code)


def test_set_order_link(shop: Store) -> None:
    order = buy(shop)
    linked = shop.set_order_link(order.code, "https://pay.example/x", "pref-1")
    assert (linked.payment_url, linked.preference_id) == ("https://pay.example/x", "pref-1")
    assert shop.get_order(order.code) == linked
    with pytest.raises(errors.OrderNotFound):
        shop.set_order_link("NOPE", "u", "p")


def test_viewer_orders_newest_first(shop: Store) -> None:
    codes = [
        shop.reserve(
            ANA, f"canal{i}", [LineRequest("STICK")], ttl=TTL, now=T0 + timedelta(minutes=i)
        ).code
        for i in range(3)
    ]
    buy(shop, "TAZA", viewer=BETO)
    mine = shop.viewer_orders("twitch", ANA.user_id)
    assert [o.code for o in mine] == codes[::-1]
    assert [o.code for o in shop.viewer_orders("twitch", ANA.user_id, limit=2)] == codes[:0:-1]
    assert shop.viewer_orders("discord", ANA.user_id) == []


def test_list_orders_by_status(shop: Store) -> None:
    a = buy(shop, now=T0)
    b = buy(shop, viewer=BETO, now=T0 + timedelta(minutes=1))
    shop.cancel_order(a.code)
    assert [o.code for o in shop.list_orders()] == [b.code, a.code]
    assert [o.code for o in shop.list_orders(OrderStatus.CANCELLED)] == [a.code]
    assert [o.code for o in shop.list_orders(OrderStatus.PENDING)] == [b.code]
    assert len(shop.list_orders(limit=1)) == 1


def test_display_name_follows_the_viewer(shop: Store) -> None:
    buy(shop, viewer=ANA)
    renamed = ViewerRef(ANA.platform, ANA.user_id, "ana_la_grande")
    order = buy(shop, viewer=renamed)
    assert order.viewer.display_name == "ana_la_grande"
    assert len(shop.viewer_orders(ANA.platform, ANA.user_id)) == 1  # one cart


def test_pending_references(shop: Store) -> None:
    old = buy(shop, now=T0 - timedelta(days=3))
    recent = buy(shop, viewer=BETO, now=T0)
    pending = buy(shop, "STICK", now=T0 + timedelta(hours=1))
    cancelled = buy(shop, "STICK", viewer=CARLA, now=T0)
    shop.cancel_order(cancelled.code)
    shop.expire_due(now=T0 + timedelta(minutes=30))
    refs = shop.pending_references(now=T0 + timedelta(hours=1))
    assert refs == [recent.code, pending.code]
    assert old.code in shop.pending_references(
        now=T0 + timedelta(hours=1), max_age=timedelta(days=7)
    )


def test_naive_datetimes_are_refused(shop: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        buy(shop, now=T0.replace(tzinfo=None))
