"""En vivo: the page an owner keeps open next to OBS during the stream.

A feed of payments, tips, expiries and refunds arrives over Server-Sent Events, as the
overlay's does (bots/web/overlay.py): items carry increasing ids, and a browser that
reconnects sends `Last-Event-ID` and gets what it missed. The figures (revenue and orders
so far, stock left, reservations about to expire, platforms) are one fragment the page
fetches again when the feed says something changed, and every few seconds anyway.

Quick actions make the same store calls and announce the same events as `!abrir`,
`!cerrar`, `!destacar`, `!meta` and `!stock`, so the overlay follows the panel as it
follows the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from bots.runtime.events import (
    ClaimWordsChanged,
    Event,
    GiveawayWon,
    GoalChanged,
    OrderExpired,
    OrderPaid,
    OrderRefunded,
    RefundNeeded,
    SpotlightChanged,
    StockChanged,
    TipReceived,
)
from bots.web.panel.core import SESSION_TOKEN, PanelContext, Routes, page, panel, url
from commerce.errors import CommerceError, StockBelowCommitted
from commerce.money import Money, parse_amount
from commerce.views import OrderView, ProductView

HISTORY = 100
KEEPALIVE_SECONDS = 15.0
CHECK_SECONDS = 1.0
RETRY_MS = 2000


class Feed:
    """Listens on the bot's EventBus; keeps recent items for pages that (re)connect."""

    def __init__(self, ctx: PanelContext) -> None:
        self.ctx = ctx
        self.items: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self.spotlight: ProductView | None = None
        self.goal: GoalChanged | None = None
        self._next_id = 1
        self._clients: set[asyncio.Queue[dict[str, Any] | None]] = set()

    async def on_event(self, event: Event) -> None:
        fmt = self.ctx.fmt
        item: dict[str, Any] | None = None
        if isinstance(event, OrderPaid):
            item = self._order("paid", event.order)
        elif isinstance(event, GiveawayWon):
            item = self._order("prize", event.order)  # a zero-price order: no revenue
        elif isinstance(event, OrderExpired):
            item = self._order("expired", event.order)
        elif isinstance(event, OrderRefunded):
            item = self._order("refunded", event.order)
        elif isinstance(event, RefundNeeded):
            item = self._order("refund_needed", event.order)
        elif isinstance(event, TipReceived):
            tip = event.tip
            item = {
                "kind": "tip",
                "title": fmt.t("feed_tip", name=tip.viewer.display_name),
                "detail": tip.message,
                "amount": fmt.money(tip.amount),
                "platform": fmt.platform(tip.platform),
                "code": tip.code,
            }
        elif isinstance(event, SpotlightChanged):
            self.spotlight = event.product
        elif isinstance(event, GoalChanged):
            self.goal = event if event.target is not None else None
        elif isinstance(event, StockChanged):
            pass  # only the figures change
        if item is not None:
            item = {"id": self._next_id, "at": fmt.clock(datetime.now(UTC)), **item}
            self._next_id += 1
            self.items.append(item)
        for queue in list(self._clients):
            queue.put_nowait(item if item is not None else {"refresh": True})

    def _order(self, kind: str, order: OrderView) -> dict[str, Any]:
        fmt = self.ctx.fmt
        items = ", ".join(
            (f"{line.quantity}× " if line.quantity > 1 else "") + line.product_name
            for line in order.lines
        )
        return {
            "kind": kind,
            "title": fmt.t(f"feed_{kind}", name=order.viewer.display_name),
            "detail": items,
            "amount": fmt.money(order.total),
            "platform": fmt.platform(order.platform),
            "code": order.code,
        }

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._clients.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._clients.discard(queue)

    def missed(self, last: str | None) -> list[dict[str, Any]]:
        if not last or not last.isdigit():
            return list(self.items)[-20:]
        return [i for i in self.items if i["id"] > int(last)]

    def close(self) -> None:
        for queue in list(self._clients):
            queue.put_nowait(None)


FEED = web.AppKey("panel_feed", Feed)


def feed(request: web.Request) -> Feed:
    return request.config_dict[FEED]


async def live_page(request: web.Request) -> web.StreamResponse:
    context = await _figures(request)
    return page(request, "live.html", {**context, "nav": "live"})


async def live_stats(request: web.Request) -> web.StreamResponse:
    return page(request, "_live_stats.html", await _figures(request))


async def _figures(request: web.Request) -> dict[str, Any]:
    ctx = panel(request)
    store = ctx.store
    figures = await ctx.run(store.panel_live, ctx.settings.currency, gap=ctx.panel.stream_gap)
    catalog = await ctx.run(store.panel_catalog, False)
    is_open = await ctx.run(store.is_open)
    low = ctx.panel.low_stock
    stock = []
    for p in catalog:
        rows: list[tuple[str, int, int, str | None, str | None]] = [
            (p.name, v.available, v.stock, " ".join(v.options.values()), v.key) for v in p.variants
        ] or [(p.name, p.available, p.stock, None, None)]
        for name, available, total, label, key in rows:
            stock.append(
                {
                    "sku": p.sku,
                    "name": name,
                    "variant": label,
                    "key": key,
                    "available": available,
                    "stock": total,
                    "low": available <= low,
                }
            )
    stock.sort(key=lambda row: (not row["low"], row["name"]))
    the_feed = feed(request)
    return {
        "figures": figures,
        "stock": stock,
        "catalog": catalog,
        "is_open": is_open,
        "platforms": ctx.sources.platforms(),
        "spotlight": the_feed.spotlight,
        "goal": the_feed.goal,
        "now": datetime.now(UTC),
    }


