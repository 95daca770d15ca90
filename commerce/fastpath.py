"""The reservation hot path: `Store.reserve` on the DBAPI cursor, without the ORM.

A flash sale is many viewers typing `!comprar` at once, so a reservation is a handful of
prepared statements in one transaction, no unit-of-work and no read-back:

1. per line, one SELECT of the product with its active variants (and, on the first line,
   whether the store is open);
2. the viewer upserted and locked with `INSERT ... ON CONFLICT DO UPDATE ... RETURNING id`;
3. the viewer's held units, only for products with a `max_per_viewer`;
4. ONE conditional UPDATE per stock row, in (table, id) order:
   `SET reserved = reserved + :q WHERE id = :id AND stock - reserved - sold >= :q`;
5. the order and its lines inserted (`RETURNING id`), and the OrderView built from values in
   hand.

One viewer, one cart: between steps 2 and 3 one indexed SELECT looks for the viewer's
pending order in the same platform and channel (and currency) that has not yet expired. When
there is one, and no payment for it is under way (a provider payment recorded as pending,
in_process, authorized or in_mediation: its amount is the old total), step 5 adds to it
instead: a line for the same product, variant and unit price grows by the quantity, others
are inserted; the total is recomputed; the expiry moves to `at + ttl` if that is later
(the buyer just got a new link to pay; adding is a purchase, so the hold grows only with
stock actually taken, and `max_per_viewer` counts the whole cart); the revision goes up and
the payment link is cleared, its preference kept in `superseded_links` with the total it
asked for, so a payment of the old link is recognised (commerce.ledger) rather than lost.
The stock is taken exactly as for a new order, so a merge is all-or-nothing too.

Errors are the store's, raised in the same order and with the same details as before: extra
queries (what is left of a row, whether the store is open when a SKU is missing) run only
after the fast statement came back empty. Database errors surface as SQLAlchemy's
exceptions, exactly as from a Session, so `Store` retries deadlocks and busy databases alike.

The SQL is written once with `:name` parameters (sqlite3's style) and translated once to
`%(name)s` for psycopg; columns with Python-side defaults on the models are filled in here.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Column, Engine, Table
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

from commerce import coupons, errors
from commerce.flash_sales import sale_price_minor
from commerce.models import ORDER_LINES, ORDERS, PRODUCTS, SUPERSEDED_LINKS, VARIANTS
from commerce.money import Money
from commerce.views import (
    LineRequest,
    OrderLineView,
    OrderStatus,
    OrderView,
    ViewerRef,
)

# Order statuses that hold units against a viewer's `max_per_viewer`.
HOLDING = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.FULFILLED)

_PRODUCT_COLUMNS = """
SELECT p.id, p.sku, p.name, p.price_minor, p.currency, p.active, p.max_per_viewer,
       (SELECT st.open FROM store_state st WHERE st.id = 1),
       v.id, v.key, v.options, v.price_minor
