"""Flash sales and coupons in the store, on both databases: the price a reservation takes,
the price an order keeps, and coupon uses that never exceed their limits under races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from store_helpers import ANA, BETO, T0, TTL, buy

from commerce import coupons, errors
from commerce.coupons import CouponSpec
from commerce.flash_sales import sale_price_minor
from commerce.money import Money
from commerce.store import Store
from commerce.views import LineRequest, OrderStatus, ProductSpec, ViewerRef

ARS = "ARS"
FIVE = timedelta(minutes=5)


def _at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _ars(amount: str) -> Money:
    return Money(Decimal(amount), ARS)


# --- pricing rules (pure) -------------------------------------------------------------------


def test_sale_price_rounds_half_up_and_never_raises_a_cheaper_price() -> None:
    assert sale_price_minor(1500000, 20, None) == 1200000
    assert sale_price_minor(999, 15, None) == 849  # 849.15
    assert sale_price_minor(1, 90, None) == 1  # never free
    assert sale_price_minor(1000, None, 1200) == 1000
    assert sale_price_minor(1000, None, 700) == 700


def test_spread_adds_up_exactly_and_keeps_every_unit_priced() -> None:
    lines = [(3, 1000), (1, 2501)]
    parts = coupons.spread(lines, 550)
    assert sum(q * p for line in parts for q, p in line) == 3000 + 2501 - 550
    assert all(p >= 1 and q >= 1 for line in parts for q, p in line)
    assert [sum(q for q, _ in line) for line in parts] == [3, 1]
    assert coupons.spread([(3, 1000)], 100) == [[(1, 966), (2, 967)]]
    assert coupons.spread([(2, 500)], 0) == [[(2, 500)]]


def test_discount_caps_so_no_unit_is_free() -> None:
    assert coupons.discount_minor("percent", 10, None, 15000, 1) == 1500
    assert coupons.discount_minor("amount", None, 5000, 3000, 2) == 2998


# --- flash sales --------------------------------------------------------------------------


def test_a_reservation_during_the_sale_takes_the_sale_price_and_keeps_it(shop: Store) -> None:
    sale = shop.start_flash_sale("REM", percent=20, duration=FIVE, now=T0)
    assert sale.price == _ars("12000") and sale.old_price == _ars("15000") and sale.varies
    order = buy(shop, "REM", 1, "talle=M,color=negro", now=T0 + timedelta(minutes=1))
    assert order.lines[0].unit_price == _ars("12000")
    assert order.lines[0].list_price == _ars("15000")
    assert order.total == _ars("12000")
    # The sale ends by itself; the order keeps the price it was reserved at.
    late = buy(shop, "REM", 1, "talle=L,color=negro", viewer=BETO, now=T0 + timedelta(minutes=6))
    assert late.lines[0].unit_price == _ars("16500")
    again = shop.get_order(order.code)
    assert again.lines[0].unit_price == _ars("12000") and again.total == _ars("12000")
    assert shop.active_flash_sale(now=T0 + timedelta(minutes=6)) is None


def test_oferta_fin_ends_it_and_the_cart_keeps_both_prices(shop: Store) -> None:
    shop.start_flash_sale("TAZA", price=Decimal("6000"), duration=FIVE, now=T0)
    first = buy(shop, "TAZA", 1, now=T0 + timedelta(seconds=10))
    ended = shop.end_flash_sale(now=T0 + timedelta(seconds=20))
    assert ended is not None and ended.sku == "TAZA"
    assert shop.end_flash_sale(now=T0 + timedelta(seconds=21)) is None
    cart = buy(shop, "TAZA", 1, now=T0 + timedelta(seconds=30))
    assert cart.code == first.code
    assert sorted(line.unit_price.amount for line in cart.lines) == [Decimal(6000), Decimal(8500)]
    assert cart.total == _ars("14500")


def test_a_sale_price_that_is_no_drop_is_refused(shop: Store) -> None:
    with pytest.raises(errors.FlashSaleInvalid) as raised:
        shop.start_flash_sale("TAZA", price=Decimal("9000"), duration=FIVE, now=T0)
    assert raised.value.reason == "not_lower"
    with pytest.raises(errors.FlashSaleInvalid):
        shop.start_flash_sale("TAZA", percent=95, duration=FIVE, now=T0)
    with pytest.raises(errors.ProductNotFound):
        shop.start_flash_sale("NOPE", percent=10, duration=FIVE, now=T0)


def test_the_per_buyer_limit_counts_units_at_the_sale_price(shop: Store) -> None:
    shop.start_flash_sale("TAZA", percent=50, duration=FIVE, max_per_buyer=1, now=T0)
    buy(shop, "TAZA", 1, now=T0)
    with pytest.raises(errors.FlashLimitExceeded) as raised:
        buy(shop, "TAZA", 1, now=T0 + timedelta(seconds=1))
    assert raised.value.limit == 1 and raised.value.already == 1
    assert buy(shop, "TAZA", 1, viewer=BETO, now=T0).total == _ars("4250")


def test_a_sale_ending_during_reservations_gives_each_one_price(shop: Store) -> None:
    """The race: reservations of two lines of the sale's product while the owner ends it.
    Each order is priced wholly at the sale price or wholly at the regular one, its total
    is its lines' sum, and only reservations whose read came before the end got the sale."""
    shop.sync_catalog([ProductSpec("GORRA", "Gorra", Decimal("10000"), ARS, stock=200, aliases=())])
    shop.start_flash_sale("GORRA", percent=30, duration=FIVE, now=T0)
    at = T0 + timedelta(minutes=1)

    def work(i: int) -> Any:
        if i == 0:
            return shop.end_flash_sale(now=at)
        viewer = ViewerRef("twitch", f"r{i}", f"r{i}")
        lines = [LineRequest("GORRA", 1), LineRequest("GORRA", 2)]
        return shop.reserve(viewer, "canal", lines, ttl=TTL, now=at)

    results = _at_once(13, work)
    assert not any(isinstance(r, Exception) for r in results), results
    prices = set()
    for order in results[1:]:
        unit = {line.unit_price.amount for line in order.lines}
        assert len(unit) == 1, order.lines
        assert order.total.amount == sum(line.subtotal.amount for line in order.lines)
        stored = shop.get_order(order.code)
        assert stored.total == order.total
        assert {line.unit_price.amount for line in stored.lines} == unit
        prices |= unit
    assert prices <= {Decimal(7000), Decimal(10000)}
    assert shop.active_flash_sale(now=at) is None
    assert buy(shop, "GORRA", 1, viewer=ANA, now=at).total == _ars("10000")


