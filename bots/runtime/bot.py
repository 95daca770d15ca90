"""The running bot: adapters in, router through, outboxes out, events back to chat.

One `Bot` owns every long-lived task (outboxes, expiry, reconciler, web app) so that
stopping it stops everything, and `wait_idle` can tell a scripted demo when all the work
that a chat line started has finished.

A platform that cannot be reached at start (Telegram down, a wrong Discord address) is
reported in one line and retried with backoff; the others serve meanwhile.

Payment links survive `kill -9`. An order is reserved, gets its link, and the reply that
carries the link goes through the platform's outbox with the order code as its receipt;
once the adapter has taken it, `orders.link_sent_at` is set. On start, as each platform
connects, its pending orders whose link was never handed over get it again (orders with
no link yet are finished by `LinkService.resume`, which delivers them the same way); the
expiry loop releases whatever nobody pays. A kill between the platform accepting the
message and the mark's commit is the only way a buyer sees a link twice; no kill leaves
a reservation whose link never left. Twitch and YouTube queue replies inside their
adapters, so for them "taken" means queued there.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

from adapters.base import Adapter, ChatMessage, ChatUser, PlatformTip, Priority, Reply
from adapters.youtube_quota import QuotaPlanner
from bots.chat import deep_links
from bots.chat.claims import OwnerClaims
from bots.chat.conversations import Conversations
from bots.chat.i18n import Messages, Verbatim
from bots.chat.router import Router
from bots.config import Config
from bots.moderation.service import Moderation
from bots.runtime.alerts import RECEIPT, OwnerAlerts, missing_details_source
from bots.runtime.auctions import AuctionAnnouncer, AuctionClock
from bots.runtime.events import (
    ClaimWordsChanged,
    Event,
    EventBus,
    HoldReminder,
    LinkReady,
    OrderExpired,
    OrderPaid,
    RefundNeeded,
    ShoutoutDone,
    SpotlightChanged,
    TipReceived,
    WaitlistHold,
    platform_of,
)
from bots.runtime.giveaways import GiveawayAnnouncer, GiveawayClock
from bots.runtime.leases import DUTIES, Leases
from bots.runtime.links import LinkService
from bots.runtime.metrics import Metrics, Readings
from bots.runtime.notices import BuyerNotices
from bots.runtime.notifications import NotificationInbox
from bots.runtime.outbox import Outbox
from bots.runtime.payments import WEBHOOK_SLOWDOWN, PaymentRecorder, PollPolicy, Reconciler
from bots.runtime.plugins import IsolatedListener
from bots.runtime.plugins import templates as plugin_templates
from bots.runtime.services import Services
from bots.runtime.shared_events import SharedEvents
from bots.runtime.webhooks import DeliveryPolicy, WebhookSender
from bots.web.alert_media import MediaStore
from bots.web.app import Page, build_app
from bots.web.buy import BuyPage
from bots.web.checkout import CheckoutPage
from bots.web.metrics import MetricsPage
from bots.web.overlay import Overlay
from bots.web.panel import Panel, PanelContext
from bots.web.panel.core import LiveSources
from bots.web.widgets import Widgets
from commerce.db import is_sqlite
from commerce.money import Money
from commerce.payments.base import PaymentProvider
from commerce.store import Store
from commerce.views import OrderStatus, OrderView, TipSource, TipView, ViewerRef

log = logging.getLogger(__name__)

CLAIM_RETENTION = timedelta(days=3)  # platforms redeliver within minutes, Telegram within a day
PRUNE_EVERY = 600.0  # seconds between prunes of old message claims
EVENT_RETENTION = timedelta(days=3)  # every role has read an event long before this
CONNECT_FIRST_RETRY = 2.0
CONNECT_MAX_RETRY = 120.0


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where the bot's web app listens once started."""

    web_url: str