FROM products p LEFT JOIN variants v ON v.product_id = p.id AND v.active
"""
_PRODUCT_BY_SKU = _PRODUCT_COLUMNS + "WHERE p.sku = :sku ORDER BY v.id"
_PRODUCT_BY_ID = _PRODUCT_COLUMNS + "WHERE p.id = :id ORDER BY v.id"
_PRODUCT_ID_ANY_CASE = "SELECT id FROM products WHERE lower(sku) = :sku"
_STORE_OPEN = "SELECT open FROM store_state WHERE id = 1"
_UPSERT_VIEWER = (
    "INSERT INTO viewers (platform, platform_user_id, display_name) "
    "VALUES (:platform, :user_id, :display_name) "
    "ON CONFLICT (platform, platform_user_id) "
    "DO UPDATE SET display_name = excluded.display_name "
    "RETURNING id"
)
_HELD = (
    "SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l "
    "JOIN orders o ON o.id = l.order_id "
    "WHERE o.viewer_id = :viewer_id AND l.product_id = :product_id "
    f"AND o.status IN ({', '.join(repr(s.value) for s in HOLDING)})"
)
_TAKE = {
    table.name: f"UPDATE {table.name} SET reserved = reserved + :q "
    "WHERE id = :id AND stock - reserved - sold >= :q"
    for table in (PRODUCTS, VARIANTS)
}
_AVAILABLE = {
    table.name: f"SELECT stock - reserved - sold FROM {table.name} WHERE id = :id"
    for table in (PRODUCTS, VARIANTS)
}

# Provider payment statuses that may still complete for the amount they were started with:
# an order with one of these is not added to (its total must not change under the payment).
IN_PROGRESS = ("pending", "in_process", "authorized", "in_mediation")

_CART = (
    "SELECT id, code, total_minor, expires_at, revision, payment_url, preference_id, "
    "locale, created_at FROM orders "
    "WHERE viewer_id = :viewer_id AND status = 'pending' AND platform = :platform "
    "AND channel_id = :channel_id AND currency = :currency ORDER BY id DESC LIMIT 1"
)
_PAYING = (
    "SELECT 1 FROM payments WHERE order_id = :order_id "
    f"AND status IN ({', '.join(repr(s) for s in IN_PROGRESS)}) LIMIT 1"
)
_CART_LINES = (
    "SELECT id, product_id, variant_id, unit_price_minor, flash_sale_id FROM order_lines "
    "WHERE order_id = :order_id"
)
# The flash sales on at the reservation's instant (commerce.flash_sales): read ONCE per
# reservation, so every line of it gets the same answer even as a sale ends meanwhile.
_FLASH_ON = (
    "SELECT id, product_id, percent, price_minor, max_per_buyer FROM flash_sales "
    "WHERE ended_at IS NULL AND starts_at <= :at AND ends_at > :at"
)
_FLASH_HELD = (
    "SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l "
    "JOIN orders o ON o.id = l.order_id "
    "WHERE o.viewer_id = :viewer_id AND l.flash_sale_id = :sale_id "
    f"AND o.status IN ({', '.join(repr(s.value) for s in HOLDING)})"
)
_CART_COUPON = (
    "SELECT u.id, u.discount_minor, c.kind, c.percent, c.amount_minor, c.code "
    "FROM coupon_uses u JOIN coupons c ON c.id = u.coupon_id WHERE u.order_id = :order_id"
)
_SET_DISCOUNT = "UPDATE coupon_uses SET discount_minor = :discount WHERE id = :id"
_GROW_LINE = "UPDATE order_lines SET quantity = quantity + :q WHERE id = :id"
_UPDATE_CART = (
    "UPDATE orders SET total_minor = :total, expires_at = :expires_at, "
    "revision = revision + 1, payment_url = NULL, preference_id = NULL WHERE id = :id"
)
_VIEW_LINES = (
    "SELECT l.quantity, l.unit_price_minor, p.sku, p.name, v.key FROM order_lines l "
    "JOIN products p ON p.id = l.product_id LEFT JOIN variants v ON v.id = l.variant_id "
    "WHERE l.order_id = :order_id ORDER BY l.id"
)

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def _busy(exc: OperationalError) -> bool:
    """SQLite's lock was taken by someone else (the only thing `reserve_now` gives up on)."""
    return "database is locked" in str(exc.orig)


class VariantRow(NamedTuple):
    """An active variant, shaped like the rows `commerce.codes.match_variant` matches against."""

    id: int
    key: str
    options: dict[str, str]
    price_minor: int | None


class _Product(NamedTuple):
    id: int
    sku: str
    name: str
    price_minor: int
    currency: str
    active: bool
    max_per_viewer: int | None
    store_open: bool
    variants: list[VariantRow]


class _Line(NamedTuple):
    """One resolved request line: the stock row it draws from and what it costs."""

    table: str  # "products" or "variants": the sort order of the row locks
    row_id: int
    product: _Product
    variant: VariantRow | None
    price_minor: int
    flash_sale_id: int | None = None  # the sale that set `price_minor`, if one did
    regular_minor: int | None = None  # the price without that sale


class _Flash(NamedTuple):
    id: int
    percent: int | None
    price_minor: int | None
    max_per_buyer: int | None


