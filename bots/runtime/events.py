"""What happened in the store, fanned out to whoever listens: chat, overlay, dashboard.

Events are facts after the transaction committed; a listener that fails is logged and
never stops the others or the code that published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from commerce.money import Money
from commerce.views import OrderView, ProductView, TipView

log = logging.getLogger(__name__)


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


#: Which event a fulfilment step publishes, by the state it reached.
FULFILMENT_EVENTS: dict[
    str, type[OrderShipped | OrderReadyForPickup | OrderDelivered | OrderPickedUp]
] = {
    "shipped": OrderShipped,
    "ready_for_pickup": OrderReadyForPickup,
    "delivered": OrderDelivered,
    "picked_up": OrderPickedUp,
}


Event = (
    OrderPaid
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
)
Listener = Callable[[Event], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._pending: set[asyncio.Task[None]] = set()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("listener %r failed on %s", listener, type(event).__name__)

    def publish_soon(self, event: Event) -> None:
        """Publish from code that must not wait for the listeners (a webhook answer)."""
        task = asyncio.get_running_loop().create_task(self.publish(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    @property
    def busy(self) -> bool:
        return bool(self._pending)
