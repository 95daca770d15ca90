"""What happened in the store, fanned out to whoever listens: chat, overlay, dashboard.

Events are facts after the transaction committed; a listener that fails is logged and
never stops the others or the code that published. Any frozen dataclass defined at module
level can be published: on PostgreSQL it crosses processes as JSON (bots.runtime.event_codec)
with no registration. A store change that reports an event goes through `EventBus.record`,
so that on PostgreSQL the event is written in the change's own transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, TypeVar

from bots.runtime.event_codec import encode
from commerce.auctions import AuctionView
from commerce.flash_sales import FlashSaleView
from commerce.giveaways import GiveawayView
from commerce.money import Money
from commerce.views import OrderView, ProductView, TipView

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrderReserved:
    """A viewer reserved stock: a new order, or lines added to their cart (`order.revision`
    went up). Published after the buyer's reply is on its way."""

    order: OrderView


@dataclass(frozen=True, slots=True)
class OrderPaid:
    order: OrderView
    late: bool = False


@dataclass(frozen=True, slots=True)
class OrderExpired:
    order: OrderView


@dataclass(frozen=True, slots=True)
class OrderRefunded:
    order: OrderView


@dataclass(frozen=True, slots=True)
class RefundNeeded:
    """A payment the order cannot keep: the owner must refund it.

    `reason` is the store's: "out_of_stock" (paid after its reservation lapsed with nothing
    left to sell), "already_paid" (paid twice) or "superseded" (a link the order had before
    lines joined it: `amount` is what was paid, the order's total is what it holds now).
    """

    order: OrderView
    reason: str = "out_of_stock"
    amount: Money | None = None


@dataclass(frozen=True, slots=True)
class TipReceived:
    tip: TipView


@dataclass(frozen=True, slots=True)
class LinkReady:
    """A payment link that could not be made while the buyer waited, made later."""

    order: OrderView | None
    tip: TipView | None
    url: str


@dataclass(frozen=True, slots=True)
class SpotlightChanged:
    """The owner put a product on the stream overlay (`!destacar`); None takes it off."""

    product: ProductView | None


@dataclass(frozen=True, slots=True)
class GoalChanged:
    """The owner set the overlay's goal bar (`!meta`): `kind` is "sales" or "tips"; None clears."""

    target: Money | None
    kind: str = "sales"


@dataclass(frozen=True, slots=True)
class StockChanged:
    """An owner edited stock (`!stock`): what shows stock left (the overlay) reads it again."""

    product: ProductView


@dataclass(frozen=True, slots=True)
class AlertTest:
    """The owner asked for a test alert from the panel (Alertas): the overlay shows it marked
    as a test with made-up names; nothing counts it (goals, reports, the live feed)."""

    kind: str  # "sale" | "tip" | "bits" | "superchat"
    variation: int | None = None  # which of the type's variations, or the type's own look
    currency: str = "ARS"
    # A look not saved yet (a bots.web.alert_config.AlertStyle): the panel's preview.
    style: object | None = None


@dataclass(frozen=True, slots=True)
class AlertReplay:
    """Show a past sale's or tip's alert again (the panel's "replay"): on the overlay only,
    marked as a replay, counted nowhere a second time."""

    order: OrderView | None = None
    tip: TipView | None = None


@dataclass(frozen=True, slots=True)
class OrderShipped:
    """The owner shipped a paid order (commerce.fulfilment); the view has carrier and
    tracking. Published by whoever called `Store.mark_shipped`, once per changed order."""

    order: OrderView


@dataclass(frozen=True, slots=True)
class OrderReadyForPickup:
    order: OrderView


@dataclass(frozen=True, slots=True)
class OrderDelivered:
    """A ship or digital order reached its buyer (`Store.mark_delivered`)."""

    order: OrderView


@dataclass(frozen=True, slots=True)
class OrderPickedUp:
    order: OrderView


