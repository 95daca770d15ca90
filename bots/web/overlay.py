"""The stream overlay: alerts, the spotlighted product and a goal bar, live over SSE.

`Overlay` listens on the bot's EventBus and keeps the only state the page needs, so an
OBS browser source that reloads (or a second one with another layout) catches up at once:
every connection first gets the whole state, then changes as they happen. Alerts carry
increasing ids; a browser that reconnects sends `Last-Event-ID` and gets the alerts it
missed, so a dropped connection during a rush of sales loses none of them.

Server-Sent Events rather than a websocket: one direction is all the overlay needs, and
EventSource reconnects by itself in every browser OBS ships.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

import segno
from aiohttp import web

from bots.chat.i18n import Messages
from bots.moderation.service import Moderation
from bots.runtime.events import Event, GoalChanged, OrderPaid, SpotlightChanged, TipReceived
from bots.web import security
from commerce.errors import CommerceError
from commerce.money import Money
from commerce.store import Store
from commerce.views import OrderView, ProductView, TipView

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
CHECK_SECONDS = 1.0  # how often an idle stream looks for a browser that went away
RETRY_MS = 2000  # how soon EventSource reconnects after the stream drops
HISTORY = 50  # alerts kept for reconnecting overlays
STATIC_FILES = {
    "overlay.css": "text/css",
    "overlay.js": "text/javascript",
}


@dataclass(slots=True)
class Goal:
    target: Money
    kind: str  # "sales" | "tips"
    progress: Money


@dataclass(frozen=True, slots=True)
class _Message:
    kind: str  # "state" (recompute and send the state), "alert", or "close" (shutting down)
    alert: dict[str, Any] | None = None


class Overlay:
    """Subscribe `on_event` to the bus and call `setup(app)` on the bot's web app."""

    def __init__(
        self,
        store: Store,
        messages: Messages,
        *,
        locale: str = "es",
        public_url: str | None = None,
        history: int = HISTORY,
        moderation: Moderation | None = None,
    ) -> None:
        self.store = store
        self.moderation = moderation
        if moderation is not None:
            moderation.on_release(self.release)
        self.messages = messages
        self.locale = locale
        self.public_url = public_url.rstrip("/") if public_url else None
        self.spotlight: ProductView | None = None
        self.goal: Goal | None = None
        self.alerts: deque[dict[str, Any]] = deque(maxlen=history)
        self._next_id = 1
        self._clients: set[asyncio.Queue[_Message]] = set()

    # -- state --------------------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        """The EventBus listener: alerts for payments, state for owner commands."""
        if isinstance(event, SpotlightChanged):
            self.spotlight = event.product
        elif isinstance(event, GoalChanged):
            self._set_goal(event)
        elif isinstance(event, OrderPaid):
            order = event.order
            self._count("sales", order.total)
            await self._present("order", order.code, self._order_alert(order), order.total)
        elif isinstance(event, TipReceived):
            tip = event.tip
            self._count("tips", tip.amount)
            await self._present("tip", tip.code, self._tip_alert(tip), tip.amount)
        await self._refresh_spotlight()
        self._broadcast(_Message("state"))

    def _set_goal(self, event: GoalChanged) -> None:
        if event.target is None:
            self.goal = None
            return
        old = self.goal
        same = old is not None and old.kind == event.kind
        # Raising the goal mid-stream keeps what was already raised towards it.
        kept = old.progress if same and old is not None else Money.zero(event.target.currency)
        if kept.currency != event.target.currency:
            kept = Money.zero(event.target.currency)
        self.goal = Goal(event.target, event.kind, kept)

    def _count(self, kind: str, amount: Money) -> None:
        goal = self.goal
        if goal is None or goal.kind != kind or amount.currency != goal.progress.currency:
            return
        goal.progress = Money(goal.progress.amount + amount.amount, amount.currency)

    async def _refresh_spotlight(self) -> None:
        """Stock left changes with every sale: read the product again."""
        if self.spotlight is None:
            return
        try:
            self.spotlight = await asyncio.to_thread(self.store.get_product, self.spotlight.sku)
        except CommerceError:
            self.spotlight = None

    def state(self, base_url: str) -> dict[str, Any]:
        """Everything the page shows but alerts, as JSON-ready data."""
        return {"spotlight": self._spotlight_state(base_url), "goal": self._goal_state()}

    def _spotlight_state(self, base_url: str) -> dict[str, Any] | None:
        product = self.spotlight
        if product is None:
            return None
        url = f"{self.public_url or base_url.rstrip('/')}/c/{product.sku}"
        prices = {v.price for v in product.variants} or {product.price}
        low = min(prices, key=lambda m: m.amount)
        price = self._money(low)
        if len(prices) > 1:
            price = self._t("price_from", price=price)
        return {
            "sku": product.sku,
            "name": product.name,
            "price": price,
            "available": product.available,
            "stock_label": (
                self._t("overlay_stock", available=product.available)
                if product.available > 0
                else self._t("overlay_sold_out")
            ),
            "scan_label": self._t("overlay_scan"),
            "tag_label": self._t("overlay_spotlight"),
            "image_url": product.image_url,
            "url": url,
            "qr": qr_svg(url),
        }

    def _t(self, key: str, **params: object) -> str:
        return self.messages.t(self.locale, key, **params)

    def _goal_state(self) -> dict[str, Any] | None:
        goal = self.goal
        if goal is None:
            return None
        ratio = goal.progress.amount / goal.target.amount if goal.target.amount > 0 else Decimal(1)
        return {
            "kind": goal.kind,
            "label": self._t("overlay_goal_tips" if goal.kind == "tips" else "overlay_goal_sales"),
            "target": self._money(goal.target),
            "progress": self._money(goal.progress),
            "percent": float(min(Decimal(100), ratio * 100)),
        }

    def _money(self, money: Money) -> str:
        try:
            return self.messages.money(money, self.locale)
        except Exception:  # a platform currency Babel does not know (Bits)
            return f"{money.amount} {money.currency}"

    # -- alerts -------------------------------------------------------------------------

    def _order_alert(self, order: OrderView) -> dict[str, Any]:
        items = ", ".join(
            (f"{line.quantity}× " if line.quantity > 1 else "") + line.product_name
            for line in order.lines
        )
        return {
            "kind": "order",
            "headline": self._t("overlay_bought", name=order.viewer.display_name),
            "buyer": order.viewer.display_name,
            "platform": order.platform,
            "title": items,
            "amount": self._money(order.total),
            "message": "",
        }

    def _tip_alert(self, tip: TipView) -> dict[str, Any]:
        return {
            "kind": "tip",
            "headline": self._t("overlay_tipped", name=tip.viewer.display_name),
            "buyer": tip.viewer.display_name,
            "platform": tip.platform,
            "title": self._money(tip.amount),
            "amount": self._money(tip.amount),
            "message": tip.message,
        }

    async def _present(self, kind: str, code: str, alert: dict[str, Any], amount: Money) -> None:
        """Through the owner's filter: names and messages cleaned, or the alert held for
        approval (the money still counts towards the goal: it was received)."""
        if self.moderation is None:
            self._alert(alert)
            return
        verdict = await self.moderation.review(alert["buyer"], alert["message"], amount)
        name = verdict.name.text or self._t("overlay_someone")
        headline = "overlay_bought" if kind == "order" else "overlay_tipped"
        shown = {
            **alert,
            "buyer": name,
            "headline": self._t(headline, name=name),
            "message": verdict.message.text,
        }
        if verdict.held:
            await self.moderation.hold(kind, code, shown, verdict)
        else:
            self._alert(shown)

    async def release(self, alert: dict[str, Any]) -> None:
        """An approved alert plays now, as a new one (it was never sent before)."""
        alert.pop("id", None)
        self._alert(alert)

    def _alert(self, alert: dict[str, Any]) -> None:
        alert = {"id": self._next_id, **alert}
        self._next_id += 1
        self.alerts.append(alert)
        self._broadcast(_Message("alert", alert))

    def _broadcast(self, message: _Message) -> None:
        for queue in list(self._clients):
            queue.put_nowait(message)

    # -- web ----------------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/overlay", self._page)
        app.router.add_get("/overlay/events", self._events)
        app.router.add_get("/overlay/state", self._state)
        app.router.add_get("/overlay/static/{name}", self._static)
        app.on_shutdown.append(self._close_streams)

    async def _close_streams(self, app: web.Application) -> None:
        """End every open stream, so stopping the web app does not wait for them."""
        self._broadcast(_Message("close"))

    async def _page(self, request: web.Request) -> web.Response:
        response = web.Response(text=_static_text("overlay.html"), content_type="text/html")
        response.headers[security.CSP] = security.OVERLAY
        return response

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(text=_static_text(name), content_type=STATIC_FILES[name])

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self.state(str(request.url.origin())))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",  # nginx: do not hold events back
            }
        )
        await response.prepare(request)
        base = str(request.url.origin())
        queue: asyncio.Queue[_Message] = asyncio.Queue()
        self._clients.add(queue)
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            await response.write(_sse("state", self.state(base)))
            last = request.headers.get("Last-Event-ID") or request.query.get("last")
            for alert in self._missed(last):
                await response.write(_sse("alert", alert, alert["id"]))
            idle = 0.0
            while _open(request):
                try:
                    message = await asyncio.wait_for(queue.get(), CHECK_SECONDS)
                except TimeoutError:
                    idle += CHECK_SECONDS
                    if idle >= KEEPALIVE_SECONDS:
                        await response.write(b": keepalive\n\n")
                        idle = 0.0
                    continue
                idle = 0.0
                if message.kind == "close":
                    break
                if message.kind == "alert" and message.alert is not None:
                    await response.write(_sse("alert", message.alert, message.alert["id"]))
                else:
                    await response.write(_sse("state", self.state(base)))
        except ConnectionResetError:
            pass  # the browser source went away; EventSource will come back if it wants
        finally:
            self._clients.discard(queue)
        with contextlib.suppress(Exception):
            await response.write_eof()
        return response

    def _missed(self, last_event_id: str | None) -> list[dict[str, Any]]:
        """Alerts after the one a reconnecting browser saw last; none for a fresh page."""
        if not last_event_id or not last_event_id.isdigit():
            return []
        seen = int(last_event_id)
        return [a for a in self.alerts if a["id"] > seen]


def _open(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _sse(event: str, data: object, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """An inline SVG QR code for `url`, made locally (no QR web service sees the stream)."""
    return str(
        segno.make(url, error="m").svg_inline(border=2, dark="#111", light="#fff", omitsize=True)
    )


@lru_cache(maxsize=8)
def _static_text(name: str) -> str:
    return (resources.files("bots.web") / "static" / name).read_text("utf-8")
