"""Despachos: move paid orders towards their buyers, and see what still needs doing.

Every step goes through the same Store calls the CLI uses (`mark_shipped`, ...), which
record it in the order's history with who did it; an event goes out only for an order
that actually changed (bots.runtime.events.FULFILMENT_EVENTS), so the buyer is told once
however often a button is pressed. Shipping many at once is all or none, as in the Store.

The delivery details (name, contact, address) are personal data: shown here to the owner
and staff (every panel page is signed in), exported only by the owner (orders.export_csv).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aiohttp import web

from bots.runtime.events import FULFILMENT_EVENTS
from bots.web.panel.core import SESSION, Handler, Routes, page, panel, url
from commerce.errors import CommerceError, OrderNotFound
from commerce.fulfilment import Transition

MAX_BULK = 200
MAX_TEXT = 120


def _actor(request: web.Request) -> str:
    return request[SESSION].role.value


def _text(value: object) -> str | None:
    cleaned = " ".join(str(value or "").split())[:MAX_TEXT]
    return cleaned or None


async def _publish(request: web.Request, transitions: Sequence[Transition]) -> None:
    ctx = panel(request)
    for step in transitions:
        state = step.order.fulfilment
        if step.changed and state in FULFILMENT_EVENTS:
            await ctx.publish(FULFILMENT_EVENTS[state](step.order))


def _back(request: web.Request, ok: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url(request, "order", {"ok": ok}, code=request.match_info["code"]))


async def _problem(request: web.Request) -> web.StreamResponse:
    from bots.web.panel.orders import show_order

    return await show_order(request, error=panel(request).fmt.t("error_not_now"), status=409)


async def ship(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    code = request.match_info["code"]
    try:
        done = await ctx.run(
            ctx.store.mark_shipped,
            [code],
            _text(form.get("carrier")),
            _text(form.get("tracking")),
            _actor(request),
        )
    except OrderNotFound:
        raise web.HTTPNotFound() from None
    except CommerceError:
        return await _problem(request)
    await _publish(request, done)
    raise _back(request, "shipped")


def _single(step: str, ok: str) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        ctx = panel(request)
        action = getattr(ctx.store, step)
        try:
            done = await ctx.run(action, request.match_info["code"], _actor(request))
        except OrderNotFound:
            raise web.HTTPNotFound() from None
        except CommerceError:
            return await _problem(request)
        await _publish(request, [done])
        raise _back(request, ok)

    return handler


async def ship_many(request: web.Request) -> web.StreamResponse:
    """The orders list's "mark shipped" for the selected orders: all or none."""
    ctx = panel(request)
    form = await request.post()
    codes = list(dict.fromkeys(str(c) for c in form.getall("code", [])))[:MAX_BULK]
    back = str(form.get("back") or "")
    target = back if back.startswith("/panel/pedidos") else url(request, "orders")
    if not codes:
        raise web.HTTPSeeOther(_with_ok(target, "none_selected"))
    try:
        done = await ctx.run(
            ctx.store.mark_shipped,
            codes,
            _text(form.get("carrier")),
            _text(form.get("tracking")),
            _actor(request),
        )
    except CommerceError:
        raise web.HTTPSeeOther(_with_ok(target, "bulk_refused")) from None
    await _publish(request, done)
    raise web.HTTPSeeOther(_with_ok(target, "shipped_many"))


def _with_ok(target: str, ok: str) -> str:
    return f"{target}{'&' if '?' in target else '?'}ok={ok}"


async def missing(request: web.Request) -> web.StreamResponse:
    """Paid orders that need delivery and still lack the buyer's details, oldest first."""
    ctx = panel(request)
    found = await ctx.run(ctx.store.orders_missing_details, timedelta(0))
    return page(request, "missing.html", {"nav": "orders", "orders": found})


async def packing(request: web.Request) -> web.StreamResponse:
    """Paid orders to pack, grouped by buyer and address, laid out for paper."""
    ctx = panel(request)
    groups = await ctx.run(ctx.store.packing_list)
    return page(request, "packing.html", {"nav": "orders", "groups": groups})


def setup(routes: Routes) -> None:
    """Registered before orders.setup: these fixed addresses come before /pedidos/{code}."""
    routes.add("GET", "/pedidos/sin-datos", missing, "orders_missing", staff=True)
    routes.add("GET", "/pedidos/empaque", packing, "packing", staff=True)
    routes.add("POST", "/pedidos/enviar", ship_many, "orders_ship", staff=True)
    routes.add("POST", "/pedidos/{code}/enviado", ship, "order_ship", staff=True)
    routes.add(
        "POST",
        "/pedidos/{code}/recibido",
        _single("mark_delivered", "delivered"),
        "order_delivered",
        staff=True,
    )
    routes.add(
        "POST",
        "/pedidos/{code}/listo-retiro",
        _single("mark_ready_for_pickup", "ready"),
        "order_ready",
        staff=True,
    )
    routes.add(
        "POST",
        "/pedidos/{code}/retirado",
        _single("mark_picked_up", "picked_up"),
        "order_picked_up",
        staff=True,
    )