@dataclass(frozen=True, slots=True)
class ShoutoutDone:
    """The streamer did a paid shout-out (`!hecho` or the panel's "Hecho"): the buyer is
    thanked in the chat the order came from. Published with the OrderDelivered of the same
    step, once: only when the order actually changed."""

    order: OrderView


#: Which event a fulfilment step publishes, by the state it reached.
FULFILMENT_EVENTS: dict[
    str, type[OrderShipped | OrderReadyForPickup | OrderDelivered | OrderPickedUp]
] = {
    "shipped": OrderShipped,
    "ready_for_pickup": OrderReadyForPickup,
    "delivered": OrderDelivered,
    "picked_up": OrderPickedUp,
}


@dataclass(frozen=True, slots=True)
class WaitlistHold:
    """A freed unit was reserved for the first viewer in its line (commerce.waitlist):
    `order` is their hold; `url` its payment link, "" while the link is still being made
    (LinkReady brings it then)."""

    order: OrderView
    url: str = ""


@dataclass(frozen=True, slots=True)
class HoldReminder:
    """A pending order is about to expire: its one reminder (`url` "" when it has no
    link yet). `minutes` is how long is left."""

    order: OrderView
    url: str
    minutes: int


# --- promotions: flash sales (commerce.flash_sales) ------------------------------------------


@dataclass(frozen=True, slots=True)
class FlashSaleStarted:
    """`!oferta remera 20% 5m`: the overlay shows the card with its countdown."""

    sale: FlashSaleView


@dataclass(frozen=True, slots=True)
class FlashSaleEnded:
    """`!oferta fin` (a sale that runs out needs no event: its end time is in the sale)."""

    sale: FlashSaleView


# --- auctions (commerce.auctions, bots.commands.auctions) ----------------------------------


@dataclass(frozen=True, slots=True)
class AuctionChanged:
    """The auction moved: `kind` is "started", "bid" (a new leader), "offered" (the unit
    offered to a bidder: the winner, or the next after an unpaid window), "sold" or
    "unsold". The overlay shows `auction`; chat hears of it in the channels that took part."""

    auction: AuctionView
    kind: str
    extended: bool = False  # a late bid put time back on the clock


@dataclass(frozen=True, slots=True)
class AuctionOffered:
    """The unit is offered to a bidder as `order` (at their bid, with its own pay window):
    the process that speaks on the order's platform sends them the link, privately where
    it can. `rank` 1 is the winner, 2 the runner-up..."""

    order: OrderView
    auction: AuctionView
    rank: int = 1


@dataclass(frozen=True, slots=True)
class ClaimWordsChanged:
    """Claim words were turned on (`!palabras on`, until `until`) or off (`!palabras off`,
    `!cerrar`): every process's router follows it (bots.chat.claim_words)."""

    enabled: bool
    until: datetime | None = None


# --- giveaways (commerce.giveaways, bots.commands.giveaways) ------------------------------


@dataclass(frozen=True, slots=True)
class GiveawayChanged:
    """The giveaway moved: `kind` is "started" (its commitment published), "entry" (one more
    viewer in), "drawn" (the winner and the seed revealed), "empty" (nobody entered) or
    "cancelled". The overlay shows `giveaway`; chat hears of the start and the end."""

    giveaway: GiveawayView
    kind: str


@dataclass(frozen=True, slots=True)
class GiveawayWon:
    """The winner's prize: `order`, paid at no price (no payment), for the normal delivery
    flow. Like OrderPaid for the panel's feed, but no thanks for a purchase, no sale alert,
    and no revenue."""

    order: OrderView
    giveaway: GiveawayView


@dataclass(frozen=True, slots=True)
class DeliveryLinkLocked:
    """An order's Telegram deep link took too many wrong operation numbers
    (commerce.payer_proof): nobody can take its details there now, the owner must."""

    order: OrderView


