"""Owner alerts: a paid order, a tip, a refund to make, an order still missing delivery
details — told to the owner where they chose (`[alerts]`), and always kept for the panel.

Hearing and telling are apart so that neither can hold up a sale. `on_event` (a bus
listener) only records the alert in the store, with one delivery row per owner private
chat it goes to: the panel has it from that moment, across restarts. A background loop
sends due deliveries through the platform's outbox (which paces them within the
platform's limits) with `alert:<ids>` as the receipt; the rows are marked sent only when
the adapter took the message. A send that fails (Telegram down, a DM refused) leaves them
unsent and they are tried again later, with backoff, up to MAX_ATTEMPTS; the panel shows
which platforms still wait.

Destinations are the owners the store knows: those who claimed the store with
`!soy-dueño` (commerce/owners.py) and those in `[bot.owners]`, on Telegram (their private
chat with the bot, whose id is their user id; they must have opened the bot once) and on
Discord (a DM). Digest mode sends one message per owner and period instead of one per alert.

An order's Telegram deep link locked after too many wrong operation numbers
(commerce.payer_proof) is a "missing details" alert too, with the reason `link_locked`.

"Missing details" is found by a periodic check that asks a `MissingDetails` callable for
paid orders still lacking delivery details after `missing_details_hours`. Until the
delivery core provides `Store.orders_missing_details`, `missing_details_source` stands in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from adapters.base import ChatUser, Priority, Reply
from bots.chat.i18n import Messages
from bots.config import ALERT_DESTINATIONS, ALERT_EVENTS, AlertSettings
from bots.runtime.alert_text import LINK_LOCKED, alert_line, digest
from bots.runtime.events import DeliveryLinkLocked, Event, OrderPaid, RefundNeeded, TipReceived
from commerce.alerts import AlertKind, AlertSpec, DeliveryView, Destination, Preferences
from commerce.store import Store
from commerce.views import OrderView

log = logging.getLogger(__name__)

RECEIPT = "alert:"
MAX_ATTEMPTS = 12  # with the backoff below, about four hours of trying
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=30)
TICK_SECONDS = 5.0  # how often due deliveries are looked for (a new alert wakes it at once)
CHECK_EVERY = timedelta(minutes=5)  # how often orders missing details are looked for
#: The kinds staff see in the panel: orders to pack, not money to give back.
STAFF_KINDS = (AlertKind.PAID, AlertKind.MISSING_DETAILS)


class MissingDetails(Protocol):
    """Paid orders still missing delivery details that were paid before `older_than`."""

    def __call__(self, older_than: datetime) -> Sequence[OrderView]: ...


def missing_details_source(store: Store) -> MissingDetails:
    """Where the periodic check learns which paid orders still lack delivery details (paid
    before `older_than`, a UTC time): the delivery core's own query."""

    def find(older_than: datetime) -> list[OrderView]:
        now = datetime.now(UTC)
        return store.orders_missing_details(max(now - older_than, timedelta(0)), now=now)

    return find


def effective(base: AlertSettings, saved: Preferences | None) -> AlertSettings:
    """What applies: the owner's panel choices once saved, else `[alerts]` from config."""
    if saved is None:
        return base
    routes = {
        event: tuple(
            p for p in saved.routes.get(event, base.routes[event]) if p in ALERT_DESTINATIONS
        )
        for event in ALERT_EVENTS
    }
    return AlertSettings(
        routes=routes,
        missing_details_hours=saved.missing_details_hours,
        digest=saved.digest,
        digest_minutes=saved.digest_minutes,
    )


Send = Callable[[Reply], Awaitable[None]]
Clock = Callable[[], datetime]