class _Cart(NamedTuple):
    """The viewer's pending order that new lines join, as read (and, on PostgreSQL, locked)."""

    id: int
    code: str
    total_minor: int
    expires_at: datetime
    revision: int
    payment_url: str | None
    preference_id: str | None
    locale: str
    created_at: datetime


class _Insert:
    """`INSERT INTO table (...) VALUES (...) [RETURNING id]` for the given columns plus every
    column with a Python-side default on the model, with the dialect's bind processors."""

    def __init__(self, engine: Engine, table: Table, given: Sequence[str], returning: bool):
        dialect = engine.dialect
        # Model-side defaults (a SQLModel field's `= False`): (column, value, is a callable).
        self._defaults: list[tuple[str, Any, bool]] = []
        for column in table.columns:
            default: Any = column.default
            if column.name in given or column.primary_key or default is None:
                continue
            if default.is_scalar or default.is_callable:
                self._defaults.append((column.name, default.arg, bool(default.is_callable)))
        names = [*given, *(name for name, _, _ in self._defaults)]
        self._processors: list[tuple[str, Callable[[Any], Any]]] = []
        for name in names:
            column_: Column[Any] = table.columns[name]
            processor = column_.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors.append((name, processor))
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join(':' + n for n in names)})"
        )
        self.sql = sql + " RETURNING id" if returning else sql

    def params(self, values: dict[str, Any]) -> dict[str, Any]:
        for name, default, is_callable in self._defaults:
            values[name] = default(None) if is_callable else default
        for name, processor in self._processors:
            values[name] = processor(values[name])
        return values


