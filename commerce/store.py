"""The merchant store: every stock, order, tip and payment invariant, one transaction per call.

`Store` is the one entry point: it owns the engine, opens one transaction per public call
(retrying deadlock victims and lock timeouts) and hands the work to the module that holds
it: commerce.catalog (products and owner edits), commerce.fastpath (reservations),
commerce.orders (order transitions), commerce.tips, commerce.ledger (payments),
commerce.notifications (the webhook inbox) and commerce.webhooks (outgoing ones), on top
of commerce.rows (lookups, locks, guarded stock moves) and commerce.view_builders. Stock
moves only through conditional UPDATEs
(`... WHERE stock - reserved - sold >= :q`), so `0 <= reserved + sold <= stock` holds under
any concurrency without read-then-write races. Order and tip transitions lock their row
first; rows are always locked in the same order (payment, then order or tip, then products
by id) so concurrent calls cannot deadlock. Callers get frozen views, never ORM objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property, partial
from typing import Any, TypeVar

from sqlalchemy import delete
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from commerce import (
    alerts,
    auctions,
    buyers,
    catalog,
    coupons,
    delivery,
    errors,
    eventlog,
    flash_sales,
    fulfilment,
    giveaways,
    imports,
    leaderboards,
    ledger,
    live_state,
    moderation,
    notices,
    notifications,
    orders,
    owner_settings,
    owners,
    packing,
    payer_proof,
    reports,
    rows,
    sessions,
    shoutouts,
    tips,
    waitlist,
    webhook_endpoints,
    webhooks,
)
from commerce.codes import (
    CODE_ALPHABET,
    ORDER_CODE_LENGTH,
    TIP_CODE_LENGTH,
    canonical_variant_key,
    match_variant,
    new_code,
    parse_variant_key,
)
from commerce.db import (
    WalCheckpointer,
    make_engine,
    normalize_url,
    sqlite_connect_now,
    sqlite_file,
    upgrade,
)
from commerce.fastpath import FastReserve
from commerce.imports import ImportPlan
from commerce.models import PROCESSED_MESSAGES
from commerce.money import Money
from commerce.sessions import PanelRole, PanelSessionView
from commerce.view_builders import order_view, product_view, tip_view
from commerce.views import (
    AwaitingPayment,
    DeliveryDetails,
    LineRequest,
    NotificationView,
    OrderStatus,
    OrderView,
    OwnerView,
    PaymentOutcome,
    PaymentReport,
    PaymentView,
    ProductSpec,
    ProductView,
    TipSource,
    TipView,
    ViewerRef,
)
from commerce.webhook_endpoints import EndpointView
from commerce.webhooks import AttemptView, DeliveryView, NewDelivery

T = TypeVar("T")

EventsOf = Callable[[T], Sequence[tuple[str, str]]]
"""What a change reports, as (kind, body) pairs written in the change's own transaction
(commerce.eventlog); the caller decides what they mean. None writes nothing."""

_RETRIES = 5


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone-aware UTC")
    return now.astimezone(UTC)


def _reservation_time(lines: list[LineRequest], now: datetime | None) -> datetime:
    """The reservation's instant, after checking what every reservation checks first."""
    at = _utc(now)
    if not lines:
        raise errors.InvalidQuantity(0)
    for line in lines:
        if line.quantity < 1:
            raise errors.InvalidQuantity(line.quantity)
    return at