Event = (
    OrderReserved
    | OrderPaid
    | OrderExpired
    | OrderRefunded
    | RefundNeeded
    | TipReceived
    | LinkReady
    | SpotlightChanged
    | GoalChanged
    | StockChanged
    | AlertTest
    | AlertReplay
    | OrderShipped
    | OrderReadyForPickup
    | OrderDelivered
    | OrderPickedUp
    | ShoutoutDone
    | WaitlistHold
    | HoldReminder
    | FlashSaleStarted
    | FlashSaleEnded
    | AuctionChanged
    | AuctionOffered
    | ClaimWordsChanged
    | GiveawayChanged
    | GiveawayWon
    | DeliveryLinkLocked
)
Listener = Callable[[Event], Awaitable[None]]
T = TypeVar("T")
EventRows = Callable[[T], Sequence[tuple[str, str]]]


class SharedLog(Protocol):
    """Where a bus on PostgreSQL writes what it publishes (bots.runtime.shared_events)."""

    async def write(self, events: Sequence[object]) -> None: ...

    def wake(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Subscription:
    listener: Listener
    role: str | None
    wants: Callable[[Event], bool] | None


def platform_of(event: object) -> str | None:
    """The chat platform an event speaks to (its order's or tip's), if any."""
    view = getattr(event, "order", None) or getattr(event, "tip", None)
    platform = getattr(view, "platform", None)
    return platform if isinstance(platform, str) else None


class EventBus:
    """Listeners by role. In one process (SQLite) `publish` calls them at once. On
    PostgreSQL (`shared` set) every event goes through the events outbox and comes back
    from it: a listener with no role runs in every process that subscribed it (the overlay,
    the panel); a listener with a role runs in exactly one process per event among those
    that subscribed that role (the thank-you in Twitch: role "chat:twitch")."""

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._pending: set[asyncio.Task[None]] = set()
        self.shared: SharedLog | None = None

    def subscribe(
        self,
        listener: Listener,
        *,
        role: str | None = None,
        wants: Callable[[Event], bool] | None = None,
    ) -> None:
        """`wants` filters what reaches the listener; `role` (see the class) must be the
        same string in every process that plays it."""
        self._subscriptions.append(Subscription(listener, role, wants))

    def roles(self) -> set[str]:
        return {s.role for s in self._subscriptions if s.role is not None}

    @property
    def has_local(self) -> bool:
        return any(s.role is None for s in self._subscriptions)

    async def publish(self, event: Event) -> None:
        if self.shared is not None:
            await self.shared.write([event])
        else:
            await self.deliver(event)

    async def record(
        self, change: Callable[[EventRows[T] | None], T], events: Callable[[T], Sequence[Event]]
    ) -> T:
        """Run a Store call (in a thread) whose result reports `events`. On PostgreSQL the
        events are written in the call's own transaction, so they happen exactly when the
        change does; in one process they are delivered once it returns."""
        if self.shared is None:
            result = await asyncio.to_thread(change, None)
            for event in events(result):
                await self.deliver(event)
            return result

        def rows(result: T) -> list[tuple[str, str]]:
            return [encode(event) for event in events(result)]

        result = await asyncio.to_thread(change, rows)
        self.shared.wake()
        return result

    async def deliver(self, event: Event, role: str | Literal["all"] | None = "all") -> None:
        """Call the listeners of `role` ("all": every one, as in a single process)."""
        for sub in list(self._subscriptions):
            if role != "all" and sub.role != role:
                continue
            if sub.wants is not None and not sub.wants(event):
                continue
            try:
                await sub.listener(event)
            except Exception:
                log.exception("listener %r failed on %s", sub.listener, type(event).__name__)

    def publish_soon(self, event: Event) -> None:
        """Publish from code that must not wait for the listeners (a webhook answer)."""
        task = asyncio.get_running_loop().create_task(self.publish(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @property
    def busy(self) -> bool:
        return bool(self._pending)