class FastReserve:
    """`Store.reserve`'s transaction on one engine (SQLite or PostgreSQL on psycopg 3)."""

    def __init__(
        self,
        engine: Engine,
        *,
        new_code: Callable[[], str],
        match_variant: Callable[[str, list[VariantRow], str], int],
        connect_now: Callable[[], Any] | None = None,
    ) -> None:
        """`connect_now` opens a DBAPI connection to the same database that never waits for
        a lock (commerce.db.sqlite_connect_now): with it, `reserve_now` can run the
        reservation on the event loop's thread, with no hop to a worker thread and back."""
        self._engine = engine
        self._connect_now = connect_now
        self._now_connection: Any = None
        self._now_lock = threading.Lock()
        self._now_closed = False
        self._dialect = engine.dialect
        self._sqlite = self._dialect.name == "sqlite"
        if self._dialect.name not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"no reservation fast path for {self._dialect.name}")
        self._dbapi_error: type[Exception] = self._dialect.loaded_dbapi.Error
        self._new_code = new_code
        self._match_variant = match_variant
        self._order = _Insert(
            engine,
            ORDERS,
            [
                "code",
                "viewer_id",
                "platform",
                "channel_id",
                "locale",
                "status",
                "total_minor",
                "currency",
                "created_at",
                "expires_at",
            ],
            returning=True,
        )
        self._line = _Insert(
            engine,
            ORDER_LINES,
            [
                "order_id",
                "product_id",
                "variant_id",
                "quantity",
                "unit_price_minor",
                "flash_sale_id",
            ],
            returning=False,
        )
        self._superseded = _Insert(
            engine,
            SUPERSEDED_LINKS,
            [
                "order_id",
                "revision",
                "preference_id",
                "payment_url",
                "total_minor",
                "currency",
                "superseded_at",
            ],
            returning=False,
        )
        when = ORDERS.c.expires_at.type.dialect_impl(self._dialect)
        self._when_in: Callable[[Any], Any] = when.bind_processor(self._dialect) or (lambda v: v)
        self._when_out: Callable[[Any], Any] = when.result_processor(self._dialect, None) or (
            lambda v: v
        )
        self._cart_sql = _CART if self._sqlite else _CART + " FOR UPDATE"
        self._sql: dict[str, str] = {}

    def _q(self, sql: str) -> str:
        """The statement in the driver's parameter style (translated once, then cached)."""
        found = self._sql.get(sql)
        if found is None:
            found = sql if self._sqlite else _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
            self._sql[sql] = found
        return found

    # --- the transaction ---------------------------------------------------------------

    def reserve(
        self,
        viewer: ViewerRef,
        channel_id: str,
        lines: list[LineRequest],
        *,
        at: datetime,
        ttl: timedelta,
        locale: str,
    ) -> OrderView:
        """One transaction: commit on success, roll back on any error (DBAPI errors raised
        as SQLAlchemy's, as a Session would)."""
        fairy = self._engine.raw_connection()
        try:
            return self._transaction(fairy, viewer, channel_id, lines, at, ttl, locale)
        finally:
            fairy.close()

    def reserve_now(
        self,
        viewer: ViewerRef,
        channel_id: str,
        lines: list[LineRequest],
        *,
        at: datetime,
        ttl: timedelta,
        locale: str,
    ) -> OrderView | None:
        """The same transaction on the caller's thread, only if it can start without waiting:
        None (nothing done) when there is no connection that never waits (see __init__'s
        `connect_now`), the Store's own connection is in use or wanted by another thread
        (whoever waits for it goes first), or SQLite's write lock is taken. A lock lost
        half-way is a rollback and None too: the caller then runs `reserve` as usual."""
        if self._connect_now is None or self._pool_busy():
            return None
        if not self._now_lock.acquire(blocking=False):
            return None
        try:
            if self._now_closed:
                return None
            connection = self._now_connection
            if connection is None:
                connection = self._now_connection = self._connect_now()
            try:
                return self._transaction(connection, viewer, channel_id, lines, at, ttl, locale)
            except OperationalError as exc:
                if _busy(exc):
                    return None
                raise
        finally:
            self._now_lock.release()

    @property
    def reserves_now(self) -> bool:
        """Whether `reserve_now` can ever reserve (it has `connect_now` and is not closed)."""
        return self._connect_now is not None and not self._now_closed

    def close(self) -> None:
        """Close the connection `reserve_now` keeps; it answers None from then on."""
        with self._now_lock:
            self._now_closed = True
            if self._now_connection is not None:
                self._now_connection.close()
                self._now_connection = None

    def _pool_busy(self) -> bool:
        pool = self._engine.pool
        return not isinstance(pool, QueuePool) or pool.checkedout() > 0

    def _transaction(
        self,
        connection: Any,
        viewer: ViewerRef,
        channel_id: str,
        lines: list[LineRequest],
        at: datetime,
        ttl: timedelta,
        locale: str,
    ) -> OrderView:
        cursor = connection.cursor()
        try:
            if self._sqlite:
                self._execute(cursor, "BEGIN IMMEDIATE", None)
            view = self._work(cursor, viewer, channel_id, lines, at, ttl, locale)
            try:
                connection.commit()
            except self._dbapi_error as exc:
                raise self._wrap(connection, cursor, "COMMIT", None, exc) from exc
            return view
        except BaseException:
            self._abort(connection)
            raise
        finally:
            cursor.close()

    def _work(
        self,
        cursor: Any,
        viewer: ViewerRef,
        channel_id: str,
        lines: list[LineRequest],
        at: datetime,
        ttl: timedelta,
        locale: str,
    ) -> OrderView:
        resolved = [self._resolve(cursor, line, first=i == 0) for i, line in enumerate(lines)]
        resolved, flash_limits = self._flash_priced(cursor, resolved, at)
        currencies = {r.product.currency for r in resolved}
        if len(currencies) != 1:
            raise ValueError(f"one order cannot mix currencies: {sorted(currencies)}")
        currency = currencies.pop()

        viewer_id = int(
            self._one(
                cursor,
                _UPSERT_VIEWER,
                {
                    "platform": viewer.platform,
                    "user_id": viewer.user_id,
                    "display_name": viewer.display_name,
                },
            )[0]
        )
        cart = self._cart(cursor, viewer_id, viewer.platform, channel_id, currency, at)
        self._check_limits(cursor, viewer_id, resolved, lines)
        self._check_flash_limits(cursor, viewer_id, resolved, lines, flash_limits)

        wanted: dict[tuple[str, int], int] = defaultdict(int)
        skus: dict[tuple[str, int], str] = {}
        for r, line in zip(resolved, lines, strict=True):
            wanted[(r.table, r.row_id)] += line.quantity
            skus[(r.table, r.row_id)] = r.product.sku
        for target in sorted(wanted):
            self._take(cursor, target, skus[target], wanted[target])

        if cart is not None:
            return self._merge(cursor, cart, viewer, channel_id, currency, resolved, lines, at, ttl)
        total = sum(r.price_minor * line.quantity for r, line in zip(resolved, lines, strict=True))
        code = self._new_code()
        expires_at = at + ttl
        order_id = int(
            self._one(
                cursor,
                self._order.sql,
                self._order.params(
                    {
                        "code": code,
                        "viewer_id": viewer_id,
                        "platform": viewer.platform,
                        "channel_id": channel_id,
                        "locale": locale,
                        "status": OrderStatus.PENDING.value,
                        "total_minor": total,
                        "currency": currency,
                        "created_at": at,
                        "expires_at": expires_at,
                    }
                ),
            )[0]
        )
        line_views: list[OrderLineView] = []
        for r, line in zip(resolved, lines, strict=True):
            self._execute(
                cursor,
                self._line.sql,
                self._line.params(
                    {
                        "order_id": order_id,
                        "product_id": r.product.id,
                        "variant_id": None if r.variant is None else r.variant.id,
                        "quantity": line.quantity,
                        "unit_price_minor": r.price_minor,
                        "flash_sale_id": r.flash_sale_id,
                    }
                ),
            )
            line_views.append(
                OrderLineView(
                    sku=r.product.sku,
                    product_name=r.product.name,
                    variant_key=None if r.variant is None else r.variant.key,
                    quantity=line.quantity,
                    unit_price=Money.from_minor(r.price_minor, currency),
                    list_price=None
                    if r.regular_minor is None
                    else Money.from_minor(r.regular_minor, currency),
                )
            )
        return OrderView(
            code=code,
            status=OrderStatus.PENDING,
            viewer=ViewerRef(viewer.platform, viewer.user_id, viewer.display_name),
            platform=viewer.platform,
            channel_id=channel_id,
            lines=tuple(line_views),
            total=Money.from_minor(total, currency),
            created_at=at,
            expires_at=expires_at,
            locale=locale,
        )

    # --- the cart ------------------------------------------------------------------------

    def _cart(
        self,
        cursor: Any,
        viewer_id: int,
        platform: str,
        channel_id: str,
        currency: str,
        at: datetime,
    ) -> _Cart | None:
        """The viewer's open cart here, locked; None when there is none, it is due to expire,
        or it is being paid.

        The payment check is its own statement, after the lock: on PostgreSQL it then sees
        a payment recorded by whoever held the order's lock before us."""
        row = self._first(
            cursor,
            self._cart_sql,
            {
                "viewer_id": viewer_id,
                "platform": platform,
                "channel_id": channel_id,
                "currency": currency,
            },
        )
        # Expiry is checked here, not in SQL, so the lookup stays on ix_orders_viewer_status.
        if row is None or self._when_out(row[3]) <= at:
            return None
        if self._first(cursor, _PAYING, {"order_id": int(row[0])}) is not None:
            return None
        return _Cart(
            id=int(row[0]),
            code=row[1],
            total_minor=int(row[2]),
            expires_at=self._when_out(row[3]),
            revision=int(row[4]),
            payment_url=row[5],
            preference_id=row[6],
            locale=row[7],
            created_at=self._when_out(row[8]),
        )

    def _merge(
        self,
        cursor: Any,
        cart: _Cart,
        viewer: ViewerRef,
        channel_id: str,
        currency: str,
        resolved: list[_Line],
        lines: list[LineRequest],
        at: datetime,
        ttl: timedelta,
    ) -> OrderView:
        """Add the (already reserved) lines to the cart, supersede its link, and view it."""
        Key = tuple[int, int | None, int, int | None]
        existing: dict[Key, int] = {}
        for line_id, product_id, variant_id, price, sale_id in self._all(
            cursor, _CART_LINES, {"order_id": cart.id}
        ):
            key = (
                int(product_id),
                None if variant_id is None else int(variant_id),
                int(price),
                None if sale_id is None else int(sale_id),
            )
            existing.setdefault(key, int(line_id))
        added: dict[Key, int] = defaultdict(int)
        for r, line in zip(resolved, lines, strict=True):
            variant_id = None if r.variant is None else r.variant.id
            added[(r.product.id, variant_id, r.price_minor, r.flash_sale_id)] += line.quantity
        for key, quantity in added.items():
            line_id = existing.get(key)
            if line_id is not None:
                self._execute(cursor, _GROW_LINE, {"q": quantity, "id": line_id})
                continue
            product_id, variant_id, price, sale_id = key
            self._execute(
                cursor,
                self._line.sql,
                self._line.params(
                    {
                        "order_id": cart.id,
                        "product_id": product_id,
                        "variant_id": variant_id,
                        "quantity": quantity,
                        "unit_price_minor": price,
                        "flash_sale_id": sale_id,
                    }
                ),
            )
        total = cart.total_minor + sum(price * q for (_, _, price, _), q in added.items())
        change, discount, coupon_code = self._rediscount(cursor, cart.id)
        total -= change
        expires_at = max(cart.expires_at, at + ttl)
        if cart.preference_id is not None or cart.payment_url is not None:
            self._execute(
                cursor,
                self._superseded.sql,
                self._superseded.params(
                    {
                        "order_id": cart.id,
                        "revision": cart.revision,
                        "preference_id": cart.preference_id,
                        "payment_url": cart.payment_url,
                        "total_minor": cart.total_minor,
                        "currency": currency,
                        "superseded_at": at,
                    }
                ),
            )
        self._execute(
            cursor,
            _UPDATE_CART,
            {"total": total, "expires_at": self._when_in(expires_at), "id": cart.id},
        )
        regular = {
            (r.product.sku, None if r.variant is None else r.variant.key, r.price_minor): (
                Money.from_minor(r.regular_minor, currency)
            )
            for r in resolved
            if r.regular_minor is not None
        }
        line_views = tuple(
            OrderLineView(
                sku=sku,
                product_name=name,
                variant_key=key,
                quantity=int(quantity),
                unit_price=Money.from_minor(int(price), currency),
                list_price=regular.get((sku, key, int(price))),
            )
            for quantity, price, sku, name, key in self._all(
                cursor, _VIEW_LINES, {"order_id": cart.id}
            )
        )
        return OrderView(
            code=cart.code,
            status=OrderStatus.PENDING,
            viewer=ViewerRef(viewer.platform, viewer.user_id, viewer.display_name),
            platform=viewer.platform,
            channel_id=channel_id,
            lines=line_views,
            total=Money.from_minor(total, currency),
            created_at=cart.created_at,
            expires_at=expires_at,
            locale=cart.locale,
            revision=cart.revision + 1,
            discount=None if coupon_code is None else Money.from_minor(discount, currency),
            coupon=coupon_code,
        )

    def _rediscount(self, cursor: Any, order_id: int) -> tuple[int, int, str | None]:
        """A coupon on the cart follows its growth (a percent grows with the goods, an amount
        stays): how much the discount grew, the discount, and the coupon's code; (0, 0, None)
        without one."""
        row = self._first(cursor, _CART_COUPON, {"order_id": order_id})
        if row is None:
            return 0, 0, None
        use_id, old, kind, percent, amount_minor, code = row
        goods = self._all(
            cursor,
            "SELECT quantity, unit_price_minor FROM order_lines WHERE order_id = :id",
            {"id": order_id},
        )
        subtotal = sum(int(q) * int(p) for q, p in goods)
        units = sum(int(q) for q, _ in goods)
        new = coupons.discount_minor(
            kind,
            None if percent is None else int(percent),
            None if amount_minor is None else int(amount_minor),
            subtotal,
            units,
        )
        if new != int(old):
            self._execute(cursor, _SET_DISCOUNT, {"discount": new, "id": int(use_id)})
        return new - int(old), new, str(code)

    # --- steps ---------------------------------------------------------------------------

    def _flash_priced(
        self, cursor: Any, resolved: list[_Line], at: datetime
    ) -> tuple[list[_Line], dict[int, int | None]]:
        """The lines at the flash price where a sale is on (one read for the whole
        reservation: see _FLASH_ON), and each sale's per-buyer limit by its id."""
        sales = {
            int(row[1]): _Flash(
                int(row[0]),
                None if row[2] is None else int(row[2]),
                None if row[3] is None else int(row[3]),
                None if row[4] is None else int(row[4]),
            )
            for row in self._all(cursor, _FLASH_ON, {"at": self._when_in(at)})
        }
        if not sales:
            return resolved, {}
        priced = []
        for r in resolved:
            sale = sales.get(r.product.id)
            if sale is None:
                priced.append(r)
                continue
            price = sale_price_minor(r.price_minor, sale.percent, sale.price_minor)
            priced.append(
                r._replace(price_minor=price, flash_sale_id=sale.id, regular_minor=r.price_minor)
            )
        return priced, {sale.id: sale.max_per_buyer for sale in sales.values()}

    def _check_flash_limits(
        self,
        cursor: Any,
        viewer_id: int,
        resolved: list[_Line],
        lines: list[LineRequest],
        limits: dict[int, int | None],
    ) -> None:
        """A sale's per-buyer limit against the units the viewer holds at that sale's price."""
        asked: dict[int, int] = defaultdict(int)
        skus: dict[int, str] = {}
        for r, line in zip(resolved, lines, strict=True):
            if r.flash_sale_id is not None:
                asked[r.flash_sale_id] += line.quantity
                skus[r.flash_sale_id] = r.product.sku
        for sale_id, quantity in asked.items():
            limit = limits.get(sale_id)
            if limit is None:
                continue
            held = int(
                self._one(cursor, _FLASH_HELD, {"viewer_id": viewer_id, "sale_id": sale_id})[0]
            )
            if held + quantity > limit:
                raise errors.FlashLimitExceeded(skus[sale_id], limit, held)

    def _resolve(self, cursor: Any, line: LineRequest, *, first: bool) -> _Line:
        """The stock row for one request, checking (in this order) that the store is open,
        the product exists and is on sale, and the variant is right."""
        product = self._product(cursor, _PRODUCT_BY_SKU, {"sku": line.sku})
        if product is None:
            found = self._first(cursor, _PRODUCT_ID_ANY_CASE, {"sku": line.sku.lower()})
            if found is not None:
                product = self._product(cursor, _PRODUCT_BY_ID, {"id": found[0]})
        if first:
            store_open = product.store_open if product is not None else self._store_open(cursor)
            if not store_open:
                raise errors.StoreClosed()
        if product is None:
            raise errors.ProductNotFound(line.sku)
        if not product.active:
            raise errors.ProductInactive(product.sku)
        if not product.variants:
            if line.variant_key is not None:
                raise errors.VariantNotFound(product.sku, line.variant_key, [])
            return _Line(PRODUCTS.name, product.id, product, None, product.price_minor)
        if line.variant_key is None:
            raise errors.VariantRequired(product.sku, [v.key for v in product.variants])
        variant_id = self._match_variant(product.sku, product.variants, line.variant_key)
        variant = next(v for v in product.variants if v.id == variant_id)
        price = product.price_minor if variant.price_minor is None else variant.price_minor
        return _Line(VARIANTS.name, variant.id, product, variant, price)

    def _product(self, cursor: Any, sql: str, params: dict[str, Any]) -> _Product | None:
        rows = self._all(cursor, sql, params)
        if not rows:
            return None
        p = rows[0]
        variants = [
            VariantRow(
                int(r[8]),
                r[9],
                json.loads(r[10]) if isinstance(r[10], str | bytes) else dict(r[10]),
                None if r[11] is None else int(r[11]),
            )
            for r in rows
            if r[8] is not None
        ]
        return _Product(
            id=int(p[0]),
            sku=p[1],
            name=p[2],
            price_minor=int(p[3]),
            currency=p[4],
            active=bool(p[5]),
            max_per_viewer=None if p[6] is None else int(p[6]),
            store_open=True if p[7] is None else bool(p[7]),
            variants=variants,
        )

    def _store_open(self, cursor: Any) -> bool:
        row = self._first(cursor, _STORE_OPEN, None)
        return True if row is None or row[0] is None else bool(row[0])

    def _check_limits(
        self, cursor: Any, viewer_id: int, resolved: list[_Line], lines: list[LineRequest]
    ) -> None:
        """`max_per_viewer` against the units the (locked) viewer already holds; products
        without a limit cost no query."""
        asked: dict[int, int] = defaultdict(int)
        products: dict[int, _Product] = {}
        for r, line in zip(resolved, lines, strict=True):
            asked[r.product.id] += line.quantity
            products.setdefault(r.product.id, r.product)
        for product_id, quantity in asked.items():
            product = products[product_id]
            if product.max_per_viewer is None:
                continue
            held = int(
                self._one(cursor, _HELD, {"viewer_id": viewer_id, "product_id": product_id})[0]
            )
            if held + quantity > product.max_per_viewer:
                raise errors.LimitExceeded(product.sku, product.max_per_viewer, held)

    def _take(self, cursor: Any, target: tuple[str, int], sku: str, quantity: int) -> None:
        """Reserve with one conditional UPDATE; only when it matched nothing, read what is
        left to report it."""
        table, row_id = target
        self._execute(cursor, _TAKE[table], {"q": quantity, "id": row_id})
        if cursor.rowcount != 1:
            available = self._one(cursor, _AVAILABLE[table], {"id": row_id})[0]
            raise errors.OutOfStock(sku, quantity, max(int(available), 0))

    # --- the cursor ----------------------------------------------------------------------

    def _execute(self, cursor: Any, sql: str, params: dict[str, Any] | None) -> None:
        statement = self._q(sql)
        try:
            if params is None:
                cursor.execute(statement)
            else:
                cursor.execute(statement, params)
        except self._dbapi_error as exc:
            raise self._wrap(None, cursor, statement, params, exc) from exc

    def _first(self, cursor: Any, sql: str, params: dict[str, Any] | None) -> Any:
        self._execute(cursor, sql, params)
        rows = cursor.fetchall()  # all of it, so the statement is done before the next one
        return rows[0] if rows else None

    def _one(self, cursor: Any, sql: str, params: dict[str, Any] | None) -> Any:
        row = self._first(cursor, sql, params)
        if row is None:
            raise RuntimeError(f"no row from {sql.split()[0]}")
        return row

    def _all(self, cursor: Any, sql: str, params: dict[str, Any] | None) -> list[Any]:
        self._execute(cursor, sql, params)
        return list(cursor.fetchall())

    def _wrap(
        self,
        connection: Any,
        cursor: Any,
        statement: str,
        params: dict[str, Any] | None,
        exc: Any,
    ) -> StatementError:
        """The SQLAlchemy exception a Session would have raised for this DBAPI error."""
        dbapi_conn = (
            connection.dbapi_connection
            if isinstance(connection, PoolProxiedConnection)
            else connection
        )
        invalidated = self._dialect.is_disconnect(exc, dbapi_conn, cursor)
        wrapped: StatementError = DBAPIError.instance(
            statement,
            params,
            exc,
            self._dbapi_error,
            connection_invalidated=invalidated,
            dialect=self._dialect,
        )
        return wrapped

    def _abort(self, connection: Any) -> None:
        """Roll back; a connection that cannot even do that is dropped (from the pool, or
        the one `reserve_now` keeps)."""
        try:
            connection.rollback()
        except Exception as exc:
            if isinstance(connection, PoolProxiedConnection):
                connection.invalidate(exc)
            else:
                with contextlib.suppress(Exception):
                    connection.close()
                self._now_connection = None
