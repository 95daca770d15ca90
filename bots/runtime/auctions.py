"""The auction's clock and its voice in chat.

`AuctionClock` is a background duty (one process leads it, like expiry: bots.runtime.bot
`_start_duties`): every `interval` it asks the store to close a bidding whose time is up and
to move an unpaid offer on (commerce.auctions.tick, under the auction's row lock, so two
processes that both tick change it once). Its events commit with the change.

`AuctionAnnouncer` speaks on one platform. New leaders are folded: the first is said at
once, later ones at most once per `every` seconds and only the latest, so a rush of fifty
bids is a handful of lines within the platform's send limits, at announcement priority
(payment links go first). The winner's link goes privately where the platform has a
private channel (Discord, Telegram), first in line and with a receipt like every link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from adapters.base import ChatUser, Priority, Reply
from bots.chat.i18n import Messages, Verbatim
from bots.runtime.events import AuctionChanged, AuctionOffered, Event, EventBus
from bots.runtime.services import PaymentLinks
from commerce import auctions
from commerce.auctions import AuctionView, Progress
from commerce.money import Money
from commerce.store import Store

log = logging.getLogger(__name__)

Send = Callable[[Reply], Awaitable[None]]
PLATFORM_NAMES = {
    "twitch": "Twitch",
    "youtube": "YouTube",
    "discord": "Discord",
    "telegram": "Telegram",
    "console": "consola",
}


def progress_events(progress: Progress) -> list[Event]:
    """What a close or a tick reports: each auction that changed, each offer made."""
    found: list[Event] = [AuctionChanged(a, a.status) for a in progress.changed]
    found += [AuctionOffered(o.order, o.auction, o.rank) for o in progress.offers]
    return found


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform.capitalize())


def item_name(auction: AuctionView) -> str:
    """`Remera (negro M)`: the product and the auctioned variant's words."""
    if not auction.variant_key:
        return auction.product
    label = " ".join(part.partition("=")[2] for part in auction.variant_key.split(","))
    return f"{auction.product} ({label})"


def typed(money: Money) -> str:
    """An amount as a viewer would type it after `!oferto`: digits only, no grouping."""
    text = format(money.amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class AuctionClock:
    """Ends biddings on time and moves unpaid offers on: run only by the duty holder."""

    def __init__(self, store: Store, bus: EventBus, *, interval: float = 0.5) -> None:
        self.store = store
        self.bus = bus
        self.interval = interval

    async def tick(self) -> Progress:
        return await self.bus.record(
            lambda rows: self.store.auction_tick(events=rows), progress_events
        )

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("the auction clock failed")
            await asyncio.sleep(self.interval)


class AuctionAnnouncer:
    """Subscribe `on_changed` under role `auction:<platform>` and `on_offered` under
    `chat:<platform>`: each is then said by one process, on this platform only."""

    def __init__(
        self,
        platform: str,
        messages: Messages,
        send: Send,
        links: PaymentLinks,
        *,
        locale: str,
        prefix: str,
        every: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.messages = messages
        self._send = send
        self.links = links
        self.locale = locale
        self.prefix = prefix
        self.every = every
        self.clock = clock
        self._last_said = float("-inf")
        self._waiting: AuctionView | None = None
        self._extended = False
        self._flush: asyncio.Task[None] | None = None

    # -- leaders ------------------------------------------------------------------------

    async def on_changed(self, event: Event) -> None:
        if not isinstance(event, AuctionChanged):
            return
        auction = event.auction
        if event.kind == "bid":
            await self._leader(auction, event.extended)
        elif event.kind == auctions.OFFERED:
            self._drop_waiting()
            key = "auction_won" if auction.offers <= 1 else "auction_runner_up"
            bidder = auction.offered_to
            if bidder is None:
                return
            await self._say(
                auction,
                key,
                name=bidder.name,
                platform=platform_name(bidder.platform),
                amount=self._money(bidder.amount),
            )
        elif event.kind == auctions.UNSOLD:
            self._drop_waiting()
            key = "auction_ended_unsold" if auction.bids == 0 else "auction_unsold"
            await self._say(auction, key)

    async def _leader(self, auction: AuctionView, extended: bool) -> None:
        waiting = self._waiting
        if waiting is not None and _later(waiting, auction):
            return  # an older bid's event, after a newer one's (another process's order)
        self._waiting = auction
        self._extended = self._extended or extended
        if self._flush is not None:
            return
        wait = self._last_said + self.every - self.clock()
        if wait <= 0:
            await self._say_leader()
            return
        self._flush = asyncio.get_running_loop().create_task(self._later(wait))

    async def _later(self, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            self._flush = None
            await self._say_leader()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("announcing the auction's leader failed")
        finally:
            self._flush = None

    async def _say_leader(self) -> None:
        auction, extended = self._waiting, self._extended
        self._waiting, self._extended = None, False
        if auction is None or auction.leader is None or auction.current is None:
            return
        self._last_said = self.clock()
        key = "auction_leader_extended" if extended else "auction_leader"
        await self._say(
            auction,
            key,
            name=auction.leader.name,
            platform=platform_name(auction.leader.platform),
            amount=self._money(auction.current),
            next=typed(auction.needed),
            seconds=auction_extension(auction),
        )

    def _drop_waiting(self) -> None:
        self._waiting, self._extended = None, False
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None

    async def _say(self, auction: AuctionView, key: str, **params: object) -> None:
        text = self.messages.t(
            self.locale, key, p=self.prefix, product=item_name(auction), **params
        )
        for platform, channel in auction.channels:
            if platform == self.platform:
                await self._send(
                    Reply(channel, text, priority=Priority.ANNOUNCE, coalesce_key="auction")
                )

    def _money(self, money: Money) -> str:
        return self.messages.money(money, self.locale)

    # -- the winner's link ----------------------------------------------------------------

    async def on_offered(self, event: Event) -> None:
        if not isinstance(event, AuctionOffered) or event.order.platform != self.platform:
            return
        order = event.order
        url = await self.links.for_order(order)
        if url is None:
            return  # the links service delivers it when it comes (LinkReady)
        minutes = max(1, round((order.expires_at - datetime.now(UTC)).total_seconds() / 60))
        bidder = ChatUser(order.platform, order.viewer.user_id, order.viewer.display_name)
        text = self.messages.t(
            order.locale,
            "auction_link",
            name=order.viewer.display_name,
            product=item_name(event.auction),
            amount=self.messages.money(order.total, order.locale),
            code=order.code,
            url=Verbatim(url),
            minutes=minutes,
        )
        await self._send(
            Reply(
                order.channel_id,
                text,
                mention=bidder,
                private=True,
                priority=Priority.PAYMENT,
                receipt=order.code,
            )
        )

    @property
    def busy(self) -> bool:
        """A folded leader announcement is still to be said."""
        return self._flush is not None

    async def stop(self) -> None:
        task, self._flush = self._flush, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def auction_extension(auction: AuctionView) -> int:
    """Seconds on the clock after the leading bid: after a late bid, the extension."""
    if auction.leader is None:
        return 0
    return max(0, round((auction.ends_at - auction.leader.received_at).total_seconds()))


def _later(seen: AuctionView, new: AuctionView) -> bool:
    """Whether `seen` is a later state of the same auction than `new`."""
    if seen.id != new.id:
        return seen.id > new.id
    return (seen.current.minor if seen.current else -1) > (new.current.minor if new.current else -1)