async def live_events(request: web.Request) -> web.StreamResponse:
    the_feed = feed(request)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    queue = the_feed.subscribe()
    try:
        await response.write(f"retry: {RETRY_MS}\n\n".encode())
        last = request.headers.get("Last-Event-ID") or request.query.get("last")
        for item in the_feed.missed(last):
            await response.write(_sse("item", item, item["id"]))
        await response.write(_sse("ready", {}))
        idle = 0.0
        while request.transport is not None and not request.transport.is_closing():
            try:
                async with asyncio.timeout(CHECK_SECONDS):
                    message = await queue.get()
            except TimeoutError:
                idle += CHECK_SECONDS
                if idle >= KEEPALIVE_SECONDS:
                    if not await _still_signed_in(request):
                        break  # signed out meanwhile (logout --all): the stream ends too
                    await response.write(b": keepalive\n\n")
                    idle = 0.0
                continue
            idle = 0.0
            if message is None:
                break
            if "id" in message:
                await response.write(_sse("item", message, message["id"]))
            else:
                await response.write(_sse("refresh", {}))
    except ConnectionResetError:
        pass
    finally:
        the_feed.unsubscribe(queue)
    with contextlib.suppress(Exception):
        await response.write_eof()
    return response


async def _still_signed_in(request: web.Request) -> bool:
    ctx = panel(request)
    return await ctx.run(ctx.store.panel_session, request[SESSION_TOKEN]) is not None


def _sse(event: str, data: object, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _back(request: web.Request, ok: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url(request, "live", {"ok": ok}))


async def set_open(request: web.Request) -> web.StreamResponse:
    """`!abrir` / `!cerrar`."""
    ctx = panel(request)
    form = await request.post()
    is_open = form.get("open") == "1"
    claiming = (await ctx.run(ctx.store.claim_words)).enabled
    await ctx.run(ctx.store.set_open, is_open)
    if claiming and not is_open:  # closing turns claim words off (commerce.live_state)
        await ctx.publish(ClaimWordsChanged(False))
    raise _back(request, "opened" if is_open else "closed")


async def set_spotlight(request: web.Request) -> web.StreamResponse:
    """`!destacar`: an empty choice takes the product off the overlay."""
    ctx = panel(request)
    form = await request.post()
    sku = str(form.get("sku", ""))
    product = None
    if sku:
        try:
            product = await ctx.run(ctx.store.get_product, sku)
        except CommerceError:
            raise web.HTTPNotFound(text="no such product") from None
    # Kept in the store for claim words in every chat process (commerce.live_state).
    await ctx.run(ctx.store.set_spotlight, product.sku if product else None)
    await ctx.publish(SpotlightChanged(product))
    raise _back(request, "spotlight" if product else "spotlight_off")


async def set_goal(request: web.Request) -> web.StreamResponse:
    """`!meta`: an amount for sales or tips; empty or zero hides the bar."""
    ctx = panel(request)
    form = await request.post()
    kind = "tips" if form.get("kind") == "tips" else "sales"
    text = str(form.get("amount", "")).strip()
    target = None
    if text and text != "0":
        try:
            amount = parse_amount(text, ctx.settings.currency, ctx.settings.locale)
        except CommerceError:
            return await _problem(request, "bad_amount")
        if amount <= Decimal(0):
            return await _problem(request, "bad_amount")
        target = Money(amount, ctx.settings.currency)
    await ctx.publish(GoalChanged(target, kind))
    raise _back(request, "goal" if target else "goal_off")


async def set_stock(request: web.Request) -> web.StreamResponse:
    """`!stock`: one product (or variant) gets a new stock; never below what is committed."""
    ctx = panel(request)
    form = await request.post()
    sku, _, variant = str(form.get("target", "")).partition("|")
    text = str(form.get("stock", "")).strip()
    if not text.isascii() or not text.isdigit() or int(text) > 1_000_000:
        return await _problem(request, "bad_number", field="stock")
    try:
        updated = await ctx.run(ctx.store.set_stock, sku, int(text), variant or None)
    except StockBelowCommitted as exc:
        return await _problem(request, "stock_below", stock=exc.requested, committed=exc.committed)
    except CommerceError:
        return await _problem(request, "not_now")
    await ctx.publish(StockChanged(updated))
    raise _back(request, "stock")


async def _problem(request: web.Request, key: str, **params: object) -> web.StreamResponse:
    context = await _figures(request)
    error = panel(request).fmt.t(f"error_{key}", **params)
    return page(request, "live.html", {**context, "nav": "live", "error": error}, status=400)


def setup(routes: Routes) -> None:
    from bots.web.panel.core import PANEL

    ctx = routes.app[PANEL]
    the_feed = Feed(ctx)
    routes.app[FEED] = the_feed

    async def close(_app: web.Application) -> None:
        the_feed.close()  # so stopping the web app does not wait for open pages

    routes.app.on_shutdown.append(close)
    if ctx.bus is not None:
        ctx.bus.subscribe(the_feed.on_event)
    routes.add("GET", "/vivo", live_page, "live", staff=True)
    routes.add("GET", "/vivo/estado", live_stats, "live_stats", staff=True)
    routes.add("GET", "/vivo/eventos", live_events, "live_events", staff=True)
    routes.add("POST", "/vivo/abrir", set_open, "live_open")
    routes.add("POST", "/vivo/destacar", set_spotlight, "live_spotlight")
    routes.add("POST", "/vivo/meta", set_goal, "live_goal")
    routes.add("POST", "/vivo/stock", set_stock, "live_stock")
