"""Pedidos: find an order, see its lines, payments and history, and act on it.

Filters are plain query parameters, so a filtered list is a link an owner can keep. The
actions go through the Store (fulfil, cancel) or through the payment provider first
(refunds, see bots/runtime/refunds.py), and each is recorded in the order's history with who did
it. The CSV export streams in batches, so 100,000 orders never sit in memory.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from aiohttp import web

from bots import orders_csv
from bots.runtime.events import LinkReady, OrderRefunded, StockChanged
from bots.runtime.refunds import RefundProblem, refund_order
from bots.web.panel.core import SESSION, PanelContext, Routes, page, panel, url
from commerce.errors import CommerceError, OrderNotFound
from commerce.payments.base import PaymentError
from commerce.reports import OrderQuery
from commerce.views import OrderStatus, OutcomeKind

PLATFORMS = ("twitch", "youtube", "discord", "telegram", "console", "web")
EXPORT_BATCH = 500


def local_day(ctx: PanelContext, text: str, *, end: bool = False) -> datetime | None:
    """A date from a filter (YYYY-MM-DD), as the start (or end) of that day, local time."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    start = datetime(day.year, day.month, day.day, tzinfo=ctx.fmt.zone)
    return start + timedelta(days=1) if end else start


def _query(request: web.Request) -> tuple[OrderQuery, dict[str, str]]:
    ctx = panel(request)
    q = request.query
    raw = {
        k: q.get(k, "").strip()[:80] for k in ("status", "platform", "sku", "desde", "hasta", "q")
    }
    status = raw["status"] if raw["status"] in {s.value for s in OrderStatus} else None
    page_no = q.get("pagina", "1")
    query = OrderQuery(
        status=status,
        platform=raw["platform"] or None,
        sku=raw["sku"] or None,
        since=local_day(ctx, raw["desde"]),
        until=local_day(ctx, raw["hasta"], end=True),
        search=raw["q"] or None,
        page=int(page_no) if page_no.isdigit() and 0 < int(page_no) < 100_000 else 1,
    )
    return query, raw