def _retryable(exc: OperationalError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001", "55P03"):
        return True
    return "database is locked" in str(exc.orig)


# How stale a catalog read `!comprar` may parse against (see Store.recent_products).
CATALOG_MAX_AGE = 2.0


class Store:
    """The store on one database (SQLite file or PostgreSQL). Thread-safe; sync by design."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        path = sqlite_file(self.url)
        self._checkpointer = WalCheckpointer(path) if path is not None else None
        self._engine = make_engine(self.url, echo=echo, checkpoint_apart=path is not None)
        if self._checkpointer is not None:
            self._checkpointer.start()
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._catalog: tuple[float, list[ProductView]] | None = None
        self._catalog_generation = 0

    def migrate(self, *, apart: bool = False) -> None:
        """Bring the schema to head; `apart` runs alembic in a child process (see db.upgrade)."""
        upgrade(self.url, apart=apart)

    def close(self) -> None:
        if "_reserver" in self.__dict__:
            self._reserver.close()
        self._engine.dispose()
        if self._checkpointer is not None:
            self._checkpointer.close()

    # --- plumbing ------------------------------------------------------------------------

    def _tx(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one transaction, retrying when the database picked it as a deadlock
        victim or timed out on a lock (nothing was committed then)."""
        for attempt in range(_RETRIES):
            try:
                with self._sessions.begin() as session:
                    return work(session)
            except OperationalError as exc:
                if attempt + 1 >= _RETRIES or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def _catalog_tx(self, work: Callable[[Session], T]) -> T:
        """`_tx` for a change to the catalog: the next purchase parses against it."""
        try:
            return self._tx(work)
        finally:
            self._catalog_generation += 1
            self._catalog = None

    def _tx_reporting(
        self, work: Callable[[Session], T], events: EventsOf[T] | None, at: datetime
    ) -> T:
        """`_tx` whose result's events (if asked for) commit with it, or not at all."""
        if events is None:
            return self._tx(work)

        def reported(s: Session) -> T:
            result = work(s)
            eventlog.append(s, events(result), at)
            return result

        return self._tx(reported)

    # --- catalog / owner -----------------------------------------------------------------

    def seed_catalog(self, specs: list[ProductSpec]) -> list[str]:
        """Add the products whose SKU the store has never seen; returns their SKUs. What the
        store already holds (stock, price, active) is the owner's and is left alone."""
        return self._catalog_tx(lambda s: catalog.seed_catalog(s, specs))

    def import_catalog(self, specs: list[ProductSpec], *, apply: bool = True) -> ImportPlan:
        """Compare `specs` with the store and, when `apply` and nothing is impossible, make
        the store match them (one transaction: every product or none)."""
        return self._catalog_tx(lambda s: imports.import_catalog(s, specs, apply=apply))

    def sync_catalog(self, specs: list[ProductSpec]) -> list[ProductView]:
        """Upsert products by SKU and variants by key. Never deletes: variants missing from a
        spec are deactivated; products missing from `specs` are left as they are."""
        return self._catalog_tx(lambda s: catalog.sync_catalog(s, specs))

    def list_products(self, include_inactive: bool = False) -> list[ProductView]:
        generation, read_at = self._catalog_generation, time.monotonic()
        products = self._tx(lambda s: catalog.list_products(s, True))
        if generation == self._catalog_generation:
            self._catalog = (read_at, products)
        return products if include_inactive else [p for p in products if p.active]

    def recent_products(self, max_age: float = CATALOG_MAX_AGE) -> list[ProductView] | None:
        """Every product (inactive too) as read at most `max_age` seconds ago, without the
        database; None when there is no such reading. For matching what a viewer typed to a
        product, not for stock: the reservation itself checks stock, price and active in its
        own transaction. A change made through this Store is seen at once; one made by
        another process within `max_age`."""
        cached = self._catalog
        if cached is None or time.monotonic() - cached[0] > max_age:
            return None
        return cached[1]

    def get_product(self, sku: str) -> ProductView:
        return self._tx(lambda s: product_view(s, rows.product_id(s, sku)))

    def set_stock(self, sku: str, stock: int, variant_key: str | None = None) -> ProductView:
        """The owner's new stock; units it frees go to the product's waitlist first, in the
        same transaction (commerce.waitlist)."""

        def work(s: Session) -> ProductView:
            catalog.set_stock(s, sku, stock, variant_key)
            waitlist.hand_out(s, _utc(None))
            return product_view(s, rows.product_id(s, sku))

        return self._catalog_tx(work)

    def set_price(self, sku: str, price: Decimal, variant_key: str | None = None) -> ProductView:
        return self._catalog_tx(lambda s: catalog.set_price(s, sku, price, variant_key))

    def set_active(self, sku: str, active: bool) -> ProductView:
        return self._catalog_tx(lambda s: catalog.set_active(s, sku, active))

    def set_open(self, open: bool) -> None:
        """Open or close the store. Closing also turns claim words off (commerce.live_state):
        the stream is over, and the next one starts with them off."""

        def work(s: Session) -> None:
            catalog.set_open(s, open)
            if not open and live_state.claim_words(s).enabled:
                live_state.set_claim_words(s, live_state.ClaimWordsState(), _utc(None))

        self._tx(work)

    def is_open(self) -> bool:
        return self._tx(catalog.is_open)

    # --- owners --------------------------------------------------------------------------

    def add_owner(
        self, platform: str, user_id: str, display_name: str = "", now: datetime | None = None
    ) -> bool:
        """Record a chat account as the store's owner; True when it was not one already."""
        at = _utc(now)
        return self._tx(lambda s: owners.add_owner(s, platform, user_id, display_name, at))

    def list_owners(self) -> list[OwnerView]:
        """Owners recorded in the store (those in config are not listed), by platform."""
        return self._tx(owners.list_owners)

    def remove_owner(self, platform: str, user_id: str) -> bool:
        """Forget a recorded owner; True when there was one."""
        return self._tx(lambda s: owners.remove_owner(s, platform, user_id))

    # --- dedupe --------------------------------------------------------------------------

    def claim_message(self, platform: str, message_id: str, now: datetime | None = None) -> bool:
        """True the first time a (platform, message id) is seen, False ever after (until
        `prune_claims` forgets it: platforms redeliver within minutes, not days)."""
        values = {"platform": platform, "message_id": message_id, "created_at": _utc(now)}
        return self._tx(
            lambda s: rows.insert_ignore(s, PROCESSED_MESSAGES, values, ["platform", "message_id"])
        )

    def prune_claims(self, before: datetime) -> int:
        """Forget message claims made before `before`; how many went."""
        cutoff = _utc(before)
        query = delete(PROCESSED_MESSAGES).where(PROCESSED_MESSAGES.c.created_at < cutoff)
        return self._tx(lambda s: int(s.connection().execute(query).rowcount))

    # --- orders --------------------------------------------------------------------------

    def reserve(
        self,
        viewer: ViewerRef,
        channel_id: str,
        lines: list[LineRequest],
        *,
        ttl: timedelta,
        locale: str = "es",
        now: datetime | None = None,
    ) -> OrderView:
        """Reserve every line or none, into the viewer's cart: their pending order in this
        platform and channel if there is one (not being paid right now), else a new pending
        order that expires after `ttl`. Joining a cart recomputes its total, moves its expiry
        to `now + ttl` when later, and supersedes its payment link (see commerce.fastpath).

        The hot path of a flash sale, so it skips the ORM (see commerce.fastpath): one
        transaction that locks the viewer, checks `max_per_viewer`, then takes stock with one
        conditional UPDATE per row, in row order."""
        at = _reservation_time(lines, now)
        for attempt in range(_RETRIES):
            try:
                return self._reserver.reserve(
                    viewer, channel_id, lines, at=at, ttl=ttl, locale=locale
                )
            except OperationalError as exc:
                if attempt + 1 >= _RETRIES or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def reserve_now(
        self,
        viewer: ViewerRef,
        channel_id: str,
        lines: list[LineRequest],
        *,
        ttl: timedelta,
        locale: str = "es",
        now: datetime | None = None,
    ) -> OrderView | None:
        """`reserve`, for the event loop's own thread: done at once, or not at all (None).

        On a SQLite file the reservation is a few hundred microseconds of local work, less
        than the hop to a worker thread and back costs in a busy process; so it runs right
        here, on a connection of its own that never waits, whenever the Store's connection
        is idle and SQLite's write lock is free. Otherwise, and always on PostgreSQL or an
        in-memory database, it does nothing and answers None: call `reserve` off the loop.
        Its answers and errors are `reserve`'s."""
        at = _reservation_time(lines, now)
        return self._reserver.reserve_now(viewer, channel_id, lines, at=at, ttl=ttl, locale=locale)

    @property
    def reserves_now(self) -> bool:
        """Whether `reserve_now` can ever reserve here (a SQLite file, not closed)."""
        return self._reserver.reserves_now

    @cached_property
    def _reserver(self) -> FastReserve:
        path = sqlite_file(self.url)
        connect_now = (
            None if path is None else partial(sqlite_connect_now, path, checkpoint_apart=True)
        )
        return FastReserve(
            self._engine, new_code=new_code, match_variant=match_variant, connect_now=connect_now
        )

    def set_order_link(
        self,
        code: str,
        payment_url: str,
        preference_id: str,
        *,
        revision: int | None = None,
        total: Money | None = None,
        now: datetime | None = None,
    ) -> OrderView:
        """The order's payment link. Pass the `revision` (and `total`) the link was made for:
        if lines were added since, the link is kept only as superseded and the returned
        order still lacks it (its preference_id differs), so the caller makes a new one."""
        at = _utc(now)
        return self._tx(
            lambda s: orders.set_order_link(
                s, code, payment_url, preference_id, revision=revision, total=total, at=at
            )
        )

    def mark_link_sent(self, code: str, now: datetime | None = None) -> None:
        """The message carrying the order's payment link was handed to its platform."""
        at = _utc(now)
        self._tx(lambda s: orders.mark_link_sent(s, code, at))

    def undelivered_links(
        self, platforms: Iterable[str], before: datetime, limit: int = 1000
    ) -> list[OrderView]:
        """Pending orders on `platforms`, made before `before` (a restart), whose payment link
        never reached their chat."""
        wanted, at = frozenset(platforms), _utc(before)
        return self._tx(lambda s: orders.undelivered_links(s, wanted, at, limit))

    def get_order(self, code: str) -> OrderView:
        return self._tx(lambda s: order_view(s, rows.find_order(s, code)))

    def viewer_orders(self, platform: str, user_id: str, limit: int = 5) -> list[OrderView]:
        """The viewer's latest orders, newest first."""
        return self._tx(lambda s: orders.viewer_orders(s, platform, user_id, limit))

    def list_orders(self, status: OrderStatus | None = None, limit: int = 100) -> list[OrderView]:
        return self._tx(lambda s: orders.list_orders(s, status, limit))

    def held_units(self, sku: str, platform: str) -> int:
        """Units of `sku` reserved by `platform`'s pending orders (e.g. the web buy page's)."""
        return self._tx(lambda s: orders.held_units(s, sku, platform))

    def cancel_order(self, code: str, viewer: ViewerRef | None = None) -> OrderView:
        """pending -> cancelled (stock released). A viewer may only cancel their own order."""
        return self._tx(lambda s: _handing_out(s, orders.cancel_order(s, code, viewer)))

    def expire_due(
        self, now: datetime | None = None, *, events: EventsOf[list[OrderView]] | None = None
    ) -> list[OrderView]:
        """pending orders past expires_at -> expired, stock released; pending tips likewise."""
        at = _utc(now)
        return self._tx_reporting(
            lambda s: _handing_out(s, orders.expire_due(s, at), at), events, at
        )

    def fulfill_order(self, code: str, now: datetime | None = None) -> OrderView:
        """paid -> fulfilled (the owner delivered). Repeating it changes nothing."""
        at = _utc(now)
        return self._tx(lambda s: orders.fulfill_order(s, code, at))

    def refund_order(self, code: str) -> OrderView:
        """paid|fulfilled -> refunded; a paid order's units return to stock, a delivered
        order's do not. Repeating it changes nothing."""
        return self._tx(lambda s: _handing_out(s, orders.refund_order(s, code)))

    # --- delivery (commerce.delivery) ----------------------------------------------------

    def delivery_options(
        self, code: str, rules: delivery.DeliveryRules, province: str | None = None
    ) -> delivery.DeliveryOptions:
        """What the buyer of `code` may choose, each with its cost for this order (free
        above, per province when `province` is known, "ship with" an earlier order)."""
        return self._tx(lambda s: delivery.options(s, rows.find_order(s, code), rules, province))

    def set_delivery_details(
        self,
        code: str,
        rules: delivery.DeliveryRules,
        choice: str,
        details: DeliveryDetails,
        now: datetime | None = None,
    ) -> OrderView:
        """Record the buyer's choice (an id from `delivery_options`) and details, and put
        the shipping cost into the total. Pending orders (and, once, a paid order whose
        buyer gave no details yet: its total stays what was paid); when the total changes
        the revision goes up, so the caller makes a new payment link (as after a cart
        addition). Raises InvalidDeliveryDetails naming the field, InvalidTransition else."""
        at = _utc(now)
        return self._tx(
            lambda s: order_view(s, delivery.set_details(s, code, rules, choice, details, at))
        )

    def delivery_details(self, code: str) -> DeliveryDetails | None:
        """The order's delivery details (personal data: for the owner's eyes only)."""
        return self._tx(lambda s: delivery.details_for(s, code))

    def last_details_for(self, platform: str, user_id: str) -> DeliveryDetails | None:
        """What this buyer typed last time, to prefill their next order."""
        return self._tx(lambda s: delivery.last_details_for(s, platform, user_id))

    def orders_missing_details(
        self, older_than: timedelta, now: datetime | None = None, limit: int = 200
    ) -> list[OrderView]:
        """Paid orders that need delivery, paid more than `older_than` ago, still lacking
        complete details (for the owner's alert and the panel), oldest first."""
        before = _utc(now) - older_than
        return self._tx(
            lambda s: [order_view(s, o) for o in delivery.orders_missing_details(s, before, limit)]
        )

    def record_payer_details(
        self, code: str, name: str, email: str, now: datetime | None = None
    ) -> bool:
        """Keep the payer's name and email (from the provider) when the order has no
        details yet; True when recorded. `record_payment` does this by itself when the
        provider's report names the payer."""
        at = _utc(now)
        return self._tx(
            lambda s: delivery.record_payer(s, rows.find_order(s, code), name, email, at)
        )

    def delivery_claim(self, code: str, who: str) -> payer_proof.ClaimView:
        """Where order `code`'s deep link stands for the private chat `who` (e.g.
        "telegram:123"): open to the payer's proof, `who`'s already, taken, or locked."""
        return self._tx(lambda s: payer_proof.state(s, code, who))

    def prove_delivery(
        self, code: str, who: str, answer: str, now: datetime | None = None
    ) -> payer_proof.ClaimView:
        """`answer` is the operation number of the payment that paid order `code`: when it
        is, the order is tied to `who`, who may give its details now (`delivery_linked_to`
        tells later); a wrong one counts toward locking the link (commerce.payer_proof)."""
        at = _utc(now)
        return self._tx(lambda s: payer_proof.prove(s, code, who, answer, at))

    def delivery_linked_to(self, code: str) -> str | None:
        """The private chat that took this order's deep link, if any."""
        return self._tx(lambda s: delivery.linked_to(s, code))

    # --- fulfilment (commerce.fulfilment) ------------------------------------------------

    def mark_shipped(
        self,
        codes: Iterable[str],
        carrier: str | None = None,
        tracking: str | None = None,
        actor: str = "owner",
        now: datetime | None = None,
    ) -> list[fulfilment.Transition]:
        """Paid ship orders -> shipped, all or none (one transaction). Repeating it changes
        nothing; a new carrier or tracking for a shipped order is recorded as a correction."""
        at, wanted = _utc(now), list(codes)
        return self._tx(
            lambda s: [fulfilment.mark_shipped(s, c, carrier, tracking, actor, at) for c in wanted]
        )

    def mark_delivered(
        self, code: str, actor: str = "owner", now: datetime | None = None
    ) -> fulfilment.Transition:
        """A ship or digital order reached its buyer: paid -> fulfilled (delivered)."""
        at = _utc(now)
        return self._tx(lambda s: fulfilment.mark_delivered(s, code, actor, at))

    def mark_ready_for_pickup(
        self, code: str, actor: str = "owner", now: datetime | None = None
    ) -> fulfilment.Transition:
        at = _utc(now)
        return self._tx(lambda s: fulfilment.mark_ready_for_pickup(s, code, actor, at))

    def mark_picked_up(
        self, code: str, actor: str = "owner", now: datetime | None = None
    ) -> fulfilment.Transition:
        """A pickup order was collected: paid -> fulfilled (picked_up)."""
        at = _utc(now)
        return self._tx(lambda s: fulfilment.mark_picked_up(s, code, actor, at))

    # --- the shout-out queue (commerce.shoutouts) ---------------------------------------

    def shoutout_queue(self, limit: int = 100) -> list[shoutouts.Shoutout]:
        """Paid shout-outs not done yet, oldest payment first."""
        return self._tx(lambda s: shoutouts.queue(s, limit))

    def set_shoutout_message(self, code: str, message: str | None) -> None:
        self._tx(lambda s: shoutouts.set_message(s, code, message))

    def shoutout_done(
        self, code: str | None = None, actor: str = "owner", now: datetime | None = None
    ) -> fulfilment.Transition | None:
        """Mark the shout-out `code` (the oldest when None) done: `mark_delivered`, as
        idempotent. None when the queue is empty."""
        at = _utc(now)
        return self._tx(lambda s: shoutouts.done(s, code, actor, at))

    def packing_list(self) -> list[packing.PackingGroup]:
        """Paid orders not yet shipped or ready, grouped by buyer and destination."""
        return self._tx(packing.packing_list)

    # --- personal data (commerce.buyers) -------------------------------------------------

    def forget_buyer(self, platform: str, user_id: str) -> bool:
        """Erase one buyer's personal data, keeping the accounting; False when unknown."""
        return self._tx(lambda s: buyers.forget(s, platform, user_id))

    def erase_personal_data(self, keep: timedelta, now: datetime | None = None) -> int:
        """Delete delivery details of orders that ended more than `keep` ago; how many."""
        before = _utc(now) - keep
        return self._tx(lambda s: buyers.erase_expired(s, before))

    # --- payments ------------------------------------------------------------------------

    def pending_references(
        self, now: datetime | None = None, max_age: timedelta = timedelta(hours=48)
    ) -> list[str]:
        """Codes a reconciler should poll the provider for: pending orders and tips, plus
        expired ones created within `max_age` (a late payment must still be found)."""
        since = _utc(now) - max_age
        return self._tx(lambda s: ledger.pending_references(s, since))

    def awaiting_payment(
        self, now: datetime | None = None, max_age: timedelta = timedelta(hours=48)
    ) -> list[AwaitingPayment]:
        """What a reconciler should poll, oldest first: pending orders and tips, plus expired or
        cancelled ones created within `max_age` (their payment links may still be paid)."""
        since = _utc(now) - max_age
        return self._tx(lambda s: ledger.awaiting_payment(s, since))

    def payments_for(self, code: str) -> list[PaymentView]:
        """Every provider payment recorded against an order or tip, oldest first."""
        return self._tx(lambda s: ledger.payments_for(s, code))

    def record_payment(
        self,
        report: PaymentReport,
        now: datetime | None = None,
        *,
        events: EventsOf[PaymentOutcome] | None = None,
    ) -> PaymentOutcome:
        """Apply what the provider says about one payment; safe to repeat and to reorder."""
        at = _utc(now)
        return self._tx_reporting(lambda s: ledger.record_payment(s, report, at), events, at)

    # --- the events outbox (several processes) -------------------------------------------

    def publish_events(
        self, events: Sequence[tuple[str, str]], now: datetime | None = None
    ) -> None:
        """Write events that belong to no store change (the overlay's spotlight, say)."""
        at = _utc(now)
        self._tx(lambda s: eventlog.append(s, events, at))

    def events_after(self, event_id: int, limit: int = 500) -> list[eventlog.EventRow]:
        return self._tx(lambda s: eventlog.after(s, event_id, limit))

    def last_event_id(self) -> int:
        return self._tx(eventlog.last_id)

    def event_cursor(self, consumer: str, now: datetime | None = None) -> int:
        """Where the role `consumer` stopped reading (created at the newest event)."""
        at = _utc(now)
        return self._tx(lambda s: eventlog.cursor(s, consumer, at))

    def advance_event_cursor(
        self, consumer: str, event_id: int, now: datetime | None = None
    ) -> None:
        at = _utc(now)
        self._tx(lambda s: eventlog.advance(s, consumer, event_id, at))

    def prune_events(self, before: datetime) -> int:
        return self._tx(lambda s: eventlog.prune(s, _utc(before)))

    # --- notifications -------------------------------------------------------------------

    def add_notification(
        self,
        provider: str,
        topic: str,
        resource_id: str,
        *,
        verified: bool,
        raw: Mapping[str, Any] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Persist a provider notification (before acknowledging it); returns its id."""
        at = _utc(now)
        return self._tx(
            lambda s: notifications.add_notification(
                s, provider, topic, resource_id, verified=verified, raw=raw, at=at
            )
        )

    def unprocessed_notifications(self, limit: int = 200) -> list[NotificationView]:
        """Notifications not yet processed, oldest first (after a restart too), due or not."""
        return self._tx(lambda s: notifications.unprocessed_notifications(s, limit))

    def due_notifications(
        self, limit: int = 50, now: datetime | None = None, exclude: Iterable[str] = ()
    ) -> list[NotificationView]:
        """Unprocessed notifications due now: signed first, then fewest attempts, oldest.

        Rows waiting out a backoff are not due, so they never hold back younger ones.
        """
        at, skip = _utc(now), list(exclude)
        return self._tx(lambda s: notifications.due_notifications(s, limit, at, skip))

    def next_notification_due(self) -> datetime | None:
        """When the earliest unprocessed notification is due (None: none is waiting)."""
        return self._tx(notifications.next_due)

    def recent_notifications(
        self, limit: int = 50, *, problems: bool = False
    ) -> list[NotificationView]:
        """Newest first; with `problems`, only failing, refused or abandoned ones."""
        return self._tx(lambda s: notifications.recent_notifications(s, limit, problems=problems))

    def get_notification(self, notification_id: int) -> NotificationView:
        return self._tx(lambda s: notifications.get_notification(s, notification_id))

    def finish_notifications(
        self,
        ids: Iterable[int],
        outcome: str,
        now: datetime | None = None,
        *,
        error: str | None = None,
    ) -> None:
        """Mark notifications processed; repeating it keeps the first outcome."""
        wanted = list(ids)
        if not wanted:
            return
        at = _utc(now)
        self._tx(lambda s: notifications.finish_notifications(s, wanted, outcome, at, error))

    def notifications_failed(
        self, ids: Iterable[int], error: str, retry_at: datetime | None = None
    ) -> None:
        """Count a failed attempt; the notifications stay unprocessed, due again at
        `retry_at` (default: at once)."""
        wanted = list(ids)
        if not wanted:
            return
        at = _utc(retry_at)
        self._tx(lambda s: notifications.notifications_failed(s, wanted, error, at))

    # --- tips ----------------------------------------------------------------------------

    def create_tip(
        self,
        viewer: ViewerRef,
        channel_id: str,
        amount: Money,
        message: str,
        source: TipSource,
        *,
        ttl: timedelta,
        locale: str = "es",
        external_id: str | None = None,
        now: datetime | None = None,
        events: EventsOf[TipView] | None = None,
    ) -> TipView:
        """A link tip waits for payment; bits and Super Chats arrive paid. The same
        `external_id` (on the same platform) always yields the same tip."""
        at = _utc(now)
        if amount.amount <= 0:
            raise errors.InvalidAmount(
                str(amount.amount), "zero" if amount.amount == 0 else "negative"
            )
        kind = TipSource(source)
        return self._tx_reporting(
            lambda s: tips.create_tip(
                s,
                viewer,
                channel_id,
                amount,
                message,
                kind,
                ttl=ttl,
                locale=locale,
                external_id=external_id,
                at=at,
            ),
            events,
            at,
        )

    def set_tip_link(self, code: str, payment_url: str, preference_id: str) -> TipView:
        return self._tx(lambda s: tips.set_tip_link(s, code, payment_url, preference_id))

    def get_tip(self, code: str) -> TipView:
        return self._tx(lambda s: tip_view(s, rows.lock_tip(s, code, lock=False)))

    def list_tips(self, limit: int = 100) -> list[TipView]:
        return self._tx(lambda s: tips.list_tips(s, limit))

    # --- owner settings (documents the panel edits: the overlay's alerts, ...) ----------

    def owner_setting(self, key: str) -> str | None:
        """The document the owner saved under `key`, or None if they never did."""
        return self._tx(lambda s: owner_settings.get(s, key))

    def set_owner_setting(self, key: str, value: str, now: datetime | None = None) -> None:
        at = _utc(now)
        self._tx(lambda s: owner_settings.put(s, key, value, at))

    # --- live state (commerce.live_state: the spotlight, claim words on or off) ---------

    def spotlight(self) -> str | None:
        """The SKU on the spotlight (`!destacar`), or None: every process reads the same."""
        return self._tx(live_state.spotlight)

    def set_spotlight(self, sku: str | None, now: datetime | None = None) -> None:
        at = _utc(now)
        self._tx(lambda s: live_state.set_spotlight(s, sku, at))

    def claim_words(self) -> live_state.ClaimWordsState:
        """Whether claim words are on (`!palabras on`), and until when."""
        return self._tx(live_state.claim_words)

    def set_claim_words(
        self, state: live_state.ClaimWordsState, now: datetime | None = None
    ) -> None:
        at = _utc(now)
        self._tx(lambda s: live_state.set_claim_words(s, state, at))

    # --- panel (the owner's web panel: sign-in, listings, summaries) ---------------------

    def panel_link(self, role: PanelRole, ttl: timedelta, now: datetime | None = None) -> str:
        """A new one-time sign-in link token (only its hash is stored)."""
        token = sessions.new_token()
        at = _utc(now)
        self._tx(lambda s: sessions.create_link(s, token, role, at, ttl))
        return token

    def panel_sign_in(
        self, link: str, ttl: timedelta, user_agent: str = "", now: datetime | None = None
    ) -> tuple[str, PanelSessionView] | None:
        """Redeem a link once, before it expires: a new session's token and view, or None."""
        token = sessions.new_token()
        at = _utc(now)
        found = self._tx(lambda s: sessions.redeem_link(s, link, token, at, ttl, user_agent))
        return None if found is None else (token, found)

    def panel_session(self, token: str, now: datetime | None = None) -> PanelSessionView | None:
        at = _utc(now)
        return self._tx(lambda s: sessions.find_session(s, token, at))

    def panel_sign_out(self, token: str, now: datetime | None = None) -> None:
        at = _utc(now)
        self._tx(lambda s: sessions.revoke_session(s, token, at))

    def panel_sign_out_all(self, now: datetime | None = None) -> int:
        """End every panel session and void unused links; returns how many sessions ended."""
        at = _utc(now)
        return self._tx(lambda s: sessions.revoke_all(s, at))

    def panel_sessions(self, now: datetime | None = None) -> list[PanelSessionView]:
        at = _utc(now)
        return self._tx(lambda s: sessions.live_sessions(s, at))

    def panel_orders(self, query: reports.OrderQuery) -> reports.OrderPage:
        return self._tx(lambda s: reports.search_orders(s, query))

    def panel_order_history(self, code: str) -> list[reports.HistoryEntry]:
        return self._tx(lambda s: reports.order_history(s, code))

    def panel_export(self, after_id: int, limit: int = 500) -> list[reports.ExportLine]:
        return self._tx(lambda s: reports.export_lines(s, after_id, limit))

    def order_counts(self) -> dict[str, int]:
        """Orders per status (`/metrics`)."""
        return self._tx(reports.order_counts)

    def panel_catalog(self, include_inactive: bool = True) -> list[reports.ProductCounts]:
        return self._tx(lambda s: reports.catalog_counts(s, include_inactive))

    def panel_streams(
        self, since: datetime, until: datetime, gap: timedelta = reports.STREAM_GAP
    ) -> list[reports.StreamSpan]:
        return self._tx(lambda s: reports.streams(s, _utc(since), _utc(until), gap))

    def panel_live(
        self,
        currency: str,
        *,
        gap: timedelta = reports.STREAM_GAP,
        soon: timedelta = timedelta(minutes=3),
        now: datetime | None = None,
    ) -> reports.LiveFigures:
        """The current stream's figures (see commerce.reports for what a stream is)."""
        at = _utc(now)

        def work(s: Session) -> reports.LiveFigures:
            since = reports.stream_start(s, at, gap)
            return reports.live_figures(s, since, at, currency, soon)

        return self._tx(work)

    def panel_summary(self, since: datetime, until: datetime, currency: str) -> reports.Summary:
        return self._tx(lambda s: reports.summary(s, _utc(since), _utc(until), currency))

    def panel_fulfill(self, code: str, actor: str, now: datetime | None = None) -> OrderView:
        """paid -> fulfilled from the panel, recorded with who did it."""
        return self._panel_transition(
            code, "fulfilled", actor, now, lambda s, at: orders.fulfill_order(s, code, at)
        )

    def panel_cancel(self, code: str, actor: str, now: datetime | None = None) -> OrderView:
        """pending -> cancelled from the panel (stock released), recorded with who did it."""
        return self._panel_transition(
            code,
            "cancelled",
            actor,
            now,
            lambda s, at: _handing_out(s, orders.cancel_order(s, code, None), at),
        )

    def _panel_transition(
        self,
        code: str,
        kind: str,
        actor: str,
        now: datetime | None,
        change: Callable[[Session, datetime], OrderView],
    ) -> OrderView:
        """`change` in one transaction, written to the order's history only when it moved the
        order (repeating an action records nothing new)."""
        at = _utc(now)

        def work(s: Session) -> OrderView:
            before = rows.lock_order(s, code).status
            view = change(s, at)
            if before != view.status:
                reports.record_event(s, code, kind, actor, at, "")
            return view

        return self._tx(work)

    def panel_note(
        self, code: str, kind: str, actor: str, detail: str = "", now: datetime | None = None
    ) -> None:
        """Record in the order's history something done outside the store (a refund asked of
        the provider, a link sent again)."""
        at = _utc(now)
        self._tx(lambda s: reports.record_event(s, code, kind, actor, at, detail))

    def panel_add_product(self, spec: ProductSpec) -> ProductView | None:
        """Add a product with a new SKU; None when the SKU is taken (nothing changed)."""

        def work(s: Session) -> ProductView | None:
            if not catalog.seed_catalog(s, [spec]):
                return None
            return product_view(s, rows.product_id(s, spec.sku))

        return self._catalog_tx(work)

    # --- moderation and the stream widgets -------------------------------------------------

    def moderation_settings(self) -> moderation.ModerationView | None:
        """The owner's filter settings; None until first saved (the defaults apply)."""
        return self._tx(moderation.settings)

    def save_moderation_settings(
        self, action: str, hold: str, hold_above: Decimal | None, now: datetime | None = None
    ) -> moderation.ModerationView:
        at = _utc(now)
        return self._tx(lambda s: moderation.save_settings(s, action, hold, hold_above, at))

    def moderation_words(self) -> list[moderation.WordView]:
        return self._tx(moderation.words)

    def add_moderation_word(
        self, word: str, kind: str, now: datetime | None = None
    ) -> moderation.WordView:
        at = _utc(now)
        return self._tx(lambda s: moderation.add_word(s, word, kind, at))

    def remove_moderation_word(self, word: str) -> bool:
        return self._tx(lambda s: moderation.remove_word(s, word))

    def hold_alert(
        self, kind: str, code: str, payload: str, reason: str, now: datetime | None = None
    ) -> tuple[moderation.HeldView, bool]:
        at = _utc(now)
        return self._tx(lambda s: moderation.hold(s, kind, code, payload, reason, at))

    def held_alerts(
        self, status: str = moderation.HELD, limit: int = 100
    ) -> list[moderation.HeldView]:
        return self._tx(lambda s: moderation.held_alerts(s, status, limit))

    def decide_held_alert(
        self, held_id: int, approve: bool, actor: str, now: datetime | None = None
    ) -> moderation.HeldView | None:
        at = _utc(now)
        return self._tx(lambda s: moderation.decide(s, held_id, approve, actor, at))

    def held_statuses(self, kind: str, codes: Iterable[str]) -> dict[str, str]:
        wanted = list(codes)
        return self._tx(lambda s: moderation.held_statuses(s, kind, wanted))

    def recent_events(self, limit: int = 10) -> list[leaderboards.RecentEvent]:
        return self._tx(lambda s: leaderboards.recent_events(s, limit))

    def top_supporters(
        self,
        by: str,
        currency: str,
        *,
        stream: bool,
        gap: timedelta = reports.STREAM_GAP,
        limit: int = 5,
        now: datetime | None = None,
    ) -> list[leaderboards.Supporter]:
        """By "tips" or "purchases", in this stream (see commerce.reports) or of all time."""
        at = _utc(now)

        def work(s: Session) -> list[leaderboards.Supporter]:
            since = reports.stream_start(s, at, gap) if stream else None
            return leaderboards.top_supporters(s, by, currency, since, limit)

        return self._tx(work)

    # --- buyer notices -------------------------------------------------------------------

    def due_notices(self, platforms: list[str], limit: int = 100) -> list[notices.Notice]:
        """What buyers on `platforms` are owed a word about (commerce.notices)."""
        return self._tx(lambda s: notices.due(s, platforms, limit))

    def mark_told(self, code: str, state: str) -> None:
        self._tx(lambda s: notices.mark_told(s, code, state))

    # --- outgoing webhooks (commerce.webhooks) ----------------------------------------------

    def enqueue_webhooks(
        self,
        deliveries: list[NewDelivery],
        now: datetime | None = None,
        held: timedelta | None = None,
    ) -> list[int]:
        at = _utc(now)
        return self._tx(lambda s: webhooks.enqueue(s, deliveries, at, held))

    def lease_webhooks(
        self, lease: timedelta, limit: int = 20, now: datetime | None = None
    ) -> list[DeliveryView]:
        at = _utc(now)
        return self._tx(lambda s: webhooks.lease_due(s, at, lease, limit))

    def record_webhook_attempt(
        self, delivery_id: int, attempt: AttemptView, *, retry_at: datetime | None
    ) -> DeliveryView:
        return self._tx(
            lambda s: webhooks.record_attempt(s, delivery_id, attempt, retry_at=retry_at)
        )

    def give_up_webhook(self, delivery_id: int, now: datetime | None = None) -> None:
        at = _utc(now)
        self._tx(lambda s: webhooks.give_up(s, delivery_id, at))

    def get_webhook_delivery(self, delivery_id: int) -> DeliveryView:
        return self._tx(lambda s: webhooks.get_delivery(s, delivery_id))

    def next_webhook_due(self) -> datetime | None:
        return self._tx(webhooks.next_due)

    def recent_webhooks(
        self, limit: int = 50, endpoint: str | None = None
    ) -> list[tuple[DeliveryView, list[AttemptView]]]:
        """The newest deliveries with their attempts, for `vivo webhooks log` and the panel."""

        def work(s: Session) -> list[tuple[DeliveryView, list[AttemptView]]]:
            found = webhooks.recent(s, limit, endpoint)
            tries = webhooks.attempts_of(s, [d.id for d in found])
            return [(d, tries[d.id]) for d in found]

        return self._tx(work)

    # --- the panel's webhooks (commerce.webhook_endpoints) ------------------------------

    def webhook_endpoints(self) -> list[EndpointView]:
        """Every webhook added in the panel, paused ones too (the config's are not here)."""
        return self._tx(webhook_endpoints.list_all)

    def get_webhook_endpoint(self, name: str) -> EndpointView:
        return self._tx(lambda s: webhook_endpoints.get(s, name))

    def create_webhook_endpoint(
        self,
        name: str,
        url: str,
        events: Iterable[str],
        secret: str,
        now: datetime | None = None,
    ) -> EndpointView:
        at = _utc(now)
        wanted = list(events)
        return self._tx(lambda s: webhook_endpoints.create(s, name, url, wanted, secret, at))

    def update_webhook_endpoint(
        self,
        name: str,
        url: str,
        events: Iterable[str],
        enabled: bool,
        now: datetime | None = None,
    ) -> EndpointView:
        at = _utc(now)
        wanted = list(events)
        return self._tx(
            lambda s: webhook_endpoints.update_endpoint(s, name, url, wanted, enabled, at)
        )

    def rotate_webhook_secret(
        self, name: str, secret: str, now: datetime | None = None
    ) -> EndpointView:
        at = _utc(now)
        return self._tx(lambda s: webhook_endpoints.set_secret(s, name, secret, at))

    def delete_webhook_endpoint(self, name: str) -> None:
        self._tx(lambda s: webhook_endpoints.remove(s, name))

    # --- owner alerts (commerce.alerts) --------------------------------------------------

    def record_alert(
        self,
        spec: alerts.AlertSpec,
        destinations: Iterable[alerts.Destination],
        now: datetime | None = None,
    ) -> alerts.AlertView | None:
        """Keep an alert for the panel and queue it for each private destination; None (and
        nothing new) when the same fact, by `dedupe_key`, was recorded before."""
        at = _utc(now)
        chosen = list(destinations)
        return self._tx(lambda s: alerts.record(s, spec, chosen, at))

    def list_alerts(
        self,
        kinds: Iterable[alerts.AlertKind] | None = None,
        limit: int = 100,
        *,
        unread_only: bool = False,
    ) -> list[alerts.AlertView]:
        shown = None if kinds is None else list(kinds)
        return self._tx(lambda s: alerts.list_alerts(s, shown, limit, unread_only))

    def unread_alerts(self, kinds: Iterable[alerts.AlertKind] | None = None) -> int:
        shown = None if kinds is None else list(kinds)
        return self._tx(lambda s: alerts.count_unread(s, shown))

    def mark_alerts_read(
        self,
        ids: Iterable[int] | None = None,
        kinds: Iterable[alerts.AlertKind] | None = None,
        now: datetime | None = None,
    ) -> int:
        """Mark the given alerts (or every unread one of `kinds`) read; how many changed."""
        at = _utc(now)
        chosen = None if ids is None else list(ids)
        shown = None if kinds is None else list(kinds)
        return self._tx(lambda s: alerts.mark_read(s, chosen, shown, at))

    def due_alert_deliveries(
        self,
        platforms: Iterable[str],
        now: datetime | None = None,
        *,
        max_attempts: int = 10,
        limit: int = 200,
    ) -> list[alerts.DeliveryView]:
        at = _utc(now)
        chosen = list(platforms)
        return self._tx(lambda s: alerts.due_deliveries(s, chosen, at, max_attempts, limit))

    def take_alert_deliveries(
        self, ids: Iterable[int], retry_at: datetime, now: datetime | None = None
    ) -> list[int]:
        """Take due deliveries for one attempt (next try `retry_at` unless marked sent)."""
        at, again = _utc(now), _utc(retry_at)
        chosen = list(ids)
        return self._tx(lambda s: alerts.take(s, chosen, at, again))

    def mark_alerts_sent(self, ids: Iterable[int], now: datetime | None = None) -> int:
        at = _utc(now)
        chosen = list(ids)
        return self._tx(lambda s: alerts.mark_sent(s, chosen, at))

    def alert_preferences(self) -> alerts.Preferences | None:
        """The owner's alert choices saved in the panel; None until saved (config rules)."""
        return self._tx(alerts.preferences)

    def save_alert_preferences(
        self, chosen: alerts.Preferences, now: datetime | None = None
    ) -> None:
        at = _utc(now)
        self._tx(lambda s: alerts.save_preferences(s, chosen, at))

    # --- waitlists and hold reminders (commerce.waitlist) ----------------------------------

    def waitlist_join(
        self,
        viewer: ViewerRef,
        channel_id: str,
        sku: str,
        variant_key: str | None = None,
        *,
        hold: timedelta,
        locale: str = "es",
        now: datetime | None = None,
    ) -> waitlist.Place:
        """Put the viewer in the product's (variant's) line, once; `hold` is how long the
        unit is kept for them when it comes. Outcome "in_stock": there is no need."""
        at = _utc(now)
        return self._tx(
            lambda s: waitlist.join(
                s, viewer, channel_id, sku, variant_key, hold=hold, locale=locale, at=at
            )
        )

    def waitlist_leave(self, viewer: ViewerRef, sku: str | None = None) -> int:
        """Take the viewer out of their lines (or `sku`'s); how many places they left."""
        return self._tx(lambda s: waitlist.leave(s, viewer, sku))

    def waitlist_places(self, platform: str, user_id: str) -> list[waitlist.Place]:
        return self._tx(lambda s: waitlist.places(s, platform, user_id))

    def waitlist_line(self, sku: str) -> list[waitlist.LineEntry]:
        return self._tx(lambda s: waitlist.line(s, sku))

    def waitlist_sizes(self) -> dict[str, int]:
        return self._tx(waitlist.line_sizes)

    def waitlist_hand_out(self, now: datetime | None = None) -> list[str]:
        """Free units to the lines (those freed outside the store's own releases, e.g. a
        catalog sync); the codes of the new holds."""
        at = _utc(now)
        return self._tx(lambda s: waitlist.hand_out(s, at))

    def waitlist_offers(self, now: datetime | None = None, limit: int = 50) -> list[OrderView]:
        """New holds whose viewer is still to be told, each claimed for one teller."""
        at = _utc(now)
        return self._tx(lambda s: waitlist.claim_offers(s, at, limit))

    def claim_reminders(
        self, before: timedelta, now: datetime | None = None, limit: int = 100
    ) -> list[OrderView]:
        """Pending orders expiring within `before`, never reminded, each claimed once."""
        at = _utc(now)
        return self._tx(lambda s: waitlist.claim_reminders(s, at, before, limit))

    # --- promotions: flash sales and coupons (commerce.flash_sales, commerce.coupons) ---

    def start_flash_sale(
        self,
        sku: str,
        *,
        percent: int | None = None,
        price: Decimal | None = None,
        duration: timedelta,
        max_per_buyer: int | None = None,
        now: datetime | None = None,
    ) -> flash_sales.FlashSaleView:
        """`!oferta`: drop `sku`'s price by `percent` or to `price` for `duration`, ending
        any sale on now. Reservations made meanwhile take the sale price (commerce.fastpath)."""
        at = _utc(now)
        return self._tx(
            lambda s: flash_sales.start(
                s,
                sku,
                percent=percent,
                price=price,
                duration=duration,
                max_per_buyer=max_per_buyer,
                at=at,
            )
        )

    def end_flash_sale(self, now: datetime | None = None) -> flash_sales.FlashSaleView | None:
        """`!oferta fin`: the sale on now ends now; the one ended, or None."""
        at = _utc(now)
        return self._tx(lambda s: flash_sales.end_all(s, at))

    def active_flash_sale(self, now: datetime | None = None) -> flash_sales.FlashSaleView | None:
        at = _utc(now)
        return self._tx(lambda s: flash_sales.active(s, at))

    def seed_coupons(
        self, specs: Sequence[coupons.CouponSpec], now: datetime | None = None
    ) -> list[str]:
        """Add config's coupons whose code is new; the codes added. The rest is the owner's."""
        at = _utc(now)
        return self._tx(lambda s: coupons.seed(s, specs, at))

    def create_coupon(
        self, spec: coupons.CouponSpec, now: datetime | None = None
    ) -> coupons.CouponView:
        at = _utc(now)
        return self._tx(lambda s: coupons.create(s, spec, at))

    def set_coupon_active(self, code: str, active: bool) -> coupons.CouponView:
        return self._tx(lambda s: coupons.set_active(s, code, active))

    def list_coupons(self) -> list[coupons.CouponView]:
        return self._tx(coupons.list_all)

    def coupon_exists(self, code: str) -> bool:
        return self._tx(lambda s: coupons.known(s, code))

    def apply_coupon(
        self,
        order_code: str,
        coupon_code: str,
        viewer: ViewerRef | None = None,
        now: datetime | None = None,
    ) -> OrderView:
        """Put a coupon on a pending order (one per order): its discount comes off the total
        and, when the order had a link, the revision goes up for a new one. Raises
        CouponInvalid with the reason a viewer should hear (see commerce.coupons)."""
        at = _utc(now)
        return self._tx(
            lambda s: order_view(s, coupons.apply(s, order_code, coupon_code, viewer, at))
        )

    # --- auctions (commerce.auctions) ----------------------------------------------------

    def auction_start(
        self,
        sku: str,
        variant_key: str | None,
        base: Money,
        duration: timedelta,
        rules: auctions.AuctionRules,
        *,
        platform: str,
        channel_id: str,
        now: datetime | None = None,
        events: EventsOf[auctions.AuctionView] | None = None,
    ) -> auctions.AuctionView:
        """Open an auction of one unit (taken off sale now); one at a time per store."""
        at = _utc(now)
        return self._tx_reporting(
            lambda s: auctions.start(
                s,
                sku,
                variant_key,
                base,
                duration,
                rules,
                platform=platform,
                channel_id=channel_id,
                at=at,
            ),
            events,
            at,
        )

    def auction_bid(
        self,
        viewer: ViewerRef,
        channel_id: str,
        amount: Money,
        *,
        locale: str = "es",
        now: datetime | None = None,
        events: EventsOf[auctions.BidOutcome] | None = None,
    ) -> auctions.BidOutcome:
        """Decide and record one bid, `now` being when our process received it."""
        at = _utc(now)
        return self._tx_reporting(
            lambda s: auctions.bid(s, viewer, channel_id, amount, locale=locale, at=at),
            events,
            at,
        )

    def auction_end(
        self, now: datetime | None = None, *, events: EventsOf[auctions.Progress] | None = None
    ) -> auctions.Progress:
        """`!subasta fin`: close the bidding now and offer the unit to the leader."""
        at = _utc(now)
        return self._tx_reporting(lambda s: auctions.end(s, at), events, at)

    def auction_tick(
        self, now: datetime | None = None, *, events: EventsOf[auctions.Progress] | None = None
    ) -> auctions.Progress:
        """The auction clock's duty: close what is due, move unpaid offers on."""
        at = _utc(now)
        return self._tx_reporting(lambda s: auctions.tick(s, at), events, at)

    def auction_next_due(self) -> datetime | None:
        return self._tx(auctions.next_due)

    def current_auction(self) -> auctions.AuctionView | None:
        """The running auction, else the latest one."""
        return self._tx(auctions.current)

    def auction_bids(self, auction_id: int) -> list[tuple[auctions.BidView, str | None]]:
        """Every bid received, in the order received, with its refusal reason (None: taken)."""
        return self._tx(lambda s: auctions.bids(s, auction_id))

    # --- giveaways (commerce.giveaways) --------------------------------------------------

    def giveaway_start(
        self,
        sku: str,
        variant_key: str | None,
        duration: timedelta,
        *,
        platform: str,
        channel_id: str,
        now: datetime | None = None,
        seed: bytes | None = None,
        events: EventsOf[giveaways.GiveawayView] | None = None,
    ) -> giveaways.GiveawayView:
        """Open a giveaway of one unit (taken off sale now), committed to a fresh seed."""
        at = _utc(now)
        return self._tx_reporting(
            lambda s: giveaways.start(
                s,
                sku,
                variant_key,
                duration,
                platform=platform,
                channel_id=channel_id,
                at=at,
                seed=seed,
            ),
            events,
            at,
        )

    def giveaway_enter(
        self,
        viewer: ViewerRef,
        channel_id: str,
        *,
        locale: str = "es",
        now: datetime | None = None,
        events: EventsOf[giveaways.EntryOutcome] | None = None,
    ) -> giveaways.EntryOutcome:
        """One entry per viewer, `now` being when our process received it."""
        at = _utc(now)
        return self._tx_reporting(
            lambda s: giveaways.enter(s, viewer, channel_id, locale=locale, at=at), events, at
        )

    def giveaway_draw(
        self, now: datetime | None = None, *, events: EventsOf[giveaways.Drawn] | None = None
    ) -> giveaways.Drawn:
        """`!sorteo fin`: draw the winner now (their zero-price order is paid at once)."""
        at = _utc(now)
        return self._tx_reporting(lambda s: giveaways.draw(s, at), events, at)

    def giveaway_cancel(
        self, now: datetime | None = None, *, events: EventsOf[giveaways.Drawn] | None = None
    ) -> giveaways.Drawn:
        """`!sorteo cancelar`: nobody wins, the unit goes back on sale."""
        at = _utc(now)
        return self._tx_reporting(lambda s: giveaways.cancel(s, at), events, at)

    def giveaway_tick(
        self, now: datetime | None = None, *, events: EventsOf[giveaways.Drawn] | None = None
    ) -> giveaways.Drawn:
        """The giveaway clock's duty: draw what is due."""
        at = _utc(now)
        return self._tx_reporting(lambda s: giveaways.tick(s, at), events, at)

    def giveaway_next_due(self) -> datetime | None:
        return self._tx(giveaways.next_due)

    def current_giveaway(self) -> giveaways.GiveawayView | None:
        """The running giveaway, else the latest one."""
        return self._tx(giveaways.current)

    def get_giveaway(self, giveaway_id: int) -> giveaways.GiveawayView:
        return self._tx(lambda s: giveaways.get(s, giveaway_id))

    def giveaway_entries(self, giveaway_id: int) -> list[giveaways.EntryView]:
        """Every entry, in the order recorded (the order the draw uses)."""
        return self._tx(lambda s: giveaways.entries(s, giveaway_id))

    def giveaway_proof(self, giveaway_id: int) -> giveaways.Proof:
        """The giveaway, its entry list, its seed (after the draw) and the winner recomputed."""
        return self._tx(lambda s: giveaways.proof(s, giveaway_id))

    def giveaway_prize(self, code: str) -> int | None:
        """The giveaway whose prize the order `code` is, if it is one."""
        return self._tx(lambda s: giveaways.prize_of(s, int(rows.find_order(s, code).id or 0)))

    def giveaway_entry(self, platform: str, user_id: str) -> giveaways.EntryView | None:
        """The viewer's entry in the running giveaway."""
        return self._tx(lambda s: giveaways.viewer_entry(s, platform, user_id))


__all__ = [
    "CODE_ALPHABET",
    "ORDER_CODE_LENGTH",
    "TIP_CODE_LENGTH",
    "Store",
    "canonical_variant_key",
    "new_code",
    "parse_variant_key",
]


def _handing_out(s: Session, result: T, at: datetime | None = None) -> T:
    """`result` of a change that may free units, after the waitlists had them (same
    transaction: a new buyer never sees them first)."""
    waitlist.hand_out(s, _utc(at))
    return result
