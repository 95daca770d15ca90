"""The merchant store: every stock, order, tip and payment invariant, one transaction per call.

Stock moves only through conditional UPDATEs (`... WHERE stock - reserved - sold >= :q`), so
`0 <= reserved + sold <= stock` holds under any concurrency without read-then-write races.
Order and tip transitions lock their row first; rows are always locked in the same order
(payment, then order or tip, then products by id) so concurrent calls cannot deadlock.
Callers get frozen views, never ORM objects.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from commerce import errors
from commerce.db import make_engine, normalize_url, upgrade
from commerce.fastpath import FastReserve
from commerce.models import (
    NOTIFICATIONS,
    ORDER_LINES,
    ORDERS,
    PAYMENTS,
    PROCESSED_MESSAGES,
    PRODUCTS,
    STORE_STATE,
    TIPS,
    VARIANTS,
    VIEWERS,
    Order,
    Payment,
    Tip,
    Viewer,
    WebhookNotification,
)
from commerce.money import Money, quantize
from commerce.views import (
    AwaitingPayment,
    LineRequest,
    NotificationView,
    OrderLineView,
    OrderStatus,
    OrderView,
    OutcomeKind,
    PaymentOutcome,
    PaymentReport,
    PaymentView,
    ProductSpec,
    ProductView,
    TipSource,
    TipStatus,
    TipView,
    VariantSpec,
    VariantView,
    ViewerRef,
)

T = TypeVar("T")

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed safely
ORDER_CODE_LENGTH = 10
TIP_CODE_LENGTH = 12
_RETRIES = 5
_HOLDING = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED)

# Payment statuses by precedence: a payment's known status only ever moves up this ladder,
# so a late "approved" cannot undo a "refunded" for the same provider payment.
_REVERSED = 3
_APPROVED = 2
_OTHER = 1
_RANK = {"refunded": _REVERSED, "charged_back": _REVERSED, "approved": _APPROVED}
_RANK["authorized"] = _APPROVED

# Payment.effect: what a provider payment already did, so it does each thing once.
_NO_EFFECT = ""
_PAID = "paid"
_REFUND_NEEDED = "refund_needed"
_REFUNDED = "refunded"


def new_code(length: int = ORDER_CODE_LENGTH) -> str:
    """A public code from `secrets`: 31**10 (about 8e14) possibilities for an order.

    One uniform draw below 31**length, written in base 31 (as uniform as `length` separate
    `secrets.choice` calls, at a fraction of the cost: this runs on every reservation)."""
    base = len(CODE_ALPHABET)
    draw = secrets.randbelow(base**length)
    digits = []
    for _ in range(length):
        draw, digit = divmod(draw, base)
        digits.append(CODE_ALPHABET[digit])
    return "".join(digits)


def canonical_variant_key(options: Mapping[str, str]) -> str:
    """`{"Talle": "M", "color": "rojo"}` -> "color=rojo,talle=M": names lower-cased and sorted."""
    pairs = sorted((name.strip().lower(), value.strip()) for name, value in options.items())
    return ",".join(f"{name}={value}" for name, value in pairs)


def parse_variant_key(key: str) -> dict[str, str] | None:
    """ "talle=M, color=rojo" -> options; None when `key` is not in name=value form."""
    options: dict[str, str] = {}
    for part in key.split(","):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            return None
        options[name.strip().lower()] = value.strip()
    return options


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime given to the store; use timezone-aware UTC")
    return now.astimezone(UTC)


def _rank(status: str) -> int:
    return _RANK.get(status, _OTHER)


def _minor(amount: Decimal, currency: str, what: str) -> int:
    """Exact minor units of an owner-given price; refuses prices the currency cannot express."""
    if isinstance(amount, float):
        raise TypeError("prices must be Decimal, not float")
    value = Decimal(amount)
    if not value.is_finite():
        raise errors.InvalidAmount(str(amount), "not_a_number")
    if value < 0:
        raise errors.InvalidAmount(str(amount), "negative")
    if quantize(value, currency) != value:
        raise errors.InvalidAmount(str(amount), "too_many_decimals")
    return Money(value, currency).minor


@dataclass(frozen=True, slots=True)
class _Target:
    """One stock row an order line draws from: a product, or one of its variants."""

    table: Table
    row_id: int
    sku: str

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.table.name, self.row_id)


class Store:
    """The store on one database (SQLite file or PostgreSQL). Thread-safe; sync by design."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self._engine = make_engine(self.url, echo=echo)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._dialect = self._engine.dialect.name

    def migrate(self) -> None:
        upgrade(self.url)

    def close(self) -> None:
        self._engine.dispose()

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

    def _insert_ignore(
        self, session: Session, table: Table, values: dict[str, Any], keys: list[str]
    ) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING; True when the row was new."""
        dialect: Any = postgresql if self._dialect == "postgresql" else sqlite
        stmt = (
            dialect.insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=keys)
            .returning(*table.primary_key.columns)
        )
        session.flush()
        return session.connection().execute(stmt).first() is not None

    # --- catalog / owner -----------------------------------------------------------------

    def sync_catalog(self, specs: list[ProductSpec]) -> list[ProductView]:
        """Upsert products by SKU and variants by key. Never deletes: variants missing from a
        spec are deactivated; products missing from `specs` are left as they are."""

        def work(s: Session) -> list[ProductView]:
            return [self._product_view(s, self._sync_one(s, spec)) for spec in specs]

        return self._tx(work)

    def _sync_one(self, s: Session, spec: ProductSpec) -> int:
        price_minor = _minor(spec.price, spec.currency, spec.sku)
        variant_stock = sum(v.stock for v in spec.variants)
        stock = variant_stock if spec.variants else spec.stock
        fields = {
            "name": spec.name,
            "aliases": list(spec.aliases),
            "description": spec.description,
            "price_minor": price_minor,
            "currency": spec.currency,
            "active": spec.active,
            "max_per_viewer": spec.max_per_viewer,
            "image_url": spec.image_url,
            "digital": spec.digital,
        }
        row = s.execute(
            select(PRODUCTS.c.id).where(PRODUCTS.c.sku == spec.sku).with_for_update()
        ).first()
        if row is None:
            if stock < 0:
                raise errors.StockBelowCommitted(spec.sku, stock, 0)
            product_id = int(
                s.execute(
                    PRODUCTS.insert()
                    .values(sku=spec.sku, stock=stock, reserved=0, sold=0, **fields)
                    .returning(PRODUCTS.c.id)
                ).scalar_one()
            )
        else:
            product_id = int(row.id)
            s.execute(update(PRODUCTS).where(PRODUCTS.c.id == product_id).values(**fields))
            if not spec.variants:
                self._set_row_stock(s, PRODUCTS, product_id, stock, spec.sku)
        self._sync_variants(s, product_id, spec)
        return product_id

    def _sync_variants(self, s: Session, product_id: int, spec: ProductSpec) -> None:
        existing = {
            r.key: int(r.id)
            for r in s.execute(
                select(VARIANTS.c.id, VARIANTS.c.key)
                .where(VARIANTS.c.product_id == product_id)
                .order_by(VARIANTS.c.id)
                .with_for_update()
            )
        }
        wanted: dict[str, VariantSpec] = {}
        for vspec in spec.variants:
            wanted[canonical_variant_key(vspec.options)] = vspec
        for key, variant_id in existing.items():
            if key not in wanted:
                s.execute(update(VARIANTS).where(VARIANTS.c.id == variant_id).values(active=False))
        for key, vspec in wanted.items():
            price = None if vspec.price is None else _minor(vspec.price, spec.currency, spec.sku)
            options = dict(
                sorted(
                    (name.strip().lower(), value.strip()) for name, value in vspec.options.items()
                )
            )
            if key in existing:
                s.execute(
                    update(VARIANTS)
                    .where(VARIANTS.c.id == existing[key])
                    .values(options=options, price_minor=price, active=True)
                )
                self._set_row_stock(s, VARIANTS, existing[key], vspec.stock, spec.sku)
            else:
                if vspec.stock < 0:
                    raise errors.StockBelowCommitted(spec.sku, vspec.stock, 0)
                s.execute(
                    VARIANTS.insert().values(
                        product_id=product_id,
                        key=key,
                        options=options,
                        stock=vspec.stock,
                        reserved=0,
                        sold=0,
                        price_minor=price,
                        active=True,
                    )
                )
        if spec.variants:
            self._refresh_variant_total(s, product_id, spec.sku)

    def _set_row_stock(self, s: Session, table: Table, row_id: int, stock: int, sku: str) -> None:
        """Set stock unless it would drop below what is already reserved or sold."""
        done = _rowcount(
            s,
            update(table)
            .where(table.c.id == row_id, table.c.reserved + table.c.sold <= stock)
            .values(stock=stock),
        )
        if done != 1:
            committed = s.execute(
                select(table.c.reserved + table.c.sold).where(table.c.id == row_id)
            ).scalar_one()
            raise errors.StockBelowCommitted(sku, stock, int(committed))

    def _refresh_variant_total(self, s: Session, product_id: int, sku: str) -> None:
        """A product with variants shows their summed stock (informational)."""
        total = s.execute(
            select(func.coalesce(func.sum(VARIANTS.c.stock), 0)).where(
                VARIANTS.c.product_id == product_id, VARIANTS.c.active.is_(True)
            )
        ).scalar_one()
        self._set_row_stock(s, PRODUCTS, product_id, int(total), sku)

    def list_products(self, include_inactive: bool = False) -> list[ProductView]:
        def work(s: Session) -> list[ProductView]:
            query = select(PRODUCTS.c.id).order_by(PRODUCTS.c.id)
            if not include_inactive:
                query = query.where(PRODUCTS.c.active.is_(True))
            return [self._product_view(s, int(i)) for i in s.execute(query).scalars()]

        return self._tx(work)

    def get_product(self, sku: str) -> ProductView:
        return self._tx(lambda s: self._product_view(s, self._product_id(s, sku)))

    def set_stock(self, sku: str, stock: int, variant_key: str | None = None) -> ProductView:
        def work(s: Session) -> ProductView:
            product_id = self._product_id(s, sku, lock=True)
            variants = self._variants(s, product_id)
            if variant_key is None:
                if variants:
                    raise errors.VariantRequired(sku, [v.key for v in variants])
                self._set_row_stock(s, PRODUCTS, product_id, stock, sku)
            else:
                variant_id = self._variant_id(s, sku, variants, variant_key)
                self._set_row_stock(s, VARIANTS, variant_id, stock, sku)
                self._refresh_variant_total(s, product_id, sku)
            return self._product_view(s, product_id)

        return self._tx(work)

    def set_price(self, sku: str, price: Decimal, variant_key: str | None = None) -> ProductView:
        def work(s: Session) -> ProductView:
            product_id = self._product_id(s, sku, lock=True)
            currency = s.execute(
                select(PRODUCTS.c.currency).where(PRODUCTS.c.id == product_id)
            ).scalar_one()
            minor = _minor(price, currency, sku)
            if minor == 0:
                raise errors.InvalidAmount(str(price), "zero")
            if variant_key is None:
                s.execute(
                    update(PRODUCTS).where(PRODUCTS.c.id == product_id).values(price_minor=minor)
                )
            else:
                variant_id = self._variant_id(s, sku, self._variants(s, product_id), variant_key)
                s.execute(
                    update(VARIANTS).where(VARIANTS.c.id == variant_id).values(price_minor=minor)
                )
            return self._product_view(s, product_id)

        return self._tx(work)

    def set_active(self, sku: str, active: bool) -> ProductView:
        def work(s: Session) -> ProductView:
            product_id = self._product_id(s, sku, lock=True)
            s.execute(update(PRODUCTS).where(PRODUCTS.c.id == product_id).values(active=active))
            return self._product_view(s, product_id)

        return self._tx(work)

    def set_open(self, open: bool) -> None:
        def work(s: Session) -> None:
            if not self._insert_ignore(s, STORE_STATE, {"id": 1, "open": open}, ["id"]):
                s.execute(update(STORE_STATE).where(STORE_STATE.c.id == 1).values(open=open))

        self._tx(work)

    def is_open(self) -> bool:
        return self._tx(self._is_open)

    @staticmethod
    def _is_open(s: Session) -> bool:
        value = s.execute(select(STORE_STATE.c.open).where(STORE_STATE.c.id == 1)).scalar()
        return True if value is None else bool(value)

    # --- dedupe --------------------------------------------------------------------------

    def claim_message(self, platform: str, message_id: str) -> bool:
        """True the first time a (platform, message id) is seen, False ever after."""
        values = {"platform": platform, "message_id": message_id, "created_at": _utc(None)}
        return self._tx(
            lambda s: self._insert_ignore(s, PROCESSED_MESSAGES, values, ["platform", "message_id"])
        )

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
        """Reserve every line or none, and open a pending order that expires after `ttl`.

        The hot path of a flash sale, so it skips the ORM (see commerce.fastpath): one
        transaction that locks the viewer, checks `max_per_viewer`, then takes stock with one
        conditional UPDATE per row, in row order."""
        at = _utc(now)
        if not lines:
            raise errors.InvalidQuantity(0)
        for line in lines:
            if line.quantity < 1:
                raise errors.InvalidQuantity(line.quantity)
        for attempt in range(_RETRIES):
            try:
                return self._reserver.reserve(
                    viewer, channel_id, lines, at=at, ttl=ttl, locale=locale
                )
            except OperationalError as exc:
                if attempt + 1 >= _RETRIES or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")

    @cached_property
    def _reserver(self) -> FastReserve:
        return FastReserve(self._engine, new_code=new_code, match_variant=self._match_variant)

    @staticmethod
    def _match_variant(sku: str, variants: Sequence[Any], requested: str) -> int:
        """Match a requested variant by options, any case: the full key, part of it
        ("talle=L") or a bare value ("L"), as long as exactly one variant fits."""
        keys = [v.key for v in variants]
        options = parse_variant_key(requested)

        def fits(v: Any) -> bool:
            have = {name: value.casefold() for name, value in v.options.items()}
            if options is None:
                return requested.strip().casefold() in have.values()
            return all(have.get(name) == value.casefold() for name, value in options.items())

        hits = [v for v in variants if fits(v)]
        if len(hits) == 1:
            return int(hits[0].id)
        if len(hits) > 1:
            raise errors.VariantRequired(sku, [v.key for v in hits])
        raise errors.VariantNotFound(sku, requested, keys)

    def set_order_link(self, code: str, payment_url: str, preference_id: str) -> OrderView:
        def work(s: Session) -> OrderView:
            order = self._lock_order(s, code)
            order.payment_url = payment_url
            order.preference_id = preference_id
            s.flush()
            return self._order_view(s, order)

        return self._tx(work)

    def get_order(self, code: str) -> OrderView:
        return self._tx(lambda s: self._order_view(s, self._find_order(s, code)))

    def viewer_orders(self, platform: str, user_id: str, limit: int = 5) -> list[OrderView]:
        """The viewer's latest orders, newest first."""

        def work(s: Session) -> list[OrderView]:
            orders = s.scalars(
                select(Order)
                .join_from(ORDERS, VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id)
                .where(VIEWERS.c.platform == platform, VIEWERS.c.platform_user_id == user_id)
                .order_by(ORDERS.c.created_at.desc(), ORDERS.c.id.desc())
                .limit(limit)
            ).all()
            return [self._order_view(s, o) for o in orders]

        return self._tx(work)

    def list_orders(self, status: OrderStatus | None = None, limit: int = 100) -> list[OrderView]:
        def work(s: Session) -> list[OrderView]:
            query = select(Order).order_by(ORDERS.c.created_at.desc(), ORDERS.c.id.desc())
            if status is not None:
                query = query.where(ORDERS.c.status == OrderStatus(status).value)
            return [self._order_view(s, o) for o in s.scalars(query.limit(limit)).all()]

        return self._tx(work)

    def cancel_order(self, code: str, viewer: ViewerRef | None = None) -> OrderView:
        """pending -> cancelled (stock released). A viewer may only cancel their own order."""

        def work(s: Session) -> OrderView:
            order = self._lock_order(s, code)
            if viewer is not None:
                owner = s.get(Viewer, order.viewer_id)
                if (
                    owner is None
                    or owner.platform != viewer.platform
                    or owner.platform_user_id != viewer.user_id
                ):
                    raise errors.OrderNotFound(code)
            if order.status == OrderStatus.CANCELLED:
                return self._order_view(s, order)
            if order.status != OrderStatus.PENDING:
                raise errors.InvalidTransition("order", order.status, OrderStatus.CANCELLED)
            order.status = OrderStatus.CANCELLED.value
            self._move(s, self._order_targets(s, [order]), reserved=-1)
            s.flush()
            return self._order_view(s, order)

        return self._tx(work)

    def expire_due(self, now: datetime | None = None) -> list[OrderView]:
        """pending orders past expires_at -> expired, stock released; pending tips likewise."""
        at = _utc(now)

        def work(s: Session) -> list[OrderView]:
            orders = s.scalars(
                select(Order)
                .where(ORDERS.c.status == OrderStatus.PENDING.value, ORDERS.c.expires_at <= at)
                .order_by(ORDERS.c.id)
                .with_for_update()
            ).all()
            for order in orders:
                order.status = OrderStatus.EXPIRED.value
            self._move(s, self._order_targets(s, orders), reserved=-1)
            s.execute(
                update(TIPS)
                .where(TIPS.c.status == TipStatus.PENDING.value, TIPS.c.expires_at <= at)
                .values(status=TipStatus.EXPIRED.value)
            )
            s.flush()
            return [self._order_view(s, o) for o in orders]

        return self._tx(work)

    def fulfill_order(self, code: str) -> OrderView:
        """paid -> fulfilled (the owner delivered). Repeating it changes nothing."""

        def work(s: Session) -> OrderView:
            order = self._lock_order(s, code)
            if order.status == OrderStatus.PAID:
                order.status = OrderStatus.FULFILLED.value
                s.flush()
            elif order.status != OrderStatus.FULFILLED:
                raise errors.InvalidTransition("order", order.status, OrderStatus.FULFILLED)
            return self._order_view(s, order)

        return self._tx(work)

    def refund_order(self, code: str) -> OrderView:
        """paid|fulfilled -> refunded; the units return to stock. Repeating it changes nothing."""

        def work(s: Session) -> OrderView:
            order = self._lock_order(s, code)
            if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
                order.status = OrderStatus.REFUNDED.value
                self._move(s, self._order_targets(s, [order]), sold=-1)
                s.flush()
            elif order.status != OrderStatus.REFUNDED:
                raise errors.InvalidTransition("order", order.status, OrderStatus.REFUNDED)
            return self._order_view(s, order)

        return self._tx(work)

    def pending_references(
        self, now: datetime | None = None, max_age: timedelta = timedelta(hours=48)
    ) -> list[str]:
        """Codes a reconciler should poll the provider for: pending orders and tips, plus
        expired ones created within `max_age` (a late payment must still be found)."""
        since = _utc(now) - max_age

        def codes(s: Session, table: Table, pending: str, expired: str) -> list[str]:
            query = (
                select(table.c.code)
                .where(
                    or_(
                        table.c.status == pending,
                        and_(table.c.status == expired, table.c.created_at >= since),
                    )
                )
                .order_by(table.c.id)
            )
            return [str(c) for c in s.execute(query).scalars()]

        def work(s: Session) -> list[str]:
            return codes(s, ORDERS, OrderStatus.PENDING, OrderStatus.EXPIRED) + codes(
                s, TIPS, TipStatus.PENDING, TipStatus.EXPIRED
            )

        return self._tx(work)

    def awaiting_payment(
        self, now: datetime | None = None, max_age: timedelta = timedelta(hours=48)
    ) -> list[AwaitingPayment]:
        """What a reconciler should poll, oldest first: pending orders and tips, plus expired or
        cancelled ones created within `max_age` (their payment links may still be paid)."""
        since = _utc(now) - max_age

        def rows(s: Session, table: Table, kind: str, pending: str, late: list[str]) -> list[Any]:
            query = select(table.c.code, table.c.status, table.c.created_at).where(
                or_(
                    table.c.status == pending,
                    and_(table.c.status.in_(late), table.c.created_at >= since),
                )
            )
            return [
                AwaitingPayment(
                    code=str(code),
                    kind=kind,
                    pending=status == pending,
                    created_at=created,  # UTCDateTime makes it aware, Core or ORM
                )
                for code, status, created in s.execute(query)
            ]

        def work(s: Session) -> list[AwaitingPayment]:
            found = rows(
                s,
                ORDERS,
                "order",
                OrderStatus.PENDING.value,
                [OrderStatus.EXPIRED.value, OrderStatus.CANCELLED.value],
            ) + rows(s, TIPS, "tip", TipStatus.PENDING.value, [TipStatus.EXPIRED.value])
            return sorted(found, key=lambda a: a.created_at)

        return self._tx(work)

    def payments_for(self, code: str) -> list[PaymentView]:
        """Every provider payment recorded against an order or tip, oldest first."""
        reference = code.strip().upper()

        def work(s: Session) -> list[PaymentView]:
            order = s.scalars(select(Order).where(ORDERS.c.code == reference)).first()
            if order is not None:
                where = PAYMENTS.c.order_id == order.id
            else:
                tip = s.scalars(select(Tip).where(TIPS.c.code == reference)).first()
                if tip is None:
                    raise errors.OrderNotFound(code)
                where = PAYMENTS.c.tip_id == tip.id
            found = s.scalars(select(Payment).where(where).order_by(PAYMENTS.c.id)).all()
            return [
                PaymentView(
                    provider=p.provider,
                    provider_payment_id=p.provider_payment_id,
                    status=p.status,
                    amount=Decimal(p.amount),
                    currency=p.currency,
                    reference=p.reference,
                    effect=p.effect,
                    mismatch=p.mismatch,
                    created_at=p.created_at,
                )
                for p in found
            ]

        return self._tx(work)

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

        def work(s: Session) -> int:
            row = WebhookNotification(
                provider=provider,
                topic=topic[:64],
                resource_id=resource_id[:128],
                verified=verified,
                raw=dict(raw or {}),
                received_at=at,
            )
            s.add(row)
            s.flush()
            assert row.id is not None
            return row.id

        return self._tx(work)

    def unprocessed_notifications(self, limit: int = 200) -> list[NotificationView]:
        """Notifications not yet processed, oldest first (after a restart too)."""

        def work(s: Session) -> list[NotificationView]:
            found = s.scalars(
                select(WebhookNotification)
                .where(NOTIFICATIONS.c.processed_at.is_(None))
                .order_by(NOTIFICATIONS.c.id)
                .limit(limit)
            ).all()
            return [_notification_view(n) for n in found]

        return self._tx(work)

    def get_notification(self, notification_id: int) -> NotificationView:
        def work(s: Session) -> NotificationView:
            row = s.get(WebhookNotification, notification_id)
            if row is None:
                raise LookupError(f"no notification {notification_id}")
            return _notification_view(row)

        return self._tx(work)

    def finish_notifications(
        self, ids: Iterable[int], outcome: str, now: datetime | None = None
    ) -> None:
        """Mark notifications processed; repeating it keeps the first outcome."""
        wanted = list(ids)
        if not wanted:
            return
        at = _utc(now)

        def work(s: Session) -> None:
            s.execute(
                update(NOTIFICATIONS)
                .where(NOTIFICATIONS.c.id.in_(wanted), NOTIFICATIONS.c.processed_at.is_(None))
                .values(processed_at=at, outcome=outcome[:32])
            )

        self._tx(work)

    def notifications_failed(self, ids: Iterable[int], error: str) -> None:
        """Count a failed attempt; the notifications stay unprocessed for the next one."""
        wanted = list(ids)
        if not wanted:
            return

        def work(s: Session) -> None:
            s.execute(
                update(NOTIFICATIONS)
                .where(NOTIFICATIONS.c.id.in_(wanted))
                .values(attempts=NOTIFICATIONS.c.attempts + 1, last_error=error[:2000])
            )

        self._tx(work)

    # --- payments ------------------------------------------------------------------------

    def record_payment(self, report: PaymentReport, now: datetime | None = None) -> PaymentOutcome:
        """Apply what the provider says about one payment; safe to repeat and to reorder."""
        at = _utc(now)
        reference = (report.external_reference or "").strip().upper()

        def work(s: Session) -> PaymentOutcome:
            order = s.scalars(select(Order).where(ORDERS.c.code == reference)).first()
            tip = None
            if order is None:
                tip = s.scalars(select(Tip).where(TIPS.c.code == reference)).first()
            if order is None and tip is None:
                return PaymentOutcome(OutcomeKind.UNKNOWN_REFERENCE, detail=reference)
            if order is not None:
                expected = Money.from_minor(order.total_minor, order.currency)
            else:
                assert tip is not None
                expected = Money.from_minor(tip.amount_minor, tip.currency)
            matches = _same_money(report.amount, report.currency, expected)
            payment = self._payment_row(s, report, at, order, tip, mismatch=not matches)
            same_target = payment.order_id == (order.id if order else None) and (
                payment.tip_id == (tip.id if tip else None)
            )
            if not matches or not same_target:
                return self._outcome(s, OutcomeKind.MISMATCH, order, tip, "amount_or_reference")
            # A status seen only with a wrong amount never counts toward precedence.
            if payment.mismatch or _rank(report.status) >= _rank(payment.status):
                payment.status = report.status
                payment.raw = dict(report.raw)
                payment.mismatch = False
            payment.updated_at = at
            if order is not None:
                order = self._lock_order(s, order.code)
                return self._apply_to_order(s, payment, order, at)
            assert tip is not None
            tip = self._lock_tip(s, tip.code)
            return self._apply_to_tip(s, payment, tip, at)

        return self._tx(work)

    def _payment_row(
        self,
        s: Session,
        report: PaymentReport,
        at: datetime,
        order: Order | None,
        tip: Tip | None,
        *,
        mismatch: bool,
    ) -> Payment:
        """The locked Payment row for this provider payment, created on first sight."""
        self._insert_ignore(
            s,
            PAYMENTS,
            {
                "provider": report.provider,
                "provider_payment_id": report.provider_payment_id,
                "status": report.status,
                "amount": str(report.amount),
                "currency": report.currency,
                "reference": report.external_reference,
                "raw": dict(report.raw),
                "order_id": order.id if order is not None else None,
                "tip_id": tip.id if tip is not None else None,
                "effect": _NO_EFFECT,
                "mismatch": mismatch,
                "created_at": at,
                "updated_at": at,
            },
            ["provider", "provider_payment_id"],
        )
        return s.scalars(
            select(Payment)
            .where(
                PAYMENTS.c.provider == report.provider,
                PAYMENTS.c.provider_payment_id == report.provider_payment_id,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()

    def _apply_to_order(
        self, s: Session, payment: Payment, order: Order, at: datetime
    ) -> PaymentOutcome:
        rank = _rank(payment.status)
        if rank == _OTHER:
            return self._outcome(s, OutcomeKind.NOT_PAID, order, None, payment.status)
        if payment.effect == _NO_EFFECT:
            first = self._approve_order(s, payment, order, at)
            if rank == _APPROVED:
                return first
        elif rank == _APPROVED or payment.effect == _REFUNDED:
            return self._outcome(s, OutcomeKind.DUPLICATE, order, None, payment.effect)
        # The payment was reversed (refund or chargeback) after it took effect.
        effect, payment.effect = payment.effect, _REFUNDED
        if effect == _REFUND_NEEDED:
            order.needs_refund = False
            s.flush()
            return self._outcome(s, OutcomeKind.REFUNDED, order, None, "refund_done")
        if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
            order.status = OrderStatus.REFUNDED.value
            self._move(s, self._order_targets(s, [order]), sold=-1)
            s.flush()
            return self._outcome(s, OutcomeKind.REFUNDED, order, None, payment.status)
        return self._outcome(s, OutcomeKind.DUPLICATE, order, None, "already_refunded")

    def _approve_order(
        self, s: Session, payment: Payment, order: Order, at: datetime
    ) -> PaymentOutcome:
        """The first approval of this payment: pay the order, or flag it for refund."""
        detail = ""
        if order.status == OrderStatus.PENDING:
            self._move(s, self._order_targets(s, [order]), reserved=-1, sold=1)
        elif order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
            if not self._sell_again(s, order):
                order.needs_refund = True
                payment.effect = _REFUND_NEEDED
                s.flush()
                return self._outcome(s, OutcomeKind.REFUND_NEEDED, order, None, "out_of_stock")
            detail = "late"
        else:
            # Paid twice (or paid after a refund): the owner must give this payment back.
            order.needs_refund = True
            payment.effect = _REFUND_NEEDED
            s.flush()
            return self._outcome(s, OutcomeKind.REFUND_NEEDED, order, None, "already_paid")
        order.status = OrderStatus.PAID.value
        order.paid_at = at
        order.paid_by_payment_id = payment.id
        payment.effect = _PAID
        s.flush()
        return self._outcome(s, OutcomeKind.ORDER_PAID, order, None, detail)

    def _sell_again(self, s: Session, order: Order) -> bool:
        """Sell an expired order's units straight from stock if every line still fits."""
        savepoint = s.begin_nested()
        for target, quantity in sorted(
            self._order_targets(s, [order]).items(), key=lambda kv: kv[0].sort_key
        ):
            table = target.table
            done = _rowcount(
                s,
                update(table)
                .where(
                    table.c.id == target.row_id,
                    table.c.stock - table.c.reserved - table.c.sold >= quantity,
                )
                .values(sold=table.c.sold + quantity),
            )
            if done != 1:
                savepoint.rollback()
                return False
        savepoint.commit()
        return True

    def _apply_to_tip(self, s: Session, payment: Payment, tip: Tip, at: datetime) -> PaymentOutcome:
        rank = _rank(payment.status)
        if rank == _OTHER:
            return self._outcome(s, OutcomeKind.NOT_PAID, None, tip, payment.status)
        if payment.effect == _NO_EFFECT:
            if tip.status in (TipStatus.PENDING, TipStatus.EXPIRED):
                tip.status = TipStatus.PAID.value
                tip.paid_at = at
                tip.paid_by_payment_id = payment.id
                payment.effect = _PAID
                first = self._outcome(s, OutcomeKind.TIP_PAID, None, tip, "")
            else:
                payment.effect = _REFUND_NEEDED
                first = self._outcome(s, OutcomeKind.REFUND_NEEDED, None, tip, "already_paid")
            s.flush()
            if rank == _APPROVED:
                return first
        elif rank == _APPROVED or payment.effect == _REFUNDED:
            return self._outcome(s, OutcomeKind.DUPLICATE, None, tip, payment.effect)
        effect, payment.effect = payment.effect, _REFUNDED
        if effect == _PAID and tip.status == TipStatus.PAID:
            tip.status = TipStatus.REFUNDED.value
        s.flush()
        return self._outcome(s, OutcomeKind.REFUNDED, None, tip, payment.status)

    def _outcome(
        self, s: Session, kind: OutcomeKind, order: Order | None, tip: Tip | None, detail: str
    ) -> PaymentOutcome:
        return PaymentOutcome(
            kind,
            order=self._order_view(s, order) if order is not None else None,
            tip=self._tip_view(s, tip) if tip is not None else None,
            detail=detail,
        )

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
    ) -> TipView:
        """A link tip waits for payment; bits and Super Chats arrive paid. The same
        `external_id` (on the same platform) always yields the same tip."""
        at = _utc(now)
        if amount.amount <= 0:
            raise errors.InvalidAmount(
                str(amount.amount), "zero" if amount.amount == 0 else "negative"
            )
        source = TipSource(source)

        def existing(s: Session) -> Tip | None:
            if external_id is None:
                return None
            return s.scalars(
                select(Tip).where(
                    TIPS.c.platform == viewer.platform, TIPS.c.external_id == external_id
                )
            ).first()

        def work(s: Session) -> TipView:
            found = existing(s)
            if found is not None:
                return self._tip_view(s, found)
            paid = source is not TipSource.LINK
            tip = Tip(
                code=new_code(TIP_CODE_LENGTH),
                viewer_id=self._viewer_id(s, viewer),
                platform=viewer.platform,
                channel_id=channel_id,
                locale=locale,
                amount_minor=amount.minor,
                currency=amount.currency,
                message=message,
                source=source.value,
                status=(TipStatus.PAID if paid else TipStatus.PENDING).value,
                created_at=at,
                expires_at=None if paid else at + ttl,
                paid_at=at if paid else None,
                external_id=external_id,
            )
            try:
                with s.begin_nested():
                    s.add(tip)
            except IntegrityError:
                found = existing(s)
                if found is None:
                    raise
                return self._tip_view(s, found)
            return self._tip_view(s, tip)

        return self._tx(work)

    def set_tip_link(self, code: str, payment_url: str, preference_id: str) -> TipView:
        def work(s: Session) -> TipView:
            tip = self._lock_tip(s, code)
            tip.payment_url = payment_url
            tip.preference_id = preference_id
            s.flush()
            return self._tip_view(s, tip)

        return self._tx(work)

    def get_tip(self, code: str) -> TipView:
        return self._tx(lambda s: self._tip_view(s, self._lock_tip(s, code, lock=False)))

    def list_tips(self, limit: int = 100) -> list[TipView]:
        def work(s: Session) -> list[TipView]:
            tips = s.scalars(
                select(Tip).order_by(TIPS.c.created_at.desc(), TIPS.c.id.desc()).limit(limit)
            ).all()
            return [self._tip_view(s, t) for t in tips]

        return self._tx(work)

    # --- rows ----------------------------------------------------------------------------

    def _product_id(self, s: Session, sku: str, *, lock: bool = False) -> int:
        query = select(PRODUCTS.c.id).where(PRODUCTS.c.sku == sku)
        found = s.execute(query.with_for_update() if lock else query).scalar()
        if found is None:
            query = select(PRODUCTS.c.id).where(func.lower(PRODUCTS.c.sku) == sku.lower())
            found = s.execute(query.with_for_update() if lock else query).scalar()
        if found is None:
            raise errors.ProductNotFound(sku)
        return int(found)

    @staticmethod
    def _variants(s: Session, product_id: int) -> list[Any]:
        return list(
            s.execute(
                select(VARIANTS)
                .where(VARIANTS.c.product_id == product_id, VARIANTS.c.active.is_(True))
                .order_by(VARIANTS.c.id)
            ).all()
        )

    @staticmethod
    def _variant_id(s: Session, sku: str, variants: list[Any], requested: str) -> int:
        """The id of the one variant `requested` names (see `_match_variant`)."""
        return Store._match_variant(sku, variants, requested)

    def _viewer_id(self, s: Session, viewer: ViewerRef) -> int:
        """Find or create the viewer, locking the row so per-viewer limits are race-free."""
        self._insert_ignore(
            s,
            VIEWERS,
            {
                "platform": viewer.platform,
                "platform_user_id": viewer.user_id,
                "display_name": viewer.display_name,
            },
            ["platform", "platform_user_id"],
        )
        row = s.execute(
            select(VIEWERS.c.id, VIEWERS.c.display_name)
            .where(
                VIEWERS.c.platform == viewer.platform,
                VIEWERS.c.platform_user_id == viewer.user_id,
            )
            .with_for_update()
        ).one()
        if row.display_name != viewer.display_name:
            s.execute(
                update(VIEWERS)
                .where(VIEWERS.c.id == row.id)
                .values(display_name=viewer.display_name)
            )
        return int(row.id)

    @staticmethod
    def _find_order(s: Session, code: str) -> Order:
        order = s.scalars(select(Order).where(ORDERS.c.code == code.strip().upper())).first()
        if order is None:
            raise errors.OrderNotFound(code)
        return order

    @staticmethod
    def _lock_order(s: Session, code: str) -> Order:
        order = s.scalars(
            select(Order)
            .where(ORDERS.c.code == code.strip().upper())
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if order is None:
            raise errors.OrderNotFound(code)
        return order

    @staticmethod
    def _lock_tip(s: Session, code: str, *, lock: bool = True) -> Tip:
        query = select(Tip).where(TIPS.c.code == code.strip().upper())
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        tip = s.scalars(query).first()
        if tip is None:
            raise errors.TipNotFound(code)
        return tip

    @staticmethod
    def _order_targets(s: Session, orders: Iterable[Order]) -> dict[_Target, int]:
        """Units per stock row across `orders`, so releases touch each row once, in order."""
        ids = [o.id for o in orders]
        totals: dict[_Target, int] = defaultdict(int)
        if not ids:
            return totals
        rows = s.execute(
            select(
                ORDER_LINES.c.product_id,
                ORDER_LINES.c.variant_id,
                ORDER_LINES.c.quantity,
                PRODUCTS.c.sku,
            )
            .select_from(ORDER_LINES.join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id))
            .where(ORDER_LINES.c.order_id.in_(ids))
        )
        for r in rows:
            if r.variant_id is None:
                target = _Target(PRODUCTS, int(r.product_id), r.sku)
            else:
                target = _Target(VARIANTS, int(r.variant_id), r.sku)
            totals[target] += int(r.quantity)
        return totals

    @staticmethod
    def _move(s: Session, targets: dict[_Target, int], *, reserved: int = 0, sold: int = 0) -> None:
        """Shift units between reserved / sold / free with guarded UPDATEs; the guards can
        only fail if the store's own bookkeeping is broken, which must never pass silently."""
        for target in sorted(targets, key=lambda t: t.sort_key):
            quantity = targets[target]
            table = target.table
            guards = [table.c.id == target.row_id]
            values: dict[str, Any] = {}
            if reserved:
                values["reserved"] = table.c.reserved + reserved * quantity
                if reserved < 0:
                    guards.append(table.c.reserved >= quantity)
            if sold:
                values["sold"] = table.c.sold + sold * quantity
                if sold < 0:
                    guards.append(table.c.sold >= quantity)
            done = _rowcount(s, update(table).where(*guards).values(**values))
            if done != 1:
                raise RuntimeError(f"stock bookkeeping broken for {target.sku} ({table.name})")

    # --- views ---------------------------------------------------------------------------

    def _product_view(self, s: Session, product_id: int) -> ProductView:
        p = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == product_id)).one()
        price = Money.from_minor(p.price_minor, p.currency)
        variants = tuple(
            VariantView(
                id=int(v.id),
                key=v.key,
                options=dict(v.options),
                price=price
                if v.price_minor is None
                else Money.from_minor(v.price_minor, p.currency),
                stock=int(v.stock),
                available=int(v.stock - v.reserved - v.sold),
            )
            for v in self._variants(s, product_id)
        )
        if variants:
            available = sum(v.available for v in variants)
        else:
            available = int(p.stock - p.reserved - p.sold)
        return ProductView(
            id=int(p.id),
            sku=p.sku,
            name=p.name,
            aliases=tuple(p.aliases or ()),
            description=p.description,
            price=price,
            stock=int(p.stock),
            available=available,
            active=bool(p.active),
            max_per_viewer=p.max_per_viewer,
            image_url=p.image_url,
            digital=bool(p.digital),
            variants=variants,
        )

    @staticmethod
    def _viewer_ref(s: Session, viewer_id: int) -> ViewerRef:
        v = s.execute(select(VIEWERS).where(VIEWERS.c.id == viewer_id)).one()
        return ViewerRef(v.platform, v.platform_user_id, v.display_name)

    def _order_view(self, s: Session, order: Order) -> OrderView:
        rows = s.execute(
            select(
                ORDER_LINES.c.quantity,
                ORDER_LINES.c.unit_price_minor,
                PRODUCTS.c.sku,
                PRODUCTS.c.name,
                VARIANTS.c.key,
            )
            .select_from(
                ORDER_LINES.join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id).outerjoin(
                    VARIANTS, VARIANTS.c.id == ORDER_LINES.c.variant_id
                )
            )
            .where(ORDER_LINES.c.order_id == order.id)
            .order_by(ORDER_LINES.c.id)
        )
        lines = tuple(
            OrderLineView(
                sku=r.sku,
                product_name=r.name,
                variant_key=r.key,
                quantity=int(r.quantity),
                unit_price=Money.from_minor(r.unit_price_minor, order.currency),
            )
            for r in rows
        )
        return OrderView(
            code=order.code,
            status=OrderStatus(order.status),
            viewer=self._viewer_ref(s, order.viewer_id),
            platform=order.platform,
            channel_id=order.channel_id,
            lines=lines,
            total=Money.from_minor(order.total_minor, order.currency),
            created_at=order.created_at,
            expires_at=order.expires_at,
            payment_url=order.payment_url,
            preference_id=order.preference_id,
            paid_at=order.paid_at,
            needs_refund=bool(order.needs_refund),
            locale=order.locale,
        )

    def _tip_view(self, s: Session, tip: Tip) -> TipView:
        return TipView(
            code=tip.code,
            status=TipStatus(tip.status),
            viewer=self._viewer_ref(s, tip.viewer_id),
            platform=tip.platform,
            channel_id=tip.channel_id,
            amount=Money.from_minor(tip.amount_minor, tip.currency),
            message=tip.message,
            source=TipSource(tip.source),
            created_at=tip.created_at,
            payment_url=tip.payment_url,
            preference_id=tip.preference_id,
            paid_at=tip.paid_at,
            locale=tip.locale,
        )


def _notification_view(n: WebhookNotification) -> NotificationView:
    assert n.id is not None
    return NotificationView(
        id=n.id,
        provider=n.provider,
        topic=n.topic,
        resource_id=n.resource_id,
        verified=n.verified,
        received_at=n.received_at,
        attempts=n.attempts,
        processed_at=n.processed_at,
        outcome=n.outcome,
    )


def _same_money(amount: Decimal, currency: str, expected: Money) -> bool:
    """The provider's amount equals what we asked for, to the currency's last unit."""
    if currency.upper() != expected.currency:
        return False
    try:
        value = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
        return value.is_finite() and quantize(value, expected.currency) == expected.amount
    except (InvalidOperation, ValueError, TypeError):
        return False


def _rowcount(s: Session, stmt: Any) -> int:
    """Rows a DML statement touched (flushing ORM changes first, as Session.execute would)."""
    s.flush()
    return int(s.connection().execute(stmt).rowcount)


def _retryable(exc: OperationalError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in ("40P01", "40001", "55P03"):
        return True
    return "database is locked" in str(exc.orig)


__all__ = [
    "CODE_ALPHABET",
    "Store",
    "canonical_variant_key",
    "new_code",
    "parse_variant_key",
]