# --- coupons ----------------------------------------------------------------------------------


def _coupon(code: str = "CUPON10", **fields: Any) -> CouponSpec:
    values: dict[str, Any] = {"kind": "percent", "currency": ARS, "percent": 10}
    values.update(fields)
    return CouponSpec(code, **values)


def test_a_percent_coupon_comes_off_the_total_and_follows_the_cart(shop: Store) -> None:
    shop.seed_coupons([_coupon()])
    order = buy(shop, "TAZA", 2, now=T0)
    shop.set_order_link(order.code, "https://mp/1", "pref-1", now=T0)
    with_coupon = shop.apply_coupon(order.code, "cupon10", ANA, now=T0)
    assert with_coupon.total == _ars("15300") and with_coupon.discount == _ars("1700")
    assert with_coupon.coupon == "CUPON10"
    assert with_coupon.revision == 1 and with_coupon.payment_url is None  # a new link
    grown = buy(shop, "TAZA", 1, now=T0 + timedelta(seconds=5))
    assert grown.code == order.code
    assert grown.discount == _ars("2550") and grown.total == _ars("22950")
    assert shop.get_order(order.code).total == _ars("22950")
    assert shop.list_coupons()[0].uses == 1


def test_a_fixed_coupon_with_a_minimum(shop: Store) -> None:
    shop.seed_coupons([_coupon("MENOS2000", kind="amount", amount=Decimal(2000), percent=None,
                               min_total=Decimal(10000))])  # fmt: skip
    small = buy(shop, "TAZA", 1, now=T0)
    with pytest.raises(errors.CouponInvalid) as raised:
        shop.apply_coupon(small.code, "MENOS2000", ANA, now=T0)
    assert raised.value.reason == "below_minimum"
    assert raised.value.minimum == _ars("10000")
    big = buy(shop, "TAZA", 1, now=T0)
    assert shop.apply_coupon(big.code, "MENOS2000", ANA, now=T0).total == _ars("15000")


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (_coupon("VIEJO", expires_at=T0 - timedelta(minutes=1)), "expired"),
        (_coupon("APAGADO", active=False), "unknown"),
        (_coupon("CERO", max_uses=0), "used_up"),
    ],
)
def test_bad_coupons_say_why(shop: Store, spec: CouponSpec, reason: str) -> None:
    shop.seed_coupons([spec])
    order = buy(shop, "TAZA", 1, now=T0)
    with pytest.raises(errors.CouponInvalid) as raised:
        shop.apply_coupon(order.code, spec.code, ANA, now=T0)
    assert raised.value.reason == reason
    assert shop.get_order(order.code).total == _ars("8500")
    with pytest.raises(errors.CouponInvalid) as unknown:
        shop.apply_coupon(order.code, "NADA", ANA, now=T0)
    assert unknown.value.reason == "unknown"


