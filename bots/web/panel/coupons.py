"""Cupones: the owner's coupon codes — list, create, disable (and enable again).

The database owns the codes, as it owns the catalog: `[[coupons]]` in config adds a code
the store has never seen and never changes one after that, so disabling a config coupon
here survives a restart. Codes are money, so the page is the owner's alone (not staff's).
A refused form shows the page again with what the owner typed and why, and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from bots.web.panel.core import Routes, page, panel, url
from commerce import errors
from commerce.coupons import AMOUNT, PERCENT, CouponSpec
from commerce.money import parse_amount

MAX_HOURS = 24 * 366


class _Refused(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _empty_form() -> dict[str, Any]:
    return {
        "code": "",
        "kind": PERCENT,
        "value": "",
        "min_total": "",
        "max_uses": "",
        "hours": "",
        "once_per_viewer": True,
        "live_only": False,
    }


async def show(request: web.Request) -> web.StreamResponse:
    return await _page(request, _empty_form())


async def _page(
    request: web.Request, form: dict[str, Any], error: str = "", status: int = 200
) -> web.StreamResponse:
    ctx = panel(request)
    found = await ctx.run(ctx.store.list_coupons)
    context = {"nav": "coupons", "coupons": found, "form": form, "form_error": error}
    return page(request, "coupons.html", context, status=status)


async def create(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    data = await request.post()
    form: dict[str, Any] = {key: str(data.get(key, "")).strip() for key in _empty_form()}
    form["once_per_viewer"] = data.get("once_per_viewer") == "1"
    form["live_only"] = data.get("live_only") == "1"
    try:
        spec = _spec(form, ctx.settings.currency)
        await ctx.run(ctx.store.create_coupon, spec)
    except _Refused as refused:
        text = ctx.fmt.t(refused.key, **refused.params)
        return await _page(request, form, text, status=400)
    except errors.CouponExists as exists:
        return await _page(request, form, ctx.fmt.t("coupon_exists", code=exists.coupon), 400)
    raise web.HTTPSeeOther(url(request, "coupons", {"ok": "coupon_created"}))


def _spec(form: dict[str, Any], currency: str) -> CouponSpec:
    code = str(form["code"]).upper()
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        raise _Refused("coupon_bad_code")
    kind = form["kind"] if form["kind"] in (PERCENT, AMOUNT) else PERCENT
    percent: int | None = None
    amount: Decimal | None = None
    if kind == PERCENT:
        value = str(form["value"]).rstrip("%").strip()
        if not value.isdigit() or not 1 <= int(value) <= 100:
            raise _Refused("coupon_bad_percent")
        percent = int(value)
    else:
        amount = _money(str(form["value"]), currency, "coupon_bad_amount")
    minimum = _money(str(form["min_total"]), currency, "coupon_bad_minimum", Decimal(0))
    uses = _whole(str(form["max_uses"]), "coupon_bad_uses", 0)
    hours = _whole(str(form["hours"]), "coupon_bad_hours", 1)
    if hours is not None and hours > MAX_HOURS:
        raise _Refused("coupon_bad_hours")
    return CouponSpec(
        code=code,
        kind=kind,
        currency=currency,
        percent=percent,
        amount=amount,
        min_total=minimum or Decimal(0),
        max_uses=uses,
        once_per_viewer=bool(form["once_per_viewer"]),
        live_only=bool(form["live_only"]),
        expires_at=None if hours is None else datetime.now(UTC) + timedelta(hours=hours),
    )


def _money(text: str, currency: str, key: str, empty: Decimal | None = None) -> Decimal:
    if not text:
        if empty is None:
            raise _Refused(key)
        return empty
    try:
        return parse_amount(text, currency)
    except errors.InvalidAmount:
        raise _Refused(key) from None


def _whole(text: str, key: str, least: int) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) < least:
        raise _Refused(key)
    return int(text)


async def enable(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, True)


async def disable(request: web.Request) -> web.StreamResponse:
    return await _set_active(request, False)


async def _set_active(request: web.Request, active: bool) -> web.StreamResponse:
    ctx = panel(request)
    code = request.match_info["code"]
    try:
        await ctx.run(ctx.store.set_coupon_active, code, active)
    except errors.CouponInvalid:
        raise web.HTTPNotFound() from None
    done = "coupon_enabled" if active else "coupon_disabled"
    raise web.HTTPSeeOther(url(request, "coupons", {"ok": done}))


def setup(routes: Routes) -> None:
    routes.add("GET", "/cupones", show, "coupons")
    routes.add("POST", "/cupones", create, "coupon_create")
    routes.add("POST", "/cupones/{code}/activar", enable, "coupon_enable")
    routes.add("POST", "/cupones/{code}/desactivar", disable, "coupon_disable")
