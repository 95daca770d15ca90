"""What the owner's panel reads: order listings and search, an order's history, the catalog
with reserved and sold units, live figures for the current stream, and summaries.

Every query here is built for a store with a real history (100,000 orders): listings use
the creation-time indexes and fetch a page's lines in one query, summaries aggregate in
the database. Nothing here changes the store.

A *stream* is a run of activity: orders and tips in which no two consecutive ones are more
than `gap` apart (90 minutes by default). It needs no button to press: a stream that
forgot `!abrir` still counts, and a store left open overnight does not merge two streams.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, func, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from commerce import errors
from commerce.models import (
    GIVEAWAYS,
    ORDER_EVENTS,
    ORDER_LINES,
    ORDERS,
    PAYMENTS,
    PRODUCTS,
    TIPS,
    VARIANTS,
    VIEWERS,
)
from commerce.money import Money
from commerce.views import OrderStatus

# Orders whose money the owner kept (refunded ones gave it back).
SOLD = (OrderStatus.PAID.value, OrderStatus.FULFILLED.value)
# Orders that were paid at some point: a `!comprar` that converted.
CONVERTED = (*SOLD, OrderStatus.REFUNDED.value)
LOST = (OrderStatus.EXPIRED.value, OrderStatus.CANCELLED.value)
STREAM_GAP = timedelta(minutes=90)
COUNT_LIMIT = 10_000


# --- orders ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderQuery:
    status: str | None = None
    platform: str | None = None
    sku: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    search: str | None = None  # an order code, or part of the buyer's name
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True, slots=True)
class OrderRow:
    code: str
    status: OrderStatus
    platform: str
    buyer: str
    created_at: datetime
    total: Money
    items: str
    needs_refund: bool


@dataclass(frozen=True, slots=True)
class OrderPage:
    rows: tuple[OrderRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_LIMIT) // self.per_page))

    @property
    def more(self) -> bool:
        """More orders match than were counted (see COUNT_LIMIT)."""
        return self.total > COUNT_LIMIT


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order_filters(
    s: Session, q: OrderQuery, *, in_time_order: bool = False
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.status:
        where.append(ORDERS.c.status == q.status)
    if q.platform:
        where.append(ORDERS.c.platform == q.platform)
    if q.since is not None:
        where.append(ORDERS.c.created_at >= q.since)
    if q.until is not None:
        where.append(ORDERS.c.created_at < q.until)
    if q.sku:
        product = s.execute(select(PRODUCTS.c.id).where(PRODUCTS.c.sku == q.sku)).scalar()
        where.append(
            ORDERS.c.id.in_(
                select(ORDER_LINES.c.order_id).where(ORDER_LINES.c.product_id == product)
            )
        )
    term = (q.search or "").strip()
    if term:
        # Buyers first (a few thousand rows), then their orders by the viewer index.
        pattern = f"%{_escape_like(term.lower())}%"
        buyers = select(VIEWERS.c.id).where(
            func.lower(VIEWERS.c.display_name).like(pattern, escape="\\")
        )
        # Many matches: `+ 0` keeps SQLite off the viewer index, so it walks orders newest
        # first and stops at a page, instead of sorting every match.
        viewer = ORDERS.c.viewer_id + 0 if in_time_order else ORDERS.c.viewer_id
        where.append(or_(ORDERS.c.code == term.upper(), viewer.in_(buyers)))
    return where


def search_orders(s: Session, q: OrderQuery) -> OrderPage:
    where = _order_filters(s, q)
    # Counting stops at COUNT_LIMIT: "more than 10,000" is all an owner needs to know, and
    # counting a quarter of 100,000 orders for a common name would cost more than the page.
    capped = select(ORDERS.c.id).where(*where).limit(COUNT_LIMIT + 1).subquery()
    total = int(s.execute(select(func.count()).select_from(capped)).scalar_one())
    if q.search and total > 500:
        where = _order_filters(s, q, in_time_order=True)
    page = max(1, q.page)
    found = s.execute(
        select(
            ORDERS.c.id,
            ORDERS.c.code,
            ORDERS.c.status,
            ORDERS.c.platform,
            ORDERS.c.created_at,
            ORDERS.c.total_minor,
            ORDERS.c.currency,
            ORDERS.c.needs_refund,
            VIEWERS.c.display_name,
        )
        .select_from(ORDERS.join(VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id))
        .where(*where)
        .order_by(ORDERS.c.created_at.desc(), ORDERS.c.id.desc())
        .limit(q.per_page)
        .offset((page - 1) * q.per_page)
    ).all()
    items = _items(s, [int(r.id) for r in found])
    rows = tuple(
        OrderRow(
            code=r.code,
            status=OrderStatus(r.status),
            platform=r.platform,
            buyer=r.display_name,
            created_at=r.created_at,
            total=Money.from_minor(r.total_minor, r.currency),
            items=items.get(int(r.id), ""),
            needs_refund=bool(r.needs_refund),
        )
        for r in found
    )
    return OrderPage(rows, total, page, q.per_page)


def _items(s: Session, order_ids: Sequence[int]) -> dict[int, str]:
    """ "2× Remera (M), Taza" per order, for a page of orders in one query."""
    if not order_ids:
        return {}
    found = s.execute(
        select(ORDER_LINES.c.order_id, ORDER_LINES.c.quantity, PRODUCTS.c.name, VARIANTS.c.options)
        .select_from(
            ORDER_LINES.join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id).outerjoin(
                VARIANTS, VARIANTS.c.id == ORDER_LINES.c.variant_id
            )
        )
        .where(ORDER_LINES.c.order_id.in_(order_ids))
        .order_by(ORDER_LINES.c.id)
    )
    parts: dict[int, list[str]] = defaultdict(list)
    for r in found:
        label = r.name
        if r.options:
            label += " (" + " ".join(str(v) for v in dict(r.options).values()) + ")"
        parts[int(r.order_id)].append((f"{r.quantity}× " if r.quantity > 1 else "") + label)
    return {k: ", ".join(v) for k, v in parts.items()}


@dataclass(frozen=True, slots=True)
class ExportLine:
    order_id: int
    code: str
    status: str
    created_at: datetime
    paid_at: datetime | None
    platform: str
    buyer: str
    sku: str
    variant: str
    quantity: int
    unit_price: Decimal
    currency: str
    total: Decimal


def export_lines(s: Session, after_id: int, limit: int) -> list[ExportLine]:
    """Order lines of the next `limit` orders after `after_id`, for a CSV that streams."""
    ids = (
        select(ORDERS.c.id).where(ORDERS.c.id > after_id).order_by(ORDERS.c.id).limit(limit)
    ).scalar_subquery()
    found = s.execute(
        select(
            ORDERS.c.id,
            ORDERS.c.code,
            ORDERS.c.status,
            ORDERS.c.created_at,
            ORDERS.c.paid_at,
            ORDERS.c.platform,
            ORDERS.c.currency,
            ORDERS.c.total_minor,
            VIEWERS.c.display_name,
            PRODUCTS.c.sku,
            VARIANTS.c.key,
            ORDER_LINES.c.quantity,
            ORDER_LINES.c.unit_price_minor,
        )
        .select_from(
            ORDERS.join(VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id)
            .join(ORDER_LINES, ORDER_LINES.c.order_id == ORDERS.c.id)
            .join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id)
            .outerjoin(VARIANTS, VARIANTS.c.id == ORDER_LINES.c.variant_id)
        )
        .where(ORDERS.c.id.in_(ids))
        .order_by(ORDERS.c.id, ORDER_LINES.c.id)
    ).all()
    return [
        ExportLine(
            order_id=int(r.id),
            code=r.code,
            status=r.status,
            created_at=r.created_at,
            paid_at=r.paid_at,
            platform=r.platform,
            buyer=r.display_name,
            sku=r.sku,
            variant=r.key or "",
            quantity=int(r.quantity),
            unit_price=Money.from_minor(r.unit_price_minor, r.currency).amount,
            currency=r.currency,
            total=Money.from_minor(r.total_minor, r.currency).amount,
        )
        for r in found
    ]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    kind: str  # created, payment, paid, expired, fulfilled, refunded, cancelled, link_resent…
    actor: str  # "buyer", "provider", "store" (the bot's own timers), "owner", "staff"
    detail: str = ""


def order_history(s: Session, code: str) -> list[HistoryEntry]:
    """Every transition the store can show for an order, oldest first.

    Creation, payment and expiry come from the order and its payment rows; what the owner
    or staff did from the panel comes from `order_events`, with who did it."""
    order = s.execute(select(ORDERS).where(ORDERS.c.code == code.strip().upper())).first()
    if order is None:
        raise errors.OrderNotFound(code)
    entries = [HistoryEntry(order.created_at, "created", "buyer", order.platform)]
    for p in s.execute(
        select(PAYMENTS).where(PAYMENTS.c.order_id == order.id).order_by(PAYMENTS.c.id)
    ):
        entries.append(
            HistoryEntry(p.created_at, "payment", "provider", f"{p.provider_payment_id} {p.status}")
        )
        if p.effect == "refunded" and p.updated_at != p.created_at:
            entries.append(HistoryEntry(p.updated_at, "refunded", "provider", p.status))
    if order.paid_at is not None:
        entries.append(HistoryEntry(order.paid_at, "paid", "provider"))
    recorded = s.execute(
        select(ORDER_EVENTS).where(ORDER_EVENTS.c.order_id == order.id).order_by(ORDER_EVENTS.c.id)
    ).all()
    for e in recorded:
        entries.append(HistoryEntry(e.at, e.kind, e.actor, e.detail))
    kinds = {e.kind for e in entries}
    if order.status == OrderStatus.EXPIRED and "expired" not in kinds:
        entries.append(HistoryEntry(order.expires_at, "expired", "store"))
    if order.status == OrderStatus.CANCELLED and "cancelled" not in kinds:
        entries.append(HistoryEntry(order.expires_at, "cancelled", "buyer"))
    entries.sort(key=lambda e: e.at)
    return entries


def record_event(s: Session, code: str, kind: str, actor: str, at: datetime, detail: str) -> None:
    order_id = s.execute(
        select(ORDERS.c.id).where(ORDERS.c.code == code.strip().upper())
    ).scalar_one()
    s.execute(
        ORDER_EVENTS.insert().values(
            order_id=order_id, at=at, kind=kind, actor=actor, detail=detail
        )
    )


# --- catalog -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VariantCounts:
    key: str
    options: dict[str, str]
    stock: int
    reserved: int
    sold: int
    own_price: Money | None  # None: the product's price

    @property
    def available(self) -> int:
        return self.stock - self.reserved - self.sold


@dataclass(frozen=True, slots=True)
class ProductCounts:
    sku: str
    name: str
    aliases: tuple[str, ...]
    description: str
    price: Money
    stock: int
    reserved: int
    sold: int
    active: bool
    max_per_viewer: int | None
    image_url: str | None
    digital: bool
    variants: tuple[VariantCounts, ...] = ()

    @property
    def available(self) -> int:
        if self.variants:
            return sum(v.available for v in self.variants)
        return self.stock - self.reserved - self.sold


def catalog_counts(s: Session, include_inactive: bool = True) -> list[ProductCounts]:
    """Every product with stock, reserved and sold, and its active variants: two queries."""
    query = select(PRODUCTS).order_by(PRODUCTS.c.id)
    if not include_inactive:
        query = query.where(PRODUCTS.c.active.is_(True))
    products = s.execute(query).all()
    by_product: dict[int, list[Any]] = defaultdict(list)
    for v in s.execute(select(VARIANTS).where(VARIANTS.c.active.is_(True)).order_by(VARIANTS.c.id)):
        by_product[int(v.product_id)].append(v)
    result = []
    for p in products:
        variants = tuple(
            VariantCounts(
                key=v.key,
                options=dict(v.options),
                stock=int(v.stock),
                reserved=int(v.reserved),
                sold=int(v.sold),
                own_price=None
                if v.price_minor is None
                else Money.from_minor(v.price_minor, p.currency),
            )
            for v in by_product.get(int(p.id), [])
        )
        variant_totals = variants or ()
        result.append(
            ProductCounts(
                sku=p.sku,
                name=p.name,
                aliases=tuple(p.aliases or ()),
                description=p.description,
                price=Money.from_minor(p.price_minor, p.currency),
                stock=int(p.stock),
                reserved=sum(v.reserved for v in variant_totals) if variants else int(p.reserved),
                sold=sum(v.sold for v in variant_totals) if variants else int(p.sold),
                active=bool(p.active),
                max_per_viewer=p.max_per_viewer,
                image_url=p.image_url,
                digital=bool(p.digital),
                variants=variants,
            )
        )
    return result


# --- streams, live figures and summaries -------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamSpan:
    started_at: datetime
    ended_at: datetime
    events: int


def streams(
    s: Session, since: datetime, until: datetime, gap: timedelta = STREAM_GAP
) -> list[StreamSpan]:
    """Runs of orders and tips with no pause longer than `gap`, newest first.

    The database finds the boundaries (window functions over epoch seconds), so only two
    rows per stream come back, however many orders the range holds."""
    times = union_all(
        select(_epoch(s, ORDERS.c.created_at).label("at")).where(
            ORDERS.c.created_at >= since, ORDERS.c.created_at < until
        ),
        select(_epoch(s, TIPS.c.created_at).label("at")).where(
            TIPS.c.created_at >= since, TIPS.c.created_at < until
        ),
    ).subquery()
    ordered = select(
        times.c.at,
        func.lag(times.c.at).over(order_by=times.c.at).label("prev"),
        func.lead(times.c.at).over(order_by=times.c.at).label("next"),
        func.row_number().over(order_by=times.c.at).label("n"),
    ).subquery()
    limit = int(gap.total_seconds())
    starts = or_(ordered.c.prev.is_(None), ordered.c.at - ordered.c.prev > limit)
    ends = or_(ordered.c.next.is_(None), ordered.c.next - ordered.c.at > limit)
    spans: list[StreamSpan] = []
    start: tuple[int, int] | None = None
    for at, n, is_start, is_end in s.execute(
        select(ordered.c.at, ordered.c.n, starts, ends)
        .where(or_(starts, ends))
        .order_by(ordered.c.at)
    ):
        if is_start:
            start = (int(at), int(n))
        if is_end and start is not None:
            spans.append(
                StreamSpan(_from_epoch(start[0]), _from_epoch(int(at)), int(n) - start[1] + 1)
            )
            start = None
    spans.reverse()
    return spans


def _from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def stream_start(s: Session, now: datetime, gap: timedelta = STREAM_GAP) -> datetime:
    """When the current stream began: the start of the run reaching `now`, or `now`."""
    found = streams(s, now - timedelta(hours=24), now + timedelta(seconds=1), gap)
    if found and now - found[0].ended_at <= gap:
        return found[0].started_at
    return now


@dataclass(frozen=True, slots=True)
class Expiring:
    code: str
    buyer: str
    total: Money
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LiveFigures:
    since: datetime
    revenue: Money
    orders: int
    paid: int
    per_minute: Decimal  # orders created per minute over the last 10 minutes
    tips: Money
    expiring: tuple[Expiring, ...]


def live_figures(
    s: Session, since: datetime, now: datetime, currency: str, soon: timedelta
) -> LiveFigures:
    in_stream = and_(ORDERS.c.created_at >= since, ORDERS.c.currency == currency, _not_a_prize())
    revenue, orders, paid = s.execute(
        select(
            func.coalesce(func.sum(ORDERS.c.total_minor).filter(ORDERS.c.status.in_(SOLD)), 0),
            func.count(),
            func.count().filter(ORDERS.c.status.in_(CONVERTED)),
        ).where(in_stream)
    ).one()
    recent = s.execute(
        select(func.count()).where(ORDERS.c.created_at >= now - timedelta(minutes=10))
    ).scalar_one()
    tips = s.execute(
        select(func.coalesce(func.sum(TIPS.c.amount_minor), 0)).where(
            TIPS.c.created_at >= since, TIPS.c.currency == currency, TIPS.c.status == "paid"
        )
    ).scalar_one()
    expiring = s.execute(
        select(
            ORDERS.c.code,
            ORDERS.c.total_minor,
            ORDERS.c.currency,
            ORDERS.c.expires_at,
            VIEWERS.c.display_name,
        )
        .select_from(ORDERS.join(VIEWERS, VIEWERS.c.id == ORDERS.c.viewer_id))
        .where(ORDERS.c.status == OrderStatus.PENDING.value, ORDERS.c.expires_at <= now + soon)
        .order_by(ORDERS.c.expires_at)
        .limit(10)
    ).all()
    return LiveFigures(
        since=since,
        revenue=Money.from_minor(int(revenue), currency),
        orders=int(orders),
        paid=int(paid),
        per_minute=(Decimal(int(recent)) / 10).quantize(Decimal("0.1")),
        tips=Money.from_minor(int(tips), currency),
        expiring=tuple(
            Expiring(
                r.code, r.display_name, Money.from_minor(r.total_minor, r.currency), r.expires_at
            )
            for r in expiring
        ),
    )


@dataclass(frozen=True, slots=True)
class Share:
    label: str
    orders: int
    units: int
    revenue: Money


@dataclass(frozen=True, slots=True)
class Tipper:
    name: str
    platform: str
    tips: int
    amount: Money


@dataclass(frozen=True, slots=True)
class Summary:
    since: datetime
    until: datetime
    currency: str
    revenue: Money
    orders: int  # every order opened (each `!comprar` that reserved)
    converted: int  # of those, paid at some point
    refunded: int
    pending: int
    lost: int  # expired or cancelled, unpaid
    lost_value: Money
    by_platform: tuple[Share, ...]
    by_product: tuple[Share, ...]
    tips: Money
    tip_count: int
    top_tippers: tuple[Tipper, ...]
    # (bucket start, revenue in minor units) over the range, for the chart
    series: tuple[tuple[datetime, int], ...] = field(default=())
    bucket: timedelta = timedelta(minutes=5)

    @property
    def conversion(self) -> Decimal:
        if not self.orders:
            return Decimal(0)
        return (Decimal(self.converted) * 100 / self.orders).quantize(Decimal("0.1"))


def _not_a_prize() -> Any:
    """Leave out giveaways' prizes (commerce.giveaways): zero-price orders nobody bought,
    which would count as sales converted without a sale."""
    prizes = select(GIVEAWAYS.c.order_id).where(GIVEAWAYS.c.order_id.is_not(None))
    return ORDERS.c.id.not_in(prizes)


def summary(s: Session, since: datetime, until: datetime, currency: str) -> Summary:
    where = and_(
        ORDERS.c.created_at >= since,
        ORDERS.c.created_at < until,
        ORDERS.c.currency == currency,
        _not_a_prize(),
    )
    sold = ORDERS.c.status.in_(SOLD)
    # One pass over the range: counts and sums per platform and status give the totals,
    # the lost orders and the revenue by platform at once.
    groups = s.execute(
        select(ORDERS.c.platform, ORDERS.c.status, func.count(), func.sum(ORDERS.c.total_minor))
        .where(where)
        .group_by(ORDERS.c.platform, ORDERS.c.status)
    ).all()
    count: dict[str, int] = defaultdict(int)
    value: dict[str, int] = defaultdict(int)
    platform_orders: dict[str, int] = defaultdict(int)
    platform_value: dict[str, int] = defaultdict(int)
    for platform, status, n, minor in groups:
        count[status] += int(n)
        value[status] += int(minor or 0)
        if status in SOLD:
            platform_orders[platform] += int(n)
            platform_value[platform] += int(minor or 0)
    platforms = sorted(
        ((p, platform_orders[p], platform_value[p]) for p in platform_orders),
        key=lambda row: -row[2],
    )
    totals = (
        sum(value[k] for k in SOLD),
        sum(count.values()),
        sum(count[k] for k in CONVERTED),
        count[OrderStatus.REFUNDED.value],
        count[OrderStatus.PENDING.value],
        sum(count[k] for k in LOST),
        sum(value[k] for k in LOST),
    )
    products = s.execute(
        select(
            PRODUCTS.c.name,
            func.count(func.distinct(ORDERS.c.id)),
            func.sum(ORDER_LINES.c.quantity),
            func.sum(ORDER_LINES.c.quantity * ORDER_LINES.c.unit_price_minor),
        )
        .select_from(
            ORDERS.join(ORDER_LINES, ORDER_LINES.c.order_id == ORDERS.c.id).join(
                PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id
            )
        )
        .where(where, sold)
        .group_by(PRODUCTS.c.id, PRODUCTS.c.name)
        .order_by(func.sum(ORDER_LINES.c.quantity * ORDER_LINES.c.unit_price_minor).desc())
    ).all()
    tip_where = and_(
        TIPS.c.created_at >= since,
        TIPS.c.created_at < until,
        TIPS.c.currency == currency,
        TIPS.c.status == "paid",
    )
    tip_total, tip_count = s.execute(
        select(func.coalesce(func.sum(TIPS.c.amount_minor), 0), func.count()).where(tip_where)
    ).one()
    tippers = s.execute(
        select(
            VIEWERS.c.display_name,
            VIEWERS.c.platform,
            func.count(),
            func.sum(TIPS.c.amount_minor),
        )
        .select_from(TIPS.join(VIEWERS, VIEWERS.c.id == TIPS.c.viewer_id))
        .where(tip_where)
        .group_by(VIEWERS.c.id, VIEWERS.c.display_name, VIEWERS.c.platform)
        .order_by(func.sum(TIPS.c.amount_minor).desc())
        .limit(5)
    ).all()
    bucket = _bucket(until - since)
    series = _series(s, where, since, until, bucket)

    def money(minor: object) -> Money:
        return Money.from_minor(int(minor or 0), currency)  # type: ignore[call-overload]

    return Summary(
        since=since,
        until=until,
        currency=currency,
        revenue=money(totals[0]),
        orders=int(totals[1]),
        converted=int(totals[2]),
        refunded=int(totals[3]),
        pending=int(totals[4]),
        lost=int(totals[5]),
        lost_value=money(totals[6]),
        by_platform=tuple(Share(r[0], int(r[1]), int(r[1]), money(r[2])) for r in platforms),
        by_product=tuple(Share(r[0], int(r[1]), int(r[2]), money(r[3])) for r in products),
        tips=money(tip_total),
        tip_count=int(tip_count),
        top_tippers=tuple(Tipper(r[0], r[1], int(r[2]), money(r[3])) for r in tippers),
        series=series,
        bucket=bucket,
    )


def _bucket(span: timedelta) -> timedelta:
    """A chart step that gives tens of points: 5 minutes for a stream, a day for a month."""
    for step in (
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(days=1),
    ):
        if span / step <= 120:
            return step
    return timedelta(days=7)


def _epoch(s: Session, column: Any) -> Any:
    """Seconds since 1970 of a stored time, computed by the database."""
    if s.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column)
    return func.cast(func.strftime("%s", column), Integer)


def _series(
    s: Session, where: ColumnElement[bool], since: datetime, until: datetime, bucket: timedelta
) -> tuple[tuple[datetime, int], ...]:
    """Sales per bucket, by payment time (creation time for orders paid before it was kept),
    summed by the database."""
    size = int(bucket.total_seconds())
    start = int(since.timestamp())
    at = _epoch(s, func.coalesce(ORDERS.c.paid_at, ORDERS.c.created_at))
    slot = (at - start) // size  # SQLite: integer division
    if s.get_bind().dialect.name == "postgresql":
        slot = func.floor((at - start) / size)  # EXTRACT gives numeric: floor it
    sums: dict[int, int] = defaultdict(int)
    for k, v in s.execute(
        select(slot, func.sum(ORDERS.c.total_minor))
        .where(where, ORDERS.c.status.in_(SOLD))
        .group_by(slot)
    ):
        sums[int(k)] += int(v)
    count = min(int(-(-(until - since).total_seconds() // size)), 2000)
    return tuple((since + bucket * i, sums.get(i, 0)) for i in range(count))


__all__ = [
    "STREAM_GAP",
    "ExportLine",
    "HistoryEntry",
    "LiveFigures",
    "OrderPage",
    "OrderQuery",
    "OrderRow",
    "ProductCounts",
    "StreamSpan",
    "Summary",
    "VariantCounts",
    "catalog_counts",
    "export_lines",
    "live_figures",
    "order_history",
    "search_orders",
    "stream_start",
    "streams",
    "summary",
]


def order_counts(s: Session) -> dict[str, int]:
    """Orders per status, every status present (zero when none): one grouped query, for
    `/metrics`."""
    counts = {status.value: 0 for status in OrderStatus}
    for status, n in s.execute(
        select(ORDERS.c.status, func.count()).group_by(ORDERS.c.status)
    ).all():
        counts[str(status)] = int(n)
    return counts