def test_once_per_viewer_and_only_while_live(shop: Store) -> None:
    shop.seed_coupons([_coupon(), _coupon("ENVIVO", live_only=True, once_per_viewer=False)])
    first = buy(shop, "TAZA", 1, now=T0)
    shop.apply_coupon(first.code, "CUPON10", ANA, now=T0)
    shop.cancel_order(first.code)
    second = buy(shop, "TAZA", 1, now=T0)
    with pytest.raises(errors.CouponInvalid) as raised:
        shop.apply_coupon(second.code, "CUPON10", ANA, now=T0)
    assert raised.value.reason == "already_used"
    shop.set_open(False)
    with pytest.raises(errors.CouponInvalid) as closed:
        shop.apply_coupon(second.code, "ENVIVO", ANA, now=T0)
    assert closed.value.reason == "not_live"
    shop.set_open(True)
    assert shop.apply_coupon(second.code, "ENVIVO", ANA, now=T0).discount == _ars("850")
    with pytest.raises(errors.CouponInvalid) as twice:
        shop.apply_coupon(second.code, "CUPON10", ANA, now=T0)
    assert twice.value.reason == "one_per_order"
    with pytest.raises(errors.OrderNotFound):
        shop.apply_coupon(second.code, "ENVIVO", BETO, now=T0)  # not Beto's order


def test_total_uses_are_never_exceeded_under_a_rush(shop: Store) -> None:
    shop.sync_catalog([ProductSpec("PIN", "Pin", Decimal("1000"), ARS, stock=100)])
    shop.seed_coupons([_coupon("TRES", max_uses=3)])
    viewers = [ViewerRef("twitch", f"c{i}", f"c{i}") for i in range(12)]
    codes = [
        shop.reserve(v, "canal", [LineRequest("PIN", 1)], ttl=TTL, now=T0).code for v in viewers
    ]

    def work(i: int) -> Any:
        return shop.apply_coupon(codes[i], "TRES", viewers[i], now=T0)

    results = _at_once(len(codes), work)
    applied = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, errors.CouponInvalid)]
    assert len(applied) == 3 and len(refused) == 9, results
    assert {r.reason for r in refused} == {"used_up"}
    assert shop.list_coupons()[0].uses == 3


def test_one_viewer_racing_two_orders_uses_it_once(shop: Store) -> None:
    shop.sync_catalog([ProductSpec("PIN", "Pin", Decimal("1000"), ARS, stock=100)])
    shop.seed_coupons([_coupon()])
    codes = [
        shop.reserve(ANA, f"canal{i}", [LineRequest("PIN", 1)], ttl=TTL, now=T0).code
        for i in range(6)
    ]
    results = _at_once(6, lambda i: shop.apply_coupon(codes[i], "CUPON10", ANA, now=T0))
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert shop.list_coupons()[0].uses == 1


def test_config_seeds_new_codes_only_and_the_panel_owns_them(shop: Store) -> None:
    assert shop.seed_coupons([_coupon()]) == ["CUPON10"]
    shop.set_coupon_active("CUPON10", False)
    assert shop.seed_coupons([_coupon(), _coupon("OTRO")]) == ["OTRO"]
    found = {c.code: c for c in shop.list_coupons()}
    assert found["CUPON10"].active is False and found["CUPON10"].source == "config"
    made = shop.create_coupon(_coupon("PANEL5", percent=5))
    assert made.source == "panel"
    with pytest.raises(errors.CouponExists):
        shop.create_coupon(_coupon("panel5"))


def test_a_paid_coupon_order_pays_its_discounted_total(shop: Store) -> None:
    from commerce.views import PaymentReport

    shop.seed_coupons([_coupon()])
    order = buy(shop, "TAZA", 1, now=T0)
    order = shop.apply_coupon(order.code, "CUPON10", ANA, now=T0)
    report = PaymentReport(
        provider="mercadopago",
        provider_payment_id="p-1",
        status="approved",
        amount=Decimal("7650"),
        currency=ARS,
        external_reference=order.code,
    )
    shop.record_payment(report, now=T0 + timedelta(minutes=1))
    assert shop.get_order(order.code).status is OrderStatus.PAID
