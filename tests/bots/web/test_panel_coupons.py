"""Cupones in the panel: list, create, disable and enable (owner only, CSRF-checked), and
every route refused without a session; what the owner changes survives a config re-seed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from panel_helpers import Browser, Served

from commerce.coupons import CouponSpec
from commerce.sessions import PanelRole
from commerce.views import LineRequest, ViewerRef

FORM = {
    "code": "vivo15",
    "kind": "percent",
    "value": "15",
    "min_total": "",
    "max_uses": "20",
    "hours": "3",
    "once_per_viewer": "1",
}


async def test_the_owner_creates_lists_and_disables_a_coupon(
    served: Served, owner: Browser, store: Any
) -> None:
    store.seed_coupons([CouponSpec("CONFIG5", "amount", "ARS", amount=Decimal(500))])
    created = await owner.post("/panel/cupones", FORM)
    assert created.status == 303 and created.headers["Location"].endswith("ok=coupon_created")
    found = {c.code: c for c in store.list_coupons()}
    made = found["VIVO15"]
    assert (made.percent, made.max_uses, made.once_per_viewer, made.live_only) == (
        15, 20, True, False,
    )  # fmt: skip
    assert made.expires_at is not None and made.source == "panel"
    html = await (await owner.get("/panel/cupones?ok=coupon_created")).text()
    assert "Cupón creado." in html and 'data-coupon="VIVO15"' in html and "0 / 20" in html
    assert 'data-coupon="CONFIG5"' in html and "$ 500,00" in html

    off = await owner.post("/panel/cupones/CONFIG5/desactivar")
    assert off.status == 303 and off.headers["Location"].endswith("ok=coupon_disabled")
    store.seed_coupons([CouponSpec("CONFIG5", "amount", "ARS", amount=Decimal(500))])
    assert {c.code: c for c in store.list_coupons()}["CONFIG5"].active is False  # kept
    order = store.reserve(
        ViewerRef("twitch", "u1", "ana"), "c", [LineRequest("TAZA")], ttl=timedelta(minutes=5)
    )
    try:
        store.apply_coupon(order.code, "CONFIG5")
    except Exception as refused:
        assert getattr(refused, "reason", None) == "unknown"
    else:
        raise AssertionError("a disabled coupon applied")
    on = await owner.post("/panel/cupones/CONFIG5/activar")
    assert on.headers["Location"].endswith("ok=coupon_enabled")
    assert store.apply_coupon(order.code, "CONFIG5").discount.amount == Decimal(500)
    assert (await owner.post("/panel/cupones/NOPE/activar")).status == 404


async def test_a_refused_form_says_why_and_keeps_what_was_typed(
    served: Served, owner: Browser, store: Any
) -> None:
    bad = await owner.post("/panel/cupones", {**FORM, "value": "150"})
    html = await bad.text()
    assert bad.status == 400 and "El porcentaje va de 1 a 100." in html
    assert 'value="vivo15"' in html.lower() and store.list_coupons() == []
    await owner.post("/panel/cupones", FORM)
    again = await owner.post("/panel/cupones", FORM)
    assert again.status == 400 and "Ya existe el cupón VIVO15." in await again.text()
    amount = await owner.post("/panel/cupones", {**FORM, "code": "M1", "kind": "amount",
                                                 "value": "mil"})  # fmt: skip
    assert amount.status == 400 and "monto" in await amount.text()
    assert (await owner.post("/panel/cupones", FORM, csrf=False)).status == 403


async def test_staff_and_visitors_are_refused_every_route(served: Served, store: Any) -> None:
    store.seed_coupons([CouponSpec("CUPON10", "percent", "ARS", percent=10)])
    names = {r.name for r in served.panel.app.router.routes()}
    assert {
        "panel.coupons",
        "panel.coupon_create",
        "panel.coupon_enable",
        "panel.coupon_disable",
    } <= names
    visitor = Browser(served)
    staff = Browser(served)
    try:
        page = await visitor.get("/panel/cupones")
        assert page.status == 303 and page.headers["Location"] == "/panel/entrar"
        assert (await visitor.post("/panel/cupones", FORM, csrf=False)).status == 401
        refused = await visitor.post("/panel/cupones/CUPON10/desactivar", csrf=False)
        assert refused.status == 401
        await staff.sign_in(PanelRole.STAFF)
        assert (await staff.get("/panel/cupones")).status == 403
        assert (await staff.post("/panel/cupones", FORM)).status == 403
        assert (await staff.post("/panel/cupones/CUPON10/desactivar")).status == 403
        assert [c.code for c in store.list_coupons()] == ["CUPON10"]
        assert store.list_coupons()[0].active is True
    finally:
        await visitor.close()
        await staff.close()
