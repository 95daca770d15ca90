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
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

import segno
from aiohttp import web

from bots.chat.i18n import Messages
from bots.moderation.service import Moderation
from bots.runtime.auctions import item_name, typed
from bots.runtime.events import (
    AlertReplay,
    AlertTest,
    AuctionChanged,
    AuctionOffered,
    Event,
    FlashSaleEnded,
    FlashSaleStarted,
    GiveawayChanged,
    GiveawayWon,
    GoalChanged,
    OrderPaid,
    SpotlightChanged,
    TipReceived,
)
from bots.runtime.giveaways import prize_name, short
from bots.web import alert_config, alert_media, alert_text, security, speech
from bots.web.alert_config import AlertSettings
from bots.web.alert_media import MediaStore
from bots.web.alert_text import Screen, Screened
from commerce import auctions, giveaways
from commerce.auctions import AuctionView
from commerce.errors import CommerceError
from commerce.flash_sales import FlashSaleView
from commerce.giveaways import GiveawayView
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
SOUND_FILES = frozenset(f"{name}.wav" for name in alert_config.SOUNDS)
SPEECH_KEPT = 20  # server-made read-aloud clips kept for overlays that fetch them late
AUCTION_SHOWN_AFTER = timedelta(seconds=30)  # a finished auction's card stays this long
GIVEAWAY_SHOWN_AFTER = timedelta(seconds=60)  # a drawn giveaway's card stays this long
# The names a test alert shows, per language: obviously made up.
SAMPLE_BUYER = {"es": "Prueba", "en": "Test", "pt": "Teste"}


@dataclass(slots=True)
class Goal:
    target: Money
    kind: str  # "sales" | "tips"
    progress: Money


