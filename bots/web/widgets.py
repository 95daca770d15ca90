"""Stream widgets: separate browser sources next to the overlay, live over SSE.

`/overlay/widgets/recent` (the last sales and tips), `/top` (top supporters of this stream
or of all time, by tips or by purchases), `/ticker` (both, scrolling) and `/goal` (the
overlay's goal as a bar or a ring, or "X of Y sold" for a product) and `/queue` (the paid
shout-outs still to do, oldest first, in a small corner or as a list). Each page reads its
layout and theme from its query string, as the overlay does, and sends the same query to
`/overlay/widgets/events`, which answers with the widget's data at once and again after
every payment, goal or stock change, shout-out done, or decision in the approval queue.

Names and messages pass the owner's filter (bots.moderation) as on the overlay; a tip's
message waiting for approval, or rejected, is left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from aiohttp import web

from bots.chat.i18n import Messages
from bots.moderation.screen import Action, Rules, screen_text
from bots.moderation.service import Moderation
from bots.runtime.events import (
    Event,
    GoalChanged,
    OrderDelivered,
    OrderPaid,
    SpotlightChanged,
    StockChanged,
    TipReceived,
)
from bots.web import security
from bots.web.overlay import Overlay
from commerce.moderation import APPROVED
from commerce.money import Money
from commerce.reports import STREAM_GAP
from commerce.store import Store

NAMES = ("recent", "top", "ticker", "goal", "queue")
STATIC_FILES = {"widgets.css": "text/css", "widgets.js": "text/javascript"}
KEEPALIVE_SECONDS = 15.0
CHECK_SECONDS = 1.0
RETRY_MS = 2000
MAX_ITEMS = 20
WATCHED = (OrderPaid, OrderDelivered, TipReceived, GoalChanged, SpotlightChanged, StockChanged)


@dataclass(frozen=True, slots=True)
class Query:
    """What one widget page asked for in its query string (bad values fall back)."""

    widget: str
    n: int = 5
    by: str = "tips"  # "tips" | "purchases"
    period: str = "stream"  # "stream" | "all"
    sku: str = ""

    @classmethod
    def parse(cls, widget: str, query: Any) -> Query:
        n = query.get("n", "")
        return cls(
            widget if widget in NAMES else "recent",
            min(int(n), MAX_ITEMS) if n.isdigit() and int(n) > 0 else 5,
            "purchases" if query.get("by") == "purchases" else "tips",
            "all" if query.get("period") == "all" else "stream",
            query.get("sku", "")[:64],
        )


class Widgets:
    """Subscribe `on_event` to the bus after the overlay (the goal is the overlay's)."""

    def __init__(
        self,
        store: Store,
        messages: Messages,
        overlay: Overlay,
        moderation: Moderation,
        *,
        locale: str = "es",
        currency: str = "ARS",
        gap: timedelta = STREAM_GAP,
    ) -> None:
        self.store = store
        self.messages = messages
        self.overlay = overlay
        self.moderation = moderation
        self.locale = locale
        self.currency = currency
        self.gap = gap
        self._clients: set[asyncio.Queue[bool]] = set()
        moderation.on_change(self._changed)

    async def on_event(self, event: Event) -> None:
        if isinstance(event, WATCHED):
            self._changed()

    def _changed(self) -> None:
        for queue in list(self._clients):
            queue.put_nowait(True)

    def _t(self, key: str, **params: object) -> str:
        return self.messages.t(self.locale, key, **params)

    def _money(self, money: Money) -> str:
        try:
            return self.messages.money(money, self.locale)
        except Exception:  # a platform currency Babel does not know (Bits)
            return f"{money.amount} {money.currency}"

    # -- data -----------------------------------------------------------------------------

    async def data(self, q: Query) -> dict[str, Any]:
        rules = await self.moderation.rules()
        found: dict[str, Any] = {"widget": q.widget, "empty": self._t("widget_empty")}
        if q.widget in ("recent", "ticker"):
            found["recent"] = await self._recent(rules, q.n)
        if q.widget in ("top", "ticker"):
            found["top"] = await self._top(rules, q)
        if q.widget == "goal":
            found["goal"] = self.overlay.state("")["goal"]
            found["sold"] = await self._sold(q.sku)
        if q.widget == "queue":
            found["queue"] = await self._queue(rules, q.n)
            found["title"] = self._t("widget_queue")
            found["empty"] = self._t("widget_queue_empty")
        return found

    def _name(self, rules: Rules, name: str) -> str:
        """A name as widgets show it: nobody approves a leaderboard, so where the owner
        holds alerts for a filtered word, the word is covered here."""
        if rules.action is Action.HOLD:
            rules = replace(rules, action=Action.REPLACE)
        return screen_text(rules, "name", name).text or self._t("overlay_someone")

    async def _recent(self, rules: Rules, n: int) -> list[dict[str, Any]]:
        events = await asyncio.to_thread(self.store.recent_events, n)
        tips = [e.code for e in events if e.kind == "tip" and e.detail]
        held = await asyncio.to_thread(self.store.held_statuses, "tip", tips)
        items = []
        for e in events:
            detail = e.detail
            if e.kind == "tip":
                shown = screen_text(rules, "message", detail)
                status = held.get(e.code)
                if status is None:
                    detail = "" if shown.held else shown.text
                else:  # it went through the queue: shown only once approved
                    detail = shown.text if status == APPROVED else ""
            name = self._name(rules, e.name)
            items.append(
                {
                    "kind": e.kind,
                    "name": name,
                    "platform": e.platform,
                    "amount": self._money(e.amount),
                    "detail": detail,
                    "headline": self._t(
                        "overlay_bought" if e.kind == "order" else "overlay_tipped", name=name
                    ),
                }
            )
        return items

    async def _queue(self, rules: Rules, n: int) -> dict[str, Any]:
        """The shout-outs to do, oldest first: the buyer's name and message, filtered. Nobody
        approves a queue item on its way, so a word the owner holds is covered instead."""
        waiting = await asyncio.to_thread(self.store.shoutout_queue)
        if rules.action is Action.HOLD:
            rules = replace(rules, action=Action.REPLACE)
        items = []
        for w in waiting[:n]:
            message = screen_text(rules, "message", w.message).text if w.message else ""
            items.append(
                {
                    "code": w.code,
                    "name": self._name(rules, w.name),
                    "platform": w.platform,
                    "message": message,
                }
            )
        more = len(waiting) - len(items)
        return {
            "items": items,
            "total": len(waiting),
            "more": self._t("widget_queue_more", count=more) if more > 0 else "",
        }

    async def _top(self, rules: Rules, q: Query) -> dict[str, Any]:
        supporters = await asyncio.to_thread(
            self.store.top_supporters,
            q.by,
            self.currency,
            stream=q.period == "stream",
            gap=self.gap,
            limit=q.n,
        )
        title = self._t("widget_top_tips" if q.by == "tips" else "widget_top_purchases")
        period = self._t("widget_stream" if q.period == "stream" else "widget_all_time")
        return {
            "title": title,
            "period": period,
            "by": q.by,
            "rows": [
                {
                    "name": self._name(rules, s.name),
                    "platform": s.platform,
                    "count": s.count,
                    "amount": self._money(s.amount),
                }
                for s in supporters
            ],
        }

    async def _sold(self, sku: str) -> dict[str, Any] | None:
        """ "X of Y sold" for `sku`, or for the spotlighted product when none is named."""
        wanted = sku or (self.overlay.spotlight.sku if self.overlay.spotlight else "")
        if not wanted:
            return None
        catalog = await asyncio.to_thread(self.store.panel_catalog, False)
        product = next((p for p in catalog if p.sku.lower() == wanted.lower()), None)
        if product is None:
            return None
        stock = sum(v.stock for v in product.variants) if product.variants else product.stock
        sold = product.sold
        return {
            "sku": product.sku,
            "name": product.name,
            "sold": sold,
            "total": stock,
            "label": self._t("widget_sold", sold=sold, total=stock),
            "percent": min(100.0, sold * 100 / stock) if stock > 0 else 100.0,
        }

    # -- web ------------------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/overlay/widgets/events", self._events)
        app.router.add_get("/overlay/widgets/static/{file}", self._static)
        app.router.add_get(r"/overlay/widgets/{name:recent|top|ticker|goal|queue}", self._page)
        app.on_shutdown.append(self._close)

    async def _close(self, app: web.Application) -> None:
        for queue in list(self._clients):
            queue.put_nowait(False)

    async def _page(self, request: web.Request) -> web.Response:
        text = _static_text("widget.html").replace("{{widget}}", request.match_info["name"])
        response = web.Response(text=text, content_type="text/html")
        response.headers[security.CSP] = security.OVERLAY
        return response

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["file"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(text=_static_text(name), content_type=STATIC_FILES[name])

    async def _events(self, request: web.Request) -> web.StreamResponse:
        q = Query.parse(request.query.get("widget", ""), request.query)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[bool] = asyncio.Queue()
        self._clients.add(queue)
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            await response.write(_sse(await self.data(q)))
            idle = 0.0
            while request.transport is not None and not request.transport.is_closing():
                try:
                    async with asyncio.timeout(CHECK_SECONDS):
                        more = await queue.get()
                except TimeoutError:
                    idle += CHECK_SECONDS
                    if idle >= KEEPALIVE_SECONDS:
                        await response.write(b": keepalive\n\n")
                        idle = 0.0
                    continue
                if not more:
                    break
                while more and not queue.empty():  # a burst of sales: one answer for all
                    more = queue.get_nowait()
                if not more:
                    break
                await response.write(_sse(await self.data(q)))
        except ConnectionResetError:
            pass
        finally:
            self._clients.discard(queue)
        with contextlib.suppress(Exception):
            await response.write_eof()
        return response


def _sse(data: object) -> bytes:
    return f"event: data\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@lru_cache(maxsize=8)
def _static_text(name: str) -> str:
    return (resources.files("bots.web") / "static" / name).read_text("utf-8")
