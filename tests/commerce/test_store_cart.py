"""One viewer, one cart: what a viewer reserves while they have a pending order joins it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from store_helpers import ANA, BETO, T0, TTL, buy

from commerce import errors
from commerce.money import Money
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, OutcomeKind, PaymentReport


def _pay(code: str, amount: str, payment_id: str, status: str = "approved") -> PaymentReport:
    return PaymentReport("mp", payment_id, status, Decimal(amount), "ARS", code)


def test_a_second_purchase_joins_the_pending_order(shop: Store) -> None:
    first = buy(shop, "TAZA", 1, now=T0)
    second = buy(shop, "REM", 1, "talle=M", now=T0 + timedelta(minutes=5))
    third = buy(shop, "TAZA", 2, now=T0 + timedelta(minutes=6))
    assert first.code == second.code == third.code
    assert [(line.sku, line.variant_key, line.quantity) for line in third.lines] == [
        ("TAZA", None, 3),
        ("REM", "color=negro,talle=M", 1),
    ]
    assert third.total == Money(Decimal("40500"), "ARS")  # 3 × 8500 + 15000
    assert (first.revision, second.revision, third.revision) == (0, 1, 2)
    assert third.created_at == T0
    assert third.expires_at == T0 + timedelta(minutes=6) + TTL  # extended to the last add
    assert shop.get_order(first.code) == third
    assert len(shop.list_orders()) == 1
    assert shop.get_product("TAZA").available == 2
    assert shop.get_product("REM").variants[0].available == 2


def test_the_expiry_never_moves_earlier(shop: Store) -> None:
    first = buy(shop, now=T0)
    later = shop.reserve(
        ANA, "canal", [LineRequest("TAZA")], ttl=timedelta(minutes=1), now=T0 + timedelta(minutes=2)
    )
    assert later.code == first.code
    assert later.expires_at == first.expires_at == T0 + TTL


def test_other_channels_platforms_and_viewers_get_their_own_order(shop: Store) -> None:
    cart = buy(shop, now=T0)
    elsewhere = shop.reserve(ANA, "otro-canal", [LineRequest("TAZA")], ttl=TTL, now=T0)
    other_platform = shop.reserve(
        ANA.__class__("discord", ANA.user_id, "ana"), "canal", [LineRequest("TAZA")], ttl=TTL
    )
    beto = buy(shop, viewer=BETO, now=T0)
    codes = {cart.code, elsewhere.code, other_platform.code, beto.code}
    assert len(codes) == 4
    assert all(len(shop.get_order(code).lines) == 1 for code in codes)


def test_max_per_viewer_counts_the_whole_cart(shop: Store) -> None:
    cart = buy(shop, "STICK", 2, now=T0)
    with pytest.raises(errors.LimitExceeded) as caught:
        buy(shop, "STICK", 2, now=T0 + timedelta(minutes=1))
    assert (caught.value.limit, caught.value.already) == (3, 2)
    grown = buy(shop, "STICK", 1, now=T0 + timedelta(minutes=1))
    assert grown.code == cart.code and grown.lines[0].quantity == 3


def test_a_failed_addition_leaves_the_cart_and_its_link_as_they_were(shop: Store) -> None:
    cart = buy(shop, "TAZA", 2, now=T0)
    linked = shop.set_order_link(cart.code, "https://pay.example/1", "pref-1", revision=0)
    with pytest.raises(errors.OutOfStock):
        shop.reserve(
            ANA, "canal", [LineRequest("REM", 1, "talle=M"), LineRequest("TAZA", 4)], ttl=TTL
        )
    assert shop.get_order(cart.code) == linked
    assert shop.get_product("REM").variants[0].available == 3
    assert shop.get_product("TAZA").available == 3


def test_a_lapsed_cart_is_not_joined(shop: Store) -> None:
    cart = buy(shop, now=T0)
    fresh = buy(shop, now=T0 + TTL)  # due, though the sweeper has not run yet
    assert fresh.code != cart.code
    assert [o.code for o in shop.expire_due(now=T0 + TTL)] == [cart.code]
    assert shop.get_order(fresh.code).status is OrderStatus.PENDING


def test_paid_and_cancelled_orders_are_not_joined(shop: Store) -> None:
    paid = buy(shop, now=T0)
    shop.record_payment(_pay(paid.code, "8500", "p1"))
    after_paid = buy(shop, now=T0)
    shop.cancel_order(after_paid.code)
    after_cancel = buy(shop, now=T0)
    assert len({paid.code, after_paid.code, after_cancel.code}) == 3
    assert shop.get_order(paid.code).lines[0].quantity == 1


@pytest.mark.parametrize("status", ["in_process", "pending", "authorized", "in_mediation"])
def test_an_order_being_paid_is_not_joined(shop: Store, status: str) -> None:
    cart = buy(shop, now=T0)
    # The payment is for the order's current total; "authorized" pays it outright.
    shop.record_payment(_pay(cart.code, "8500", "p1", status))
    other = buy(shop, "REM", 1, "talle=M", now=T0)
    assert other.code != cart.code
    assert shop.get_order(cart.code).total == Money(Decimal("8500"), "ARS")
    assert buy(shop, now=T0).code == other.code  # the new order is the cart from now on


def test_a_rejected_payment_does_not_stop_the_cart(shop: Store) -> None:
    cart = buy(shop, now=T0)
    shop.record_payment(_pay(cart.code, "8500", "p1", "rejected"))
    assert buy(shop, now=T0).code == cart.code


def test_a_changed_price_gets_its_own_line(shop: Store) -> None:
    buy(shop, "TAZA", 1, now=T0)
    shop.set_price("TAZA", Decimal("9000"))
    cart = buy(shop, "TAZA", 1, now=T0)
    assert [(line.quantity, line.unit_price.amount) for line in cart.lines] == [
        (1, Decimal("8500")),
        (1, Decimal("9000")),
    ]
    assert cart.total == Money(Decimal("17500"), "ARS")


def test_joining_supersedes_the_link_and_the_new_total_pays(shop: Store) -> None:
    cart = buy(shop, "TAZA", 1, now=T0)
    shop.set_order_link(cart.code, "https://pay.example/1", "pref-1", revision=0)
    grown = buy(shop, "REM", 1, "talle=M", now=T0 + timedelta(minutes=1))
    assert (grown.payment_url, grown.preference_id) == (None, None)
    assert shop.get_order(cart.code).payment_url is None
    linked = shop.set_order_link(
        cart.code, "https://pay.example/2", "pref-2", revision=1, total=grown.total
    )
    assert linked.preference_id == "pref-2"
    outcome = shop.record_payment(_pay(cart.code, "23500", "p2"))
    assert outcome.kind is OutcomeKind.ORDER_PAID
    assert outcome.order is not None and not outcome.order.needs_refund
    assert shop.get_product("TAZA").available == 4
    assert shop.get_product("REM").variants[0].available == 2


def test_a_payment_of_the_superseded_link_is_kept_and_flagged_for_refund(shop: Store) -> None:
    cart = buy(shop, "TAZA", 1, now=T0)
    shop.set_order_link(cart.code, "https://pay.example/1", "pref-1", revision=0)
    buy(shop, "REM", 1, "talle=M", now=T0)
    old = shop.record_payment(_pay(cart.code, "8500", "p-old"))
    assert (old.kind, old.detail) == (OutcomeKind.REFUND_NEEDED, "superseded")
    assert old.order is not None
    assert old.order.status is OrderStatus.PENDING and old.order.needs_refund
    assert shop.get_product("TAZA").available == 4  # still held, not sold
    recorded = shop.payments_for(cart.code)
    assert [(p.provider_payment_id, p.effect, p.mismatch) for p in recorded] == [
        ("p-old", "refund_needed", False)
    ]
    assert shop.record_payment(_pay(cart.code, "8500", "p-old")).kind is OutcomeKind.DUPLICATE
    # The current link still pays the order.
    paid = shop.record_payment(_pay(cart.code, "23500", "p-new"))
    assert paid.kind is OutcomeKind.ORDER_PAID
    assert shop.get_product("TAZA").available == 4 and shop.get_product("TAZA").stock == 5
    # The owner gives the old payment back: the flag clears, the sale stays.
    refunded = shop.record_payment(_pay(cart.code, "8500", "p-old", "refunded"))
    assert (refunded.kind, refunded.detail) == (OutcomeKind.REFUNDED, "refund_done")
    order = shop.get_order(cart.code)
    assert order.status is OrderStatus.PAID and not order.needs_refund


def test_an_amount_no_link_ever_asked_is_still_a_mismatch(shop: Store) -> None:
    cart = buy(shop, "TAZA", 1, now=T0)
    shop.set_order_link(cart.code, "https://pay.example/1", "pref-1", revision=0)
    buy(shop, "TAZA", 1, now=T0)
    outcome = shop.record_payment(_pay(cart.code, "9000", "p1"))
    assert outcome.kind is OutcomeKind.MISMATCH
    assert shop.get_order(cart.code).status is OrderStatus.PENDING


def test_a_link_made_for_an_earlier_revision_is_kept_only_as_superseded(shop: Store) -> None:
    cart = buy(shop, "TAZA", 1, now=T0)
    grown = buy(shop, "TAZA", 1, now=T0)  # while the first link was being made
    late = shop.set_order_link(
        cart.code, "https://pay.example/1", "pref-1", revision=0, total=cart.total
    )
    assert late.preference_id is None and late.revision == 1
    shop.set_order_link(cart.code, "https://pay.example/2", "pref-2", revision=1, total=grown.total)
    outcome = shop.record_payment(_pay(cart.code, "8500", "p1"))
    assert (outcome.kind, outcome.detail) == (OutcomeKind.REFUND_NEEDED, "superseded")
    assert shop.get_order(cart.code).preference_id == "pref-2"


def test_a_superseded_payment_after_expiry_is_flagged_not_resold(shop: Store) -> None:
    cart = buy(shop, "TAZA", 1, now=T0)
    shop.set_order_link(cart.code, "https://pay.example/1", "pref-1", revision=0)
    buy(shop, "TAZA", 1, now=T0)
    shop.expire_due(now=T0 + TTL)
    outcome = shop.record_payment(_pay(cart.code, "8500", "p1"))
    assert (outcome.kind, outcome.detail) == (OutcomeKind.REFUND_NEEDED, "superseded")
    assert shop.get_order(cart.code).status is OrderStatus.EXPIRED
    assert shop.get_product("TAZA").available == 5


def test_cancelling_the_cart_releases_every_line(shop: Store) -> None:
    cart = buy(shop, "TAZA", 2, now=T0)
    buy(shop, "REM", 1, "talle=L", now=T0)
    shop.cancel_order(cart.code, viewer=ANA)
    assert shop.get_product("TAZA").available == 5
    assert shop.get_product("REM").variants[1].available == 2