@dataclass(frozen=True, slots=True)
class Facts:
    """What an alert is about, before the owner's template and look are applied."""

    kind: str  # "sale" | "tip" | "bits" | "superchat"
    buyer: str
    product: str
    amount: Money
    message: str
    platform: str
    code: str = ""  # the order's or tip's, for the approval queue; "" for a test


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
        media: MediaStore | None = None,
        screen: Screen = alert_text.screen,
        moderation: Moderation | None = None,
        prefix: str = "!",
    ) -> None:
        self.store = store
        self.prefix = prefix  # for the auction card's "!oferto 6000"
        self.auction: AuctionView | None = None
        self._auction_read = False
        self.giveaway: GiveawayView | None = None
        self._giveaway_read = False
        self.moderation = moderation
        if moderation is not None:
            moderation.on_release(self.release)
        self.messages = messages
        self.locale = locale
        self.public_url = public_url.rstrip("/") if public_url else None
        self.spotlight: ProductView | None = None
        self.goal: Goal | None = None
        self.alerts: deque[dict[str, Any]] = deque(maxlen=history)
        self.media = media
        self.screen = screen
        # Alerts the screen asked to hold, by id, until release() or drop().
        self.held: dict[int, dict[str, Any]] = {}
        self._speech: dict[int, bytes] = {}
        self._next_id = 1
        self._clients: set[asyncio.Queue[_Message]] = set()
        # The flash sale on now (commerce.flash_sales), read from the store at the first
        # page so an overlay started mid-sale shows it; then kept by FlashSale* events.
        self.flash: FlashSaleView | None = None
        self._flash_read = False

    # -- state --------------------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        """The EventBus listener: alerts for payments, state for owner commands."""
        if isinstance(event, SpotlightChanged):
            self.spotlight = event.product
        elif isinstance(event, GoalChanged):
            self._set_goal(event)
        elif isinstance(event, OrderPaid):
            self._count("sales", event.order.total)
            await self._show(self._order_facts(event.order))
        elif isinstance(event, TipReceived):
            self._count("tips", event.tip.amount)
            await self._show(self._tip_facts(event.tip))
        elif isinstance(event, FlashSaleStarted):
            self.flash, self._flash_read = event.sale, True
        elif isinstance(event, FlashSaleEnded):
            if self.flash is None or self.flash.id == event.sale.id:
                self.flash, self._flash_read = None, True
        elif isinstance(event, AlertTest):
            await self._show_test(event)
        elif isinstance(event, AlertReplay):
            if event.order is not None:
                await self._show(self._order_facts(event.order), replay=True)
            elif event.tip is not None:
                await self._show(self._tip_facts(event.tip), replay=True)
        elif isinstance(event, AuctionChanged | AuctionOffered):
            self._take_auction(event.auction)
        elif isinstance(event, GiveawayChanged | GiveawayWon):
            self._take_giveaway(event.giveaway)
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
        flash = self._flash_state()
        spotlight = self._spotlight_state(base_url)
        if spotlight is not None:
            spotlight["flash"] = flash if flash and flash["sku"] == spotlight["sku"] else None
        return {
            "spotlight": spotlight,
            "goal": self._goal_state(),
            "flash": flash,
            "auction": self._auction_state(),
            "giveaway": self._giveaway_state(),
        }

    # -- flash sales (commerce.flash_sales) ------------------------------------------------

    async def _read_flash(self) -> None:
        """The sale on now, from the store, once: later changes come as events."""
        if self._flash_read:
            return
        try:
            self.flash = await asyncio.to_thread(self.store.active_flash_sale)
        except Exception:
            log.exception("could not read the flash sale on now")
            return
        self._flash_read = True

    def _flash_state(self) -> dict[str, Any] | None:
        """The flash-sale card: new and old price, and the time left in milliseconds (the
        page counts down from when it got it, so the two clocks need not agree)."""
        sale = self.flash
        now = datetime.now(UTC)
        if sale is None or not sale.on_at(now):
            return None
        price = self._money(sale.price)
        if sale.varies:
            price = self._t("price_from", price=price)
        return {
            "sku": sale.sku,
            "name": sale.product_name,
            "price": price,
            "old_price": self._money(sale.old_price),
            "percent": sale.percent,
            "limit": sale.max_per_buyer,
            "ends_at": sale.ends_at.isoformat(),
            "remaining_ms": max(0, int((sale.ends_at - now).total_seconds() * 1000)),
            "tag_label": self._t("overlay_flash"),
            "ends_label": self._t("overlay_flash_ends"),
        }

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

    async def settings(self) -> AlertSettings:
        """The owner's alert settings as saved in the panel (defaults until then)."""
        text = await asyncio.to_thread(self.store.owner_setting, alert_config.SETTING_KEY)
        found, problems = alert_config.parse(text)
        if problems:
            log.warning("alert settings fell back to defaults for: %s", ", ".join(problems))
        return found

    def _order_facts(self, order: OrderView) -> Facts:
        items = ", ".join(
            (f"{line.quantity}× " if line.quantity > 1 else "") + line.product_name
            for line in order.lines
        )
        return Facts(
            "sale", order.viewer.display_name, items, order.total, "", order.platform, order.code
        )

    def _tip_facts(self, tip: TipView) -> Facts:
        kind = alert_config.tip_kind(tip.source.value)
        return Facts(
            kind, tip.viewer.display_name, "", tip.amount, tip.message, tip.platform, tip.code
        )

    async def _show_test(self, event: AlertTest) -> None:
        if event.kind not in alert_config.KINDS:
            return
        settings = await self.settings()
        preview = event.style
        if isinstance(preview, dict):  # it came from another process, as JSON
            preview = alert_config.style_from(event.kind, preview)
        if isinstance(preview, alert_config.AlertStyle):
            settings = settings.with_style(event.kind, preview)
        style = settings.style(event.kind)
        index = event.variation
        if index is not None and not 0 <= index < len(style.variations):
            index = None
        amount = alert_config.sample_amount(style, index, event.currency)
        facts = Facts(
            event.kind,
            SAMPLE_BUYER.get(self.locale, "Test"),
            self._t("overlay_sample_product") if event.kind == "sale" else "",
            amount,
            "" if event.kind == "sale" else self._t("overlay_sample_message"),
            {"bits": "twitch", "superchat": "youtube"}.get(event.kind, "twitch"),
        )
        await self._show(facts, test=True, settings=settings)

    def default_template(self, kind: str) -> str:
        return default_template(self.messages, self.locale, kind)

    async def _show(
        self,
        facts: Facts,
        *,
        test: bool = False,
        replay: bool = False,
        settings: AlertSettings | None = None,
    ) -> None:
        """Apply the owner's look for this type (and the variation the amount reaches),
        screen what the viewer wrote, and send the alert — or hold it if screening says so."""
        if settings is None:
            settings = await self.settings()
        style = settings.style(facts.kind)
        index, variation = style.pick(facts.amount.amount)
        verdict = None
        if self.moderation is not None:
            # The owner's filter (bots.moderation): the whole alert at once, since holding
            # may depend on the amount or on the message being there at all.
            verdict = await self.moderation.review(facts.buyer, facts.message, facts.amount)
            name = Screened(verdict.name.text, hidden=verdict.name.hidden)
            message = Screened(verdict.message.text, hidden=verdict.message.hidden)
        else:
            name = await self.screen("name", facts.buyer, facts.amount)
            message = (
                await self.screen("message", facts.message, facts.amount)
                if facts.message
                else Screened("")
            )
        buyer = self._t("overlay_someone") if name.hidden else name.text
        text = "" if message.hidden else message.text
        amount = self._money(facts.amount)
        values = {
            "buyer": buyer,
            "product": facts.product,
            "amount": amount,
            "message": text,
            "platform": self._platform(facts.platform),
        }
        template = (variation.template if variation else "") or style.template
        template = template or self.default_template(facts.kind)
        sale = facts.kind == "sale"
        alert: dict[str, Any] = {
            "id": self._take_id(),
            "kind": "order" if sale else "tip",  # the card's colour family
            "type": facts.kind,
            "test": test,
            "replay": replay,
            "badge": self._t("overlay_test")
            if test
            else self._t("overlay_replay")
            if replay
            else "",
            "headline": alert_config.fill(template, values),
            "buyer": buyer,
            "platform": facts.platform,
            "title": facts.product if sale else amount,
            "amount": amount,
            "message": text,
            "image": (variation.image if variation else "") or style.image,
            "sound": (variation.sound if variation else "") or style.sound,
            "volume": style.volume / 100,
            "enter": style.enter,
            "exit": style.exit,
            "duration": style.duration,
            "layout": style.layout,
            "css": style.css,
            "variation": index,
            "lang": self.locale,
            "speak": None,
            "speech_url": None,
        }
        await self._read_aloud(alert, settings, facts, text)
        if test or replay:
            self._send(alert)  # the owner asked to see it now: never queued for approval
        elif verdict is not None and verdict.held and self.moderation is not None:
            await self.moderation.hold("order" if sale else "tip", facts.code, alert, verdict)
        elif name.hold or message.hold:
            self.held[alert["id"]] = alert
        else:
            self._send(alert)

    async def _read_aloud(
        self, alert: dict[str, Any], settings: AlertSettings, facts: Facts, text: str
    ) -> None:
        """Tip messages from the owner's minimum on, cut to the maximum length, after
        screening (a hidden message is never read)."""
        read = settings.read_aloud
        if not read.enabled or facts.kind == "sale" or not text.strip():
            return
        if facts.amount.amount < read.minimum:
            return
        spoken = _cut(text, read.max_chars)
        if read.engine == "server" and speech.available():
            clip = await speech.synthesize(spoken, self.locale)
            if clip is not None:
                self._speech[alert["id"]] = clip
                for old in sorted(self._speech)[:-SPEECH_KEPT]:
                    del self._speech[old]
                alert["speech_url"] = f"overlay/speech/{alert['id']}.wav"
                return
        alert["speak"] = spoken

    def _platform(self, name: str) -> str:
        key = f"panel_platform_{name}"
        return self.messages.t(self.locale, key) if self.messages.has(key) else name

    async def release(self, alert: dict[str, Any]) -> None:
        """An alert the panel's approval queue let through plays now, as a new one."""
        self._send({**alert, "id": self._take_id()})

    def release_held(self, alert_id: int) -> bool:
        """Play an alert a `Screen` held; False if none."""
        alert = self.held.pop(alert_id, None)
        if alert is None:
            return False
        self._send(alert)
        return True

    def drop(self, alert_id: int) -> bool:
        return self.held.pop(alert_id, None) is not None

    def _take_id(self) -> int:
        found = self._next_id
        self._next_id += 1
        return found

    def _send(self, alert: dict[str, Any]) -> None:
        self.alerts.append(alert)
        self._broadcast(_Message("alert", alert))

    def _broadcast(self, message: _Message) -> None:
        for queue in list(self._clients):
            queue.put_nowait(message)

    # -- the auction card (bots.runtime.auctions) ----------------------------------------

    def _take_auction(self, shown: AuctionView) -> None:
        """Keep the newest state of the newest auction (events from several processes may
        cross: a bid's view never replaces a later one)."""
        old = self.auction
        if old is not None and old.id == shown.id and old.status == shown.status:
            old_bid = old.current.minor if old.current else -1
            if (shown.current.minor if shown.current else -1) < old_bid:
                return
        if old is None or shown.id >= old.id:
            self.auction = shown
        self._auction_read = True

    async def _read_auction(self) -> None:
        """On the first page after a start, the store's auction (one may be running)."""
        if self._auction_read:
            return
        self._auction_read = True
        try:
            found = await asyncio.to_thread(self.store.current_auction)
        except Exception:
            log.exception("reading the running auction failed")
            return
        if found is not None and self.auction is None:
            self.auction = found

    def _auction_state(self) -> dict[str, Any] | None:
        """The card: item, current bid (or base), its bidder and platform, the clock."""
        shown = self.auction
        if shown is None:
            return None
        leader = shown.leader
        if shown.status == auctions.OPEN:
            result = ""
        elif shown.status == auctions.OFFERED:
            name = shown.offered_to.name if shown.offered_to else ""
            result = self._t("overlay_auction_offered", name=name)
        elif shown.status == auctions.SOLD:
            result = self._t("overlay_auction_sold")
        else:
            result = self._t("overlay_auction_unsold")
        closed = shown.closed_at or (None if shown.running else shown.ends_at)
        return {
            "id": shown.id,
            "status": shown.status,
            "product": item_name(shown),
            "image_url": shown.image_url,
            "tag_label": self._t("overlay_auction"),
            "amount": self._money(shown.current or shown.base),
            "amount_label": self._t(
                "overlay_auction_current" if shown.current else "overlay_auction_base"
            ),
            "leader": leader.name if leader else None,
            "platform": leader.platform if leader else None,
            "no_bids_label": self._t("overlay_auction_no_bids"),
            "hint": self._t("overlay_auction_hint", p=self.prefix, amount=typed(shown.needed)),
            "ends_at": shown.ends_at.isoformat(),
            "now": datetime.now(UTC).isoformat(),
            "result_label": result,
            # A finished auction's card stays a little while, then goes (the page hides it).
            "hide_at": (closed + AUCTION_SHOWN_AFTER).isoformat() if closed else None,
            "bids": shown.bids,
        }

    # -- the giveaway card (bots.runtime.giveaways) -------------------------------------

    def _take_giveaway(self, shown: GiveawayView) -> None:
        """Keep the newest state of the newest giveaway: entries' views may cross (several
        processes), so a smaller count never replaces a larger one while it is open, and an
        open view never replaces the drawn one."""
        old = self.giveaway
        self._giveaway_read = True
        if old is not None and old.id == shown.id:
            if not old.running and shown.running:
                return
            if old.running and shown.running and shown.entries < old.entries:
                return
        if old is None or shown.id >= old.id:
            self.giveaway = shown

    async def _read_giveaway(self) -> None:
        """On the first page after a start, the store's giveaway (one may be running)."""
        if self._giveaway_read:
            return
        self._giveaway_read = True
        try:
            found = await asyncio.to_thread(self.store.current_giveaway)
        except Exception:
            log.exception("reading the running giveaway failed")
            return
        if found is not None and self.giveaway is None:
            self.giveaway = found

    def _giveaway_state(self) -> dict[str, Any] | None:
        """The card: prize, entries, the clock, the commitment; at the draw the winner,
        their platform and the revealed seed."""
        shown = self.giveaway
        if shown is None:
            return None
        winner = shown.winner
        if shown.status == giveaways.OPEN:
            result = ""
        elif shown.status == giveaways.DRAWN:
            result = self._t("overlay_giveaway_winner")
        elif shown.status == giveaways.EMPTY:
            result = self._t("overlay_giveaway_empty")
        else:
            result = self._t("overlay_giveaway_cancelled")
        closed = shown.closed_at
        return {
            "id": shown.id,
            "status": shown.status,
            "product": prize_name(shown),
            "image_url": shown.image_url,
            "tag_label": self._t("overlay_giveaway"),
            "entries": shown.entries,
            "entries_label": self._t("overlay_giveaway_entries", count=shown.entries),
            "hint": self._t("overlay_giveaway_hint", p=self.prefix),
            "commitment": shown.commitment,
            "commitment_short": short(shown.commitment),
            "commitment_label": self._t("overlay_giveaway_commitment"),
            "seed": shown.seed_hex,
            "seed_short": short(shown.seed_hex),
            "seed_label": self._t("overlay_giveaway_seed"),
            "winner": winner.name if winner else None,
            "platform": winner.platform if winner else None,
            "ends_at": shown.ends_at.isoformat(),
            "now": datetime.now(UTC).isoformat(),
            "result_label": result,
            # A finished giveaway's card stays a while (the winner shown), then goes.
            "hide_at": (closed + GIVEAWAY_SHOWN_AFTER).isoformat() if closed else None,
        }

    # -- web ----------------------------------------------------------------------------

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/overlay", self._page)
        app.router.add_get("/overlay/events", self._events)
        app.router.add_get("/overlay/state", self._state)
        app.router.add_get("/overlay/static/{name}", self._static)
        app.router.add_get("/overlay/sounds/{name}", self._sound)
        app.router.add_get("/overlay/media/{name}", self._media)
        app.router.add_get("/overlay/speech/{name}", self._spoken)
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

    async def _sound(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in SOUND_FILES:
            raise web.HTTPNotFound()
        return web.Response(
            body=_static_bytes(f"sounds/{name}"),
            content_type="audio/wav",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    async def _media(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = self.media.path(name) if self.media is not None else None
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(
            path,
            headers={
                "Content-Type": alert_media.content_type(name),
                "Cache-Control": "public, max-age=86400",
            },
        )

    async def _spoken(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        number = name.removesuffix(".wav")
        clip = self._speech.get(int(number)) if number.isdigit() else None
        if clip is None:
            raise web.HTTPNotFound()
        return web.Response(body=clip, content_type="audio/wav")

    async def _state(self, request: web.Request) -> web.Response:
        await self._read_flash()
        await self._read_auction()
        await self._read_giveaway()
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
        await self._read_flash()
        await self._read_auction()
        await self._read_giveaway()
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
                    async with asyncio.timeout(CHECK_SECONDS):
                        message = await queue.get()
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


def default_template(messages: Messages, locale: str, kind: str) -> str:
    """The built-in text of an alert type, in the store's language, with its placeholders."""
    key = {
        "sale": "overlay_bought",
        "tip": "overlay_tipped",
        "bits": "overlay_bits",
        "superchat": "overlay_superchat",
    }[kind]
    return messages.t(locale, key, name="{buyer}")


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending on a whole word when there is one."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return head[:space] if space > limit // 2 else head


@lru_cache(maxsize=8)
def _static_text(name: str) -> str:
    return (resources.files("bots.web") / "static" / name).read_text("utf-8")


@lru_cache(maxsize=8)
def _static_bytes(name: str) -> bytes:
    return (resources.files("bots.web") / "static" / name).read_bytes()