class Bot:
    def __init__(
        self,
        config: Config,
        store: Store,
        provider: PaymentProvider,
        adapters: Sequence[Adapter],
        *,
        poll_payments: bool | None = None,
        expiry_interval: float = 5.0,
        web_port: int | None = None,
        short_links: bool | None = None,
        connect_retry: tuple[float, float] = (CONNECT_FIRST_RETRY, CONNECT_MAX_RETRY),
        webhook_policy: DeliveryPolicy | None = None,
        serve_web: bool = True,
        shared: bool | None = None,
        lease_every: float = 1.0,
    ) -> None:
        """`serve_web` False runs no web app here (another process serves it). `shared`
        (default: whenever the store is on PostgreSQL) sends events through the store's
        outbox and leads the background duties under a lease, so that several processes
        can share one store (docs/deploy.md)."""
        self.config = config
        self.store = store
        self.provider = provider
        self.adapters = {a.platform: a for a in adapters}
        self.bus = EventBus()
        self.metrics = Metrics()
        self.messages = Messages(config.messages)
        self.messages.extend(plugin_templates(config.plugins))
        public = config.web.public_url
        self.links = LinkService(
            store,
            provider,
            self.bus,
            store_name=config.settings.store_name,
            notification_url=f"{public}/webhooks/{provider.name}" if public else None,
            tip_ttl=config.settings.reservation_ttl,
            short_base=public,
        )
        self._short_links = bool(public) if short_links is None else short_links
        self.claims = OwnerClaims()
        self.services = Services(
            store=store,
            links=self.links,
            settings=config.settings,
            messages=self.messages,
            bus=self.bus,
            claims=self.claims,
            metrics=self.metrics,
            delivery=config.delivery,
            conversations=(
                Conversations(frozenset({"telegram", "discord"}))
                if config.delivery_chat.ask_in_chat
                else None
            ),
            auctions=config.auctions,
            claim_words=config.claim_words,
        )
        secret = _buy_secret(config)
        if secret is not None:
            self.services.link_secret = hmac.new(secret, b"deep links", hashlib.sha256).digest()
        self.links.hold = self._awaiting_details
        self.router = Router(self.services)
        # Claim words: every process's router follows the spotlight and the on/off switch.
        self.bus.subscribe(
            self.router.on_event,
            wants=lambda e: isinstance(e, SpotlightChanged | ClaimWordsChanged),
        )
        self.plugin_listeners: list[IsolatedListener] = []
        for loaded in config.plugins:
            for command in loaded.registry.commands:
                self.router.add(command)
        self.recorder = PaymentRecorder(store, provider, self.bus)
        self.notifications = NotificationInbox(store, provider, self.recorder, metrics=self.metrics)
        # Polling finds payments without a public URL; with one it is a slower safety net
        # for missed webhooks. poll_payments=False turns it off (tests that want only hooks).
        self.poll_payments = poll_payments is not False
        slowdown = WEBHOOK_SLOWDOWN if (poll_payments is None and public) else 1.0
        self.reconciler = Reconciler(
            store,
            provider,
            self.recorder,
            policy=PollPolicy(slowdown=slowdown),
            metrics=self.metrics,
        )
        self.expiry_interval = expiry_interval
        self.web_port = config.web.port if web_port is None else web_port
        self.outboxes = {
            name: Outbox(adapter, on_sent=self._handed_over, on_wait=self.metrics.send_wait(name))
            for name, adapter in self.adapters.items()
        }
        self.metrics.watch(self._readings())
        self.connected: set[str] = set()
        self.connect_retry = connect_retry  # seconds: first wait, longest wait
        self._last_prune = float("-inf")
        self._born = datetime.now(UTC)
        self._connecting: list[asyncio.Task[None]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._handling = 0
        self._runner: web.AppRunner | None = None
        self.endpoints: Endpoints | None = None
        for platform in self.adapters:
            # One process thanks each buyer: the one that holds the platform's role.
            self.bus.subscribe(
                self._announce,
                role=f"chat:{platform}",
                wants=_about(platform),
            )
        # Auctions (bots.runtime.auctions): the clock is a duty; each platform's chat hears
        # of leaders and winners from one process, the winner's link from the chat role's.
        self.auction_clock = AuctionClock(store, self.bus)
        self.auction_announcers = [
            AuctionAnnouncer(
                platform,
                self.messages,
                self.outboxes[platform].put,  # a channel line names no user to route by
                self.links,
                locale=config.settings.locale,
                prefix=config.settings.prefix,
                every=config.auctions.announce_seconds,
            )
            for platform in self.adapters
        ]
        for announcer in self.auction_announcers:
            self.bus.subscribe(announcer.on_changed, role=f"auction:{announcer.platform}")
            self.bus.subscribe(
                announcer.on_offered,
                role=f"chat:{announcer.platform}",
                wants=_about(announcer.platform),
            )
        # Giveaways (bots.runtime.giveaways): the clock is a duty; each platform's chat hears
        # of the start and the draw from one process, the winner privately from the chat role's.
        self.giveaway_clock = GiveawayClock(store, self.bus)
        self.giveaway_announcers = [
            GiveawayAnnouncer(
                platform,
                self.messages,
                self.outboxes[platform].put,
                locale=config.settings.locale,
                prefix=config.settings.prefix,
                public_url=config.web.public_url,
                home=_home_of(adapter),
                asks_details=functools.partial(self._asks_details, platform),
            )
            for platform, adapter in self.adapters.items()
        ]
        for g_announcer in self.giveaway_announcers:
            self.bus.subscribe(g_announcer.on_changed, role=f"giveaway:{g_announcer.platform}")
            self.bus.subscribe(
                g_announcer.on_won,
                role=f"chat:{g_announcer.platform}",
                wants=_about(g_announcer.platform),
            )
        # The owner's alert images and sounds: `media/` next to config.toml.
        media = MediaStore((config.path.parent if config.path else Path.cwd()) / "media")
        self.moderation = Moderation(store, config.settings.currency)
        self.alerts = OwnerAlerts(
            store,
            self.messages,
            config.alerts,
            locale=config.settings.locale,
            owner_ids=config.settings.owner_ids,
            send=self._send,
            ready=lambda: self.connected,
            busy=lambda platform: not self.outboxes[platform].idle,
            missing_details=missing_details_source(store),
        )
        self.bus.subscribe(self.alerts.on_event)
        self.overlay = Overlay(
            store,
            self.messages,
            locale=config.settings.locale,
            public_url=public,
            media=media,
            moderation=self.moderation,
            prefix=config.settings.prefix,
        )
        self.serve_web = serve_web
        if serve_web:
            self.bus.subscribe(self.overlay.on_event)
        self.widgets = Widgets(
            store,
            self.messages,
            self.overlay,
            self.moderation,
            locale=config.settings.locale,
            currency=config.settings.currency,
            gap=config.panel.stream_gap,
        )
        if serve_web:
            self.bus.subscribe(self.widgets.on_event)  # after the overlay: same goal
        # After the chat and the overlay: it only writes rows, sent by its own task.
        self.webhooks = WebhookSender(
            store, config.webhooks, store_name=config.settings.store_name, policy=webhook_policy
        )
        # One process turns each event into deliveries (sent by the duty holder).
        self.bus.subscribe(self.webhooks.on_event, role="webhooks")
        # What buyers of this process's platforms are owed after payment (shipped, ready…).
        self.notices = BuyerNotices(
            store, self.messages, self._send, self.adapters, config.delivery
        )
        self.bus.subscribe(self.notices.on_event)
        for loaded in config.plugins:  # last: ours have had the event when theirs start
            for events, listener in loaded.registry.listeners:
                isolated = IsolatedListener(
                    loaded.plugin.name, listener, events, config.listener_timeout
                )
                self.plugin_listeners.append(isolated)
                # Once per event across processes: the process holding its role.
                self.bus.subscribe(isolated, role=f"plugin:{loaded.plugin.name}")
        self.shared = (not is_sqlite(store.url)) if shared is None else shared
        self.leases: Leases | None = None
        self.shared_events: SharedEvents | None = None
        if self.shared:
            self.leases = Leases(
                store.url,
                lambda: {DUTIES, *self.bus.roles()},
                every=lease_every,
                on_change=self._leases_changed,
            )
            self.shared_events = SharedEvents(self.store, self.bus, self.leases)
            self.bus.shared = self.shared_events
        self._duties: list[asyncio.Task[None]] = []
        self._following: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.panel = Panel(
            PanelContext(
                store,
                provider,
                config.settings,
                self.messages,
                config.panel,
                bus=self.bus,
                sources=LiveSources(self.outboxes),
                public_url=public,
                trusted_proxies=config.web.trusted_proxies,
                shown_link=self.links.shown,
                media=media,
                moderation=self.moderation,
                webhooks=self.webhooks,
                alerts=config.alerts,
            )
        )

    async def start(self) -> Endpoints:
        endpoints = await self.start_services()
        await self.start_adapters()
        return endpoints

    async def start_services(self) -> Endpoints:
        """Everything but the chat platforms: web app, outboxes, expiry, reconciler."""
        await self.router.load_live_state()  # the spotlight and claim words, as stored
        if self.shared_events is not None and self.leases is not None:
            for role in self.bus.roles():  # from now on, nothing for these roles is missed
                await asyncio.to_thread(self.store.event_cursor, role)
            await self.shared_events.start()
            self.leases.start()
        if self.serve_web:
            await self._start_web()
        else:
            self.endpoints = Endpoints(web_url="")
        if not self.shared:
            await self._start_duties()
        return self.endpoints or Endpoints(web_url="")

    async def _start_web(self) -> None:
        buy = BuyPage(
            self.store,
            self.links,
            self.config.settings,
            self.messages,
            trusted_proxies=self.config.web.trusted_proxies,
            public_url=self.config.web.public_url,
            secret=_buy_secret(self.config),
            bus=self.bus,
        )
        scrape = MetricsPage(self.metrics, self.config.metrics.token)
        pages: tuple[Page, ...] = (self.overlay, self.widgets, buy, self.panel, scrape)
        if self.config.web.public_url:  # /p/<code> asks for delivery details first
            checkout = CheckoutPage(
                self.store,
                self.links,
                self.config.delivery,
                self.config.settings,
                self.messages,
                trusted_proxies=self.config.web.trusted_proxies,
                public_url=self.config.web.public_url,
                secret=_buy_secret(self.config),
            )
            pages = (*pages, checkout)
        app = build_app(
            self.store,
            self.provider,
            self.recorder,
            pages,
            inbox=self.notifications,
            metrics=self.metrics,
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.web.host, self.web_port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.endpoints = Endpoints(web_url=f"http://{self.config.web.host}:{port}")
        if self._short_links and self.links.short_base is None:
            self.links.short_base = self.endpoints.web_url

    async def _start_duties(self) -> None:
        """The background duties one process does for the whole store: expiry (and the
        prunes), the reconciler, the notification inbox (also run by every process that
        receives webhooks), and payment links left unmade."""
        loop = asyncio.get_running_loop()
        self._duties.append(loop.create_task(self._expire_forever()))
        if self.poll_payments:
            self._duties.append(loop.create_task(self.reconciler.run()))
        if self.shared:
            self.notifications.start()
        self._duties.append(loop.create_task(self.webhooks.run()))
        self._duties.append(loop.create_task(self.auction_clock.run()))
        self._duties.append(loop.create_task(self.giveaway_clock.run()))
        resumed = await self.links.resume()
        if resumed:
            log.info("retrying payment links for %d pending order(s)", resumed)

    def _leases_changed(self) -> None:
        if self._stopping:
            return
        task = asyncio.get_running_loop().create_task(self._follow_duties())
        self._following.add(task)
        task.add_done_callback(self._following.discard)

    async def _follow_duties(self) -> None:
        """Start the duties when this process takes the lead; stop them when it loses it
        (its connection to the database broke: another process leads now)."""
        leading = self.leases is not None and self.leases.holds(DUTIES)
        if leading and not self._duties:
            log.warning("this process leads the background duties (expiry, reconciler)")
            await self._start_duties()
        elif not leading and self._duties:
            log.warning("this process no longer leads the background duties")
            await self._stop_duties()
        if self.shared_events is not None:
            self.shared_events.wake()  # a role just taken reads on from its cursor

    async def _stop_duties(self) -> None:
        duties, self._duties = self._duties, []
        for task in duties:
            task.cancel()
        for task in duties:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.shared and not self.serve_web:
            await self.notifications.stop()

    @property
    def leading(self) -> bool:
        """Whether this process runs the background duties now."""
        return bool(self._duties)

    async def start_adapters(self) -> None:
        """Connect every platform; one that fails is retried in the background."""
        if self.adapters:
            loop = asyncio.get_running_loop()
            self._tasks.append(loop.create_task(self.notices.run_forever()))
            self._tasks.append(loop.create_task(self.alerts.run()))
        for adapter in self.adapters.values():
            if not await self._connect(adapter, self.connect_retry[0]):
                task = asyncio.get_running_loop().create_task(self._connect_later(adapter))
                self._connecting.append(task)

    async def _connect(self, adapter: Adapter, retry_in: float) -> bool:
        try:
            await adapter.start(self.inbox)
        except Exception as exc:
            endpoint = getattr(adapter, "endpoint", None)
            log.error(
                "%s: cannot connect%s (%s); retrying in %.0f s",
                adapter.platform,
                f" to {endpoint}" if endpoint else "",
                _why(exc),
                retry_in,
                extra={"platform": adapter.platform},
            )
            log.debug("%s start-up failure", adapter.platform, exc_info=True)
            with contextlib.suppress(Exception):
                await adapter.stop()
            self.metrics.connect_failures.labels(adapter.platform).inc()
            return False
        self.connected.add(adapter.platform)
        self.outboxes[adapter.platform].start()
        await self._redeliver_links(adapter.platform)
        return True

    async def _connect_later(self, adapter: Adapter) -> None:
        delay, ceiling = self.connect_retry
        while True:
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, ceiling)
            if await self._connect(adapter, delay):
                self.metrics.retried[adapter.platform] += 1
                log.warning("%s: connected", adapter.platform)
                return

    def _readings(self) -> Readings:
        """What `/metrics` reads at each scrape (docs/metrics.md)."""
        youtube = self.adapters.get("youtube")
        planner = getattr(youtube, "planner", None)

        def quota() -> tuple[int, int] | None:
            if not isinstance(planner, QuotaPlanner):
                return None
            return planner.spent, planner.remaining

        def lag() -> float | None:
            return self.reconciler.lag() if self.poll_payments else None

        def reconnects() -> dict[str, int]:
            # the bot's retries after a failed start, plus what each SDK reconnected itself
            return {
                name: self.metrics.retried[name] + int(getattr(adapter, "reconnects", 0))
                for name, adapter in self.adapters.items()
            }

        return Readings(
            depths=lambda: {name: o.depth for name, o in self.outboxes.items()},
            connected=lambda: {name: name in self.connected for name in self.adapters},
            reconnects=reconnects,
            orders=self.store.order_counts,
            youtube=quota if planner is not None else None,
            reconciler_lag=lag,
        )

    async def _redeliver_links(self, platform: str) -> None:
        """Links of pending orders on `platform` that were never handed over (a kill, a
        failed send) go out once now; orders without a link yet are LinkService's."""
        # Orders made by this run are on their way through the outbox already.
        orders = await asyncio.to_thread(self.store.undelivered_links, [platform], self._born)
        for order in orders:
            url = self.links.shown(order.code, order.payment_url)
            if url is not None and order.code not in self.links.retrying:
                await self.bus.publish(LinkReady(order=order, tip=None, url=url))
        if orders:
            log.info("%s: delivering payment links for %d pending order(s)", platform, len(orders))

    async def _handed_over(self, reply: Reply) -> None:
        if reply.receipt is None:
            return
        if reply.receipt.startswith(RECEIPT):
            await self.alerts.handed_over(reply.receipt)
        else:
            await asyncio.to_thread(self.store.mark_link_sent, reply.receipt)

    async def inbox(self, event: ChatMessage | PlatformTip) -> None:
        """Everything an adapter hears comes through here, once per platform message id.

        Only commands and platform tips are claimed: chatter is dropped by the router's
        prefix check before it costs a row.
        """
        self._handling += 1
        try:
            if isinstance(event, ChatMessage) and not self.router.is_command(event):
                return
            if isinstance(event, ChatMessage):
                for g_announcer in self.giveaway_announcers:
                    g_announcer.heard(event)  # the chats a giveaway's start is said in
            if not await asyncio.to_thread(self.store.claim_message, event.platform, event.id):
                return
            if isinstance(event, PlatformTip):
                await self._platform_tip(event)
            else:
                await self.router.handle(event, self._send)
                await self.notices.after_command(event)
        except Exception:
            log.exception(
                "handling %s message %s failed",
                event.platform,
                event.id,
                extra={"platform": event.platform, "message_id": event.id},
            )
        finally:
            self._handling -= 1

    async def _send(self, reply: Reply) -> None:
        platform = reply.mention.platform if reply.mention else None
        if platform is None and reply.reply_to is not None:
            platform = reply.reply_to.platform
        outbox = self.outboxes.get(platform or "")
        if outbox is None:
            log.warning("no adapter for %s: dropped %r", platform, reply.text[:80])
            return
        await outbox.put(reply)

    async def _platform_tip(self, tip: PlatformTip) -> None:
        source = TipSource.SUPERCHAT if tip.source == "superchat" else TipSource.BITS
        viewer = ViewerRef(tip.platform, tip.author.id, tip.author.name)
        ttl = self.config.settings.reservation_ttl
        locale = self.router.locale_for(tip.author)
        await self.bus.record(
            lambda rows: self.store.create_tip(
                viewer,
                tip.channel,
                Money(tip.amount, tip.currency),
                tip.message,
                source,
                ttl=ttl,
                locale=locale,
                external_id=f"{tip.platform}:{tip.id}",
                events=rows,
            ),
            lambda view: [TipReceived(view)],
        )

    async def _announce(self, event: Event) -> None:
        said = ""
        if isinstance(event, TipReceived) and event.tip.message:
            # The chat hears a tip's message only as the stream may show it: never one
            # held for approval (the thanks cannot wait for it), never a hidden one.
            screened = await self.moderation.screen("message", event.tip.message)
            said = "" if screened.held else screened.text
        reply = self._render(event, said)
        if reply is not None:
            await self._send(reply)
        if isinstance(event, OrderPaid):
            follow_up = await self._details_follow_up(event.order)
            if follow_up is not None:
                await self._send(follow_up)

    async def _details_follow_up(self, order: OrderView) -> Reply | None:
        """After the thanks, how to complete delivery, for a buyer no question could reach
        before paying: no private chat asked them (Twitch, YouTube) and no public checkout
        page did. The payer's name and email came with the payment already. With the
        Telegram bot running, a deep link takes them to its private chat, where the
        questions run for this order; else the owner's contact, else the payer's email."""
        asked = self.services.conversations
        if asked is not None and order.viewer.platform in asked.platforms:
            return None
        if self.config.web.public_url:
            return None  # the checkout page at /p/<code> asked before the payment
        current = await asyncio.to_thread(self.store.get_order, order.code)
        if current.needs == "digital" or current.details_complete:
            return None
        contact = self.config.delivery_chat.contact
        # Without a contact of the owner's, the payer's email (recorded with the payment, shown
        # in the panel's missing-details list) is how the seller reaches the buyer.
        key = "order_paid_details_contact" if contact else "order_paid_details_email"
        link = ""
        username = self._telegram_username()
        if username is not None:
            payload = deep_links.make(self.services.link_secret, order.code, datetime.now(UTC))
            key, link = "order_paid_details_telegram", deep_links.url(username, payload)
        text = self.messages.t(
            order.locale,
            key,
            name=order.viewer.display_name,
            code=order.code,
            contact=Verbatim(contact),
            link=Verbatim(link),
        )
        return Reply(order.channel_id, text, mention=_user(order), priority=Priority.ANNOUNCE)

    def _telegram_username(self) -> str | None:
        """The Telegram bot's @name when its private chat can take delivery details."""
        rules = self.config.delivery
        if not self._asks_details("telegram") or not (rules.shipping or rules.pickup):
            return None
        username = getattr(self.adapters.get("telegram"), "username", None)
        return username if isinstance(username, str) and username else None

    def _asks_details(self, platform: str) -> bool:
        """Whether `/entrega` takes delivery details in `platform`'s private chat."""
        asked = self.services.conversations
        return asked is not None and platform in asked.platforms

    def _awaiting_details(self, order: OrderView) -> bool:
        """A pending order whose link follows the delivery questions (not yet answered)."""
        asked = self.services.conversations
        rules = self.config.delivery
        return (
            asked is not None
            and order.viewer.platform in asked.platforms
            and bool(rules.shipping or rules.pickup)
            and order.needs != "digital"
            and not order.delivery_option
        )

    def _render(self, event: Event, tip_message: str = "") -> Reply | None:
        t = self.messages.t
        if isinstance(event, OrderPaid):
            order = event.order
            key = "order_late_paid" if event.late else "order_paid_thanks"
            text = t(
                order.locale,
                key,
                name=order.viewer.display_name,
                product=_products(order),
                code=order.code,
            )
            return Reply(order.channel_id, text, mention=_user(order), priority=Priority.ANNOUNCE)
        if isinstance(event, TipReceived):
            tip = event.tip
            text = t(
                tip.locale,
                "tip_thanks",
                name=tip.viewer.display_name,
                amount=self.messages.money(tip.amount, tip.locale),
                message=tip_message,
            )
            return Reply(tip.channel_id, text, mention=_tip_user(tip), priority=Priority.ANNOUNCE)
        if isinstance(event, ShoutoutDone):
            order = event.order
            text = t(
                order.locale, "shoutout_thanks", name=order.viewer.display_name, code=order.code
            )
            return Reply(order.channel_id, text, mention=_user(order), priority=Priority.ANNOUNCE)
        if isinstance(event, OrderExpired):
            order = event.order
            text = t(order.locale, "order_expired", name=order.viewer.display_name, code=order.code)
            return Reply(order.channel_id, text, mention=_user(order), priority=Priority.ANNOUNCE)
        if isinstance(event, WaitlistHold | HoldReminder):
            return self._render_hold(event)
        if isinstance(event, LinkReady):
            view: OrderView | TipView | None = event.order or event.tip
            if view is None:
                return None
            minutes = max(1, int(self.config.settings.reservation_ttl.total_seconds() // 60))
            user = _user(view) if isinstance(view, OrderView) else _tip_user(view)
            text = t(
                view.locale,
                "link_ready",
                name=view.viewer.display_name,
                url=Verbatim(event.url),
                code=view.code,
                minutes=minutes,
            )
            return Reply(
                view.channel_id,
                text,
                mention=user,
                private=True,
                priority=Priority.PAYMENT,
                receipt=view.code,
            )
        if isinstance(event, RefundNeeded):
            order = event.order
            owner_locale = self.config.settings.locale
            if event.reason == "superseded" and event.amount is not None:
                log.error(
                    t(
                        owner_locale,
                        "refund_needed_superseded_owner",
                        code=order.code,
                        name=order.viewer.display_name,
                        amount=self.messages.money(event.amount, owner_locale),
                        total=self.messages.money(order.total, owner_locale),
                    )
                )
                if order.status is not OrderStatus.PENDING:
                    return None
                # The buyer paid an old link: tell them the cart is still waiting.
                text = t(
                    order.locale,
                    "order_superseded_paid",
                    name=order.viewer.display_name,
                    code=order.code,
                    amount=self.messages.money(event.amount, order.locale),
                    total=self.messages.money(order.total, order.locale),
                )
                return Reply(
                    order.channel_id,
                    text,
                    mention=_user(order),
                    private=True,
                    priority=Priority.PAYMENT,
                )
            log.error(
                t(
                    owner_locale,
                    "refund_needed_owner",
                    code=order.code,
                    name=order.viewer.display_name,
                    amount=self.messages.money(order.total, owner_locale),
                )
            )
        return None

    def _render_hold(self, event: WaitlistHold | HoldReminder) -> Reply:
        """A waitlist hold or a reminder: privately where the platform can, otherwise a
        mention in the order's chat, through the outbox like every reply."""
        order, t = event.order, self.messages.t
        name = order.viewer.display_name
        if isinstance(event, HoldReminder):
            key = "hold_reminder" if event.url else "hold_reminder_no_link"
            text = t(
                order.locale,
                key,
                name=name,
                code=order.code,
                url=Verbatim(event.url),
                minutes=event.minutes,
                p=self.config.settings.prefix,
            )
            return Reply(
                order.channel_id, text, mention=_user(order), private=True, priority=Priority.REPLY
            )
        minutes = max(1, round((order.expires_at - order.created_at).total_seconds() / 60))
        params = {"name": name, "product": _products(order), "code": order.code}
        if not event.url:  # LinkReady follows with the link
            text = t(order.locale, "waitlist_hold_delayed", **params)
            return Reply(
                order.channel_id,
                text,
                mention=_user(order),
                private=True,
                priority=Priority.PAYMENT,
            )
        text = t(
            order.locale, "waitlist_hold_ready", url=Verbatim(event.url), minutes=minutes, **params
        )
        return Reply(
            order.channel_id,
            text,
            mention=_user(order),
            private=True,
            priority=Priority.PAYMENT,
            receipt=order.code,
        )

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(self.expiry_interval)
            try:
                await self.bus.record(
                    lambda rows: self.store.expire_due(events=rows),
                    lambda orders: [OrderExpired(order) for order in orders],
                )
            except Exception:
                log.exception("expiring reservations failed")
            try:
                await self._waitlist_duty()
            except Exception:
                log.exception("handing out waitlist holds failed")
            await self._prune_claims()

    async def _waitlist_duty(self) -> None:
        """Tell each new waitlist hold's viewer (once: claimed in the store) with its link,
        and remind buyers whose hold is about to expire. Run by the duty holder, after the
        expiry that freed the units (and handed them to the lines in its transaction)."""
        store = self.store
        await asyncio.to_thread(store.waitlist_hand_out)  # units freed outside the store
        for order in await asyncio.to_thread(store.waitlist_offers):
            url = await self.links.for_order(order)
            await self.bus.publish(WaitlistHold(order, url or ""))
        before = self.config.settings.remind_before
        if before <= timedelta(0):
            return
        now = datetime.now(UTC)
        for order in await asyncio.to_thread(store.claim_reminders, before):
            url = self.links.shown(order.code, order.payment_url) or ""
            left = max(1, round((order.expires_at - now).total_seconds() / 60))
            await self.bus.publish(HoldReminder(order, url, left))

    async def _prune_claims(self) -> None:
        """Forget message claims older than CLAIM_RETENTION, every PRUNE_EVERY seconds."""
        now = asyncio.get_running_loop().time()
        if now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            cutoff = datetime.now(UTC) - CLAIM_RETENTION
            gone = await asyncio.to_thread(self.store.prune_claims, cutoff)
            if self.shared:
                since = datetime.now(UTC) - EVENT_RETENTION
                await asyncio.to_thread(self.store.prune_events, since)
        except Exception:
            log.exception("pruning old message claims failed")
        else:
            if gone:
                log.info("forgot %d message claim(s) older than %s", gone, CLAIM_RETENTION)
        await self.erase_personal_data()

    async def erase_personal_data(self) -> int:
        """Erase buyers' delivery details `[delivery] keep_personal_data_days` after their
        order ended (commerce.buyers); runs with the claims' pruning."""
        keep = timedelta(days=self.config.delivery.keep_personal_data_days)
        try:
            gone = await asyncio.to_thread(self.store.erase_personal_data, keep)
        except Exception:
            log.exception("erasing old delivery details failed")
            return 0
        if gone:
            log.info("erased the delivery details of %d finished order(s)", gone)
        return gone

    @property
    def idle(self) -> bool:
        return (
            self._handling == 0
            and not self.bus.busy
            and not (self.shared_events is not None and self.shared_events.busy)
            and not self.links.busy
            and not self.notifications.busy
            and not any(a.busy for a in self.auction_announcers)
            and all(o.idle for o in self.outboxes.values())
        )

    async def wait_idle(self, quiet: float = 1.0, timeout: float = 15.0) -> bool:
        """Wait until nothing has happened for `quiet` seconds (webhooks arrive a bit later)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet_since: float | None = None
        sent = self._sent_total()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            now_sent = self._sent_total()
            if self.idle and now_sent == sent:
                quiet_since = quiet_since or loop.time()
                if loop.time() - quiet_since >= quiet:
                    return True
            else:
                quiet_since = None
                sent = now_sent
        return False

    def panel_link(self) -> str:
        """A one-time sign-in link to the owner's panel on this bot's web app."""
        from bots.web.panel.auth import sign_in_link

        base = self.config.web.public_url or (self.endpoints.web_url if self.endpoints else "")
        return sign_in_link(self.store, base, self.config.panel.link_ttl)

    def _sent_total(self) -> int:
        return sum(o.sent_count for o in self.outboxes.values())

    async def stop(self) -> None:
        self._stopping = True
        for task in self._connecting:  # first, so no platform connects while we stop
            task.cancel()
        for task in self._connecting:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._connecting.clear()
        for adapter in self.adapters.values():
            with contextlib.suppress(Exception):
                await adapter.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        for announcer in self.auction_announcers:
            await announcer.stop()
        await self._stop_duties()
        if self.leases is not None:
            await self.leases.stop()
        if self.shared_events is not None:
            await self.shared_events.stop()
        await self.notifications.stop()
        await self.links.stop()
        for isolated in self.plugin_listeners:
            await isolated.stop()
        for outbox in self.outboxes.values():
            await outbox.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _why(exc: BaseException) -> str:
    """One line on why a connection failed: the exception and the causes that add to it."""
    chain: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 4:
        text = str(seen).strip().splitlines()[0] if str(seen).strip() else ""
        chain.append(f"{type(seen).__name__}: {text}" if text else type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    said = [c for c in chain if not any(c.split(": ", 1)[-1] in o for o in chain if o != c)]
    return " ← ".join(dict.fromkeys(said or chain))


def _home_of(adapter: Adapter) -> Callable[[], str | None]:
    """The adapter's own chat, for announcements to everyone, if it has one."""

    def home() -> str | None:
        found = getattr(adapter, "home_channel", None)
        return found if isinstance(found, str) and found else None

    return home


def _about(platform: str) -> Callable[[Event], bool]:
    return lambda event: platform_of(event) == platform


def _user(order: OrderView) -> ChatUser:
    return ChatUser(order.platform, order.viewer.user_id, order.viewer.display_name)


def _tip_user(tip: TipView) -> ChatUser:
    return ChatUser(tip.platform, tip.viewer.user_id, tip.viewer.display_name)


def _products(order: OrderView) -> str:
    return ", ".join(
        (f"{line.quantity}× " if line.quantity > 1 else "") + line.product_name
        for line in order.lines
    )


def _buy_secret(config: Config) -> bytes | None:
    """The buy page's token key, the same in every process of one store: derived from the
    MercadoPago access token they all share (None without one: each process makes its own)."""
    if config.mercadopago is None:
        return None
    key = config.mercadopago.access_token.encode()
    return hmac.new(key, b"vivo buy page tokens", hashlib.sha256).digest()