async def list_orders(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    query, raw = _query(request)
    found = await ctx.run(ctx.store.panel_orders, query)
    products = await ctx.run(ctx.store.panel_catalog)
    pages = {
        "prev": {**raw, "pagina": str(found.page - 1)} if found.page > 1 else None,
        "next": {**raw, "pagina": str(found.page + 1)} if found.page < found.pages else None,
    }
    return page(
        request,
        "orders.html",
        {
            "nav": "orders",
            "found": found,
            "filters": raw,
            "statuses": [s.value for s in OrderStatus],
            "platforms": PLATFORMS,
            "products": products,
            "pages": pages,
        },
    )


async def show_order(
    request: web.Request, *, error: str = "", status: int = 200
) -> web.StreamResponse:
    ctx = panel(request)
    code = request.match_info["code"]
    try:
        order = await ctx.run(ctx.store.get_order, code)
    except OrderNotFound:
        raise web.HTTPNotFound(text="no such order") from None
    payments = await ctx.run(ctx.store.payments_for, order.code)
    history = await ctx.run(ctx.store.panel_order_history, order.code)
    details = await ctx.run(ctx.store.delivery_details, order.code)
    paid = order.status == OrderStatus.PAID
    state = order.fulfilment
    return page(
        request,
        "order.html",
        {
            "nav": "orders",
            "order": order,
            "payments": payments,
            "history": history,
            "error": error,
            "can_fulfil": paid,
            "method": order.delivery_method or order.needs,
            "details": details,
            "can_ship": paid and state == "ready_to_ship",
            "can_deliver": paid and state in ("shipped", "to_deliver"),
            "can_ready": paid and state == "preparing",
            "can_pick_up": paid and state in ("preparing", "ready_for_pickup"),
            "can_refund": order.status in (OrderStatus.PAID, OrderStatus.FULFILLED)
            or order.needs_refund,
            "can_cancel": order.status == OrderStatus.PENDING,
            "can_resend": order.status == OrderStatus.PENDING and bool(order.payment_url),
        },
        status=status,
    )


async def show(request: web.Request) -> web.StreamResponse:
    return await show_order(request)


def _actor(request: web.Request) -> str:
    return request[SESSION].role.value


def _back(request: web.Request, ok: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url(request, "order", {"ok": ok}, code=request.match_info["code"]))


async def _problem(request: web.Request, key: str, **params: object) -> web.StreamResponse:
    text = panel(request).fmt.t(f"error_{key}", **params)
    return await show_order(request, error=text, status=409)


async def fulfil(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    try:
        await ctx.run(ctx.store.panel_fulfill, request.match_info["code"], _actor(request))
    except OrderNotFound:
        raise web.HTTPNotFound() from None
    except CommerceError:
        return await _problem(request, "not_now")
    raise _back(request, "fulfilled")


async def cancel(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    try:
        order = await ctx.run(ctx.store.panel_cancel, request.match_info["code"], _actor(request))
    except OrderNotFound:
        raise web.HTTPNotFound() from None
    except CommerceError:
        return await _problem(request, "not_now")
    for line in order.lines:
        product = await ctx.run(ctx.store.get_product, line.sku)
        await ctx.publish(StockChanged(product))
    raise _back(request, "cancelled")


async def refund(request: web.Request) -> web.StreamResponse:
    """Through the provider first; the store follows what it then reports."""
    ctx = panel(request)
    code = request.match_info["code"]
    form = await request.post()
    text = str(form.get("amount", "")).strip().replace(",", ".")
    amount: Decimal | None = None
    if text:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            return await _problem(request, "bad_amount")
    try:
        result = await asyncio.to_thread(refund_order, ctx.store, ctx.provider, code, amount)
    except OrderNotFound:
        raise web.HTTPNotFound() from None
    except RefundProblem:
        return await _problem(request, "refund_refused")
    except PaymentError:
        return await _problem(request, "provider_down")
    detail = f"{result.refunded} {result.order.total.currency} {result.provider_status}"
    await ctx.run(ctx.store.panel_note, code, "refund_requested", _actor(request), detail)
    if result.outcome.kind is OutcomeKind.REFUNDED:
        # Only when this call moved the order: a webhook or the poller that saw the
        # refund first has announced it already.
        await ctx.publish(OrderRefunded(result.order))
        for line in result.order.lines:
            product = await ctx.run(ctx.store.get_product, line.sku)
            await ctx.publish(StockChanged(product))
    raise _back(request, "refunded")


async def resend(request: web.Request) -> web.StreamResponse:
    """The payment link again, to the buyer, where the order came from (privately)."""
    ctx = panel(request)
    try:
        order = await ctx.run(ctx.store.get_order, request.match_info["code"])
    except OrderNotFound:
        raise web.HTTPNotFound() from None
    if order.status != OrderStatus.PENDING or not order.payment_url:
        return await _problem(request, "no_link")
    link = ctx.link_for(order.code, order.payment_url) or order.payment_url
    await ctx.publish(LinkReady(order, None, link))
    await ctx.run(ctx.store.panel_note, order.code, "link_resent", _actor(request), "")
    raise _back(request, "resent")


async def export_csv(request: web.Request) -> web.StreamResponse:
    """Every order line, one row each, streamed in batches (a spreadsheet sums units), with
    the order's delivery details: owner only (the route is not open to staff)."""
    ctx = panel(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="pedidos.csv"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    await response.write(orders_csv.text([orders_csv.COLUMNS]).encode())
    batches = orders_csv.batches(ctx.store, EXPORT_BATCH)
    while lines := await ctx.run(next, batches, None):
        given = await ctx.run(orders_csv.details, ctx.store, lines)
        rows = (orders_csv.row(line, given[line.code]) for line in lines)
        await response.write(orders_csv.text(rows).encode())
    await response.write_eof()
    return response


def setup(routes: Routes) -> None:
    routes.add("GET", "/pedidos", list_orders, "orders", staff=True)
    routes.add("GET", "/pedidos.csv", export_csv, "orders_csv")
    routes.add("GET", "/pedidos/{code}", show, "order", staff=True)
    routes.add("POST", "/pedidos/{code}/entregar", fulfil, "order_fulfil", staff=True)
    routes.add("POST", "/pedidos/{code}/reenviar", resend, "order_resend", staff=True)
    routes.add("POST", "/pedidos/{code}/reembolsar", refund, "order_refund")
    routes.add("POST", "/pedidos/{code}/cancelar", cancel, "order_cancel")