class OwnerAlerts:
    def __init__(
        self,
        store: Store,
        messages: Messages,
        settings: AlertSettings,
        *,
        locale: str,
        owner_ids: Mapping[str, frozenset[str]],
        send: Send,
        ready: Callable[[], Iterable[str]],
        missing_details: MissingDetails,
        busy: Callable[[str], bool] = lambda platform: False,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.messages = messages
        self.settings = settings
        self.configured = settings  # `[alerts]`: what applies until the owner saves otherwise
        self.locale = locale
        self.owner_ids = owner_ids
        self.send = send
        self.ready = ready  # platforms connected now: only those are sent to
        self.missing_details = missing_details
        # Whether a platform's outbox still holds messages: while it does, what this process
        # handed it is still on its way and is not handed over again, however slow the queue.
        self.busy = busy
        self._in_flight: dict[int, str] = {}  # delivery id -> platform
        self.clock = clock
        self.retry_first = RETRY_FIRST
        self.retry_max = RETRY_MAX
        self.tick = TICK_SECONDS
        self.check_every = CHECK_EVERY
        self._wake = asyncio.Event()
        self._last_check: datetime | None = None

    # -- hearing ------------------------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        spec = _spec(event)
        if spec is not None:
            await self.record(spec)

    async def record(self, spec: AlertSpec) -> bool:
        """Keep the alert (once per fact) and wake the sender; True when it was new."""
        destinations = await asyncio.to_thread(self.destinations, spec.kind)
        view = await asyncio.to_thread(self.store.record_alert, spec, destinations, self.clock())
        if view is not None:
            self._wake.set()
        return view is not None

    def destinations(self, kind: AlertKind) -> list[Destination]:
        """Every owner's private chat on the platforms `[alerts]` names for `kind`."""
        wanted = self.settings.routes.get(kind.value, ())
        found: list[Destination] = []
        claimed = self.store.list_owners() if wanted else []
        for platform in wanted:
            ids = [o.user_id for o in claimed if o.platform == platform]
            ids += sorted(self.owner_ids.get(platform, frozenset()))
            found += [Destination(platform, user_id) for user_id in dict.fromkeys(ids)]
        return found

    async def check_missing_details(self) -> int:
        """Alert once for each paid order still without delivery details after N hours."""
        now = self.clock()
        after = self.settings.missing_details_after
        orders = await asyncio.to_thread(self.missing_details, now - after)
        new = 0
        for order in orders:
            spec = AlertSpec(
                AlertKind.MISSING_DETAILS,
                f"missing_details:{order.code}",
                order.code,
                platform=order.platform,
                buyer=order.viewer.display_name,
                summary=_products(order),
                amount=order.total,
            )
            new += await self.record(spec)
        return new

    # -- telling ------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.refresh()
                now = self.clock()
                if self._last_check is None or now - self._last_check >= self.check_every:
                    self._last_check = now
                    await self.check_missing_details()
                await self.dispatch()
            except Exception:
                log.exception("owner alerts: a round failed; trying again shortly")

    async def refresh(self) -> None:
        """Pick up what the owner saved in the panel (any process may have saved it)."""
        saved = await asyncio.to_thread(self.store.alert_preferences)
        if saved is not None:
            self.settings = effective(self.configured, saved)

    def wake(self) -> None:
        self._wake.set()

    async def dispatch(self) -> int:
        """Hand every due delivery to its outbox (one message each, or one digest per owner
        and period); how many messages were handed over."""
        now = self.clock()
        platforms = list(self.ready())
        if not platforms:
            return 0
        for platform in platforms:
            if not self.busy(platform):  # what it held was sent or failed by now
                for delivery_id in [i for i, p in self._in_flight.items() if p == platform]:
                    del self._in_flight[delivery_id]
        due = await asyncio.to_thread(
            self.store.due_alert_deliveries, platforms, now, max_attempts=MAX_ATTEMPTS
        )
        by_destination: dict[Destination, list[DeliveryView]] = {}
        for delivery in due:
            if delivery.id in self._in_flight:
                continue
            by_destination.setdefault(delivery.destination, []).append(delivery)
        handed = 0
        for destination, deliveries in by_destination.items():
            if self.settings.digest:
                oldest = min(d.alert.created_at for d in deliveries)
                if now - oldest < self.settings.digest_every:
                    continue  # the period is not over: more may join this digest
                batches = [deliveries]
            else:
                batches = [[d] for d in deliveries]
            for batch in batches:
                handed += await self._hand_over(destination, batch, now)
        return handed

    async def _hand_over(
        self, destination: Destination, batch: list[DeliveryView], now: datetime
    ) -> int:
        attempts = max(d.attempts for d in batch) + 1
        retry_at = now + self._backoff(attempts)
        ids = await asyncio.to_thread(
            self.store.take_alert_deliveries, [d.id for d in batch], retry_at, now
        )
        taken = [d for d in batch if d.id in set(ids)]
        if not taken:
            return 0
        after = self.settings.missing_details_after
        if len(taken) == 1:
            text = alert_line(self.messages, self.locale, taken[0].alert, after)
        else:
            alerts = [d.alert for d in taken]
            text = digest(self.messages, self.locale, alerts, self.settings.digest_every)
        owner = ChatUser(destination.platform, destination.user_id, "")
        # The channel is the owner's own id: their private chat on Telegram, and on Discord
        # a DM with no channel to fall back to, so an alert is never said in public.
        reply = Reply(
            destination.user_id,
            text,
            mention=owner,
            private=True,
            priority=Priority.REPLY,
            receipt=RECEIPT + ",".join(str(d.id) for d in taken),
        )
        self._in_flight.update((d.id, destination.platform) for d in taken)
        await self.send(reply)
        return 1

    def _backoff(self, attempts: int) -> timedelta:
        factor: int = 2 ** min(max(attempts - 1, 0), 20)
        return min(self.retry_max, self.retry_first * factor)

    async def handed_over(self, receipt: str) -> None:
        """The adapter took the message with this receipt: its deliveries are done."""
        ids = [int(part) for part in receipt.removeprefix(RECEIPT).split(",") if part.isdigit()]
        for delivery_id in ids:
            self._in_flight.pop(delivery_id, None)
        await asyncio.to_thread(self.store.mark_alerts_sent, ids, self.clock())


def _spec(event: Event) -> AlertSpec | None:
    if isinstance(event, OrderPaid):
        order = event.order
        return AlertSpec(
            AlertKind.PAID,
            f"paid:{order.code}",
            order.code,
            platform=order.platform,
            buyer=order.viewer.display_name,
            summary=_products(order),
            amount=order.total,
        )
    if isinstance(event, TipReceived):
        tip = event.tip
        return AlertSpec(
            AlertKind.TIP,
            f"tip:{tip.code}",
            tip.code,
            platform=tip.platform,
            buyer=tip.viewer.display_name,
            amount=tip.amount,
        )
    if isinstance(event, RefundNeeded):
        order = event.order
        amount = event.amount or order.total
        return AlertSpec(
            AlertKind.REFUND_NEEDED,
            f"refund_needed:{order.code}:{event.reason}:{amount.minor}",
            order.code,
            platform=order.platform,
            buyer=order.viewer.display_name,
            summary=_products(order),
            amount=amount,
            reason=event.reason,
        )
    if isinstance(event, DeliveryLinkLocked):  # still missing details: the owner's to ask
        order = event.order
        return AlertSpec(
            AlertKind.MISSING_DETAILS,
            f"link_locked:{order.code}",
            order.code,
            platform=order.platform,
            buyer=order.viewer.display_name,
            summary=_products(order),
            amount=order.total,
            reason=LINK_LOCKED,
        )
    return None


def _products(order: OrderView) -> str:
    return ", ".join(
        (f"{line.quantity}× " if line.quantity > 1 else "") + line.product_name
        for line in order.lines
    )
