"""Waitlists: nobody who wanted a sold-out product is lost, and holds get one reminder.

A viewer who finds a product (or one of its variants) sold out joins its line
(`!avisame remera M`). When units come back, `hand_out` reserves them for the line in
order: each unit becomes a pending order of the next waiting viewer (their hold, with its
own timer: the reservation time they joined with). If they let it pass (the hold expires
or is cancelled) the next `hand_out` settles their place as passed and the unit, released
by the expiry, goes to the next in line.

Race safety. `hand_out` takes units with the same conditional UPDATE as a purchase
(`... WHERE stock - reserved - sold >= :q`), so stock never goes negative and a unit is
never held twice. The Store calls it inside the very transaction that frees units (expiry,
cancellation, refund, an owner's restock): the freed unit is never visible to a new buyer
before the line had it, on SQLite (one writer at a time) and on PostgreSQL (the freed
row stays locked until the transaction, hand-out included, commits; a buyer's UPDATE
waiting on it then re-reads it and finds nothing free). Units freed elsewhere (a catalog
sync from config) wait for the next `hand_out` of the expiry duty: until then a buyer may
take them first, and that is still exactly one hold per unit.

Locks follow the store's order: stock rows first (in `hand_out`, by table and id, as the
release before it), then the waitlist rows, so two hand-outs cannot deadlock.

Reminders. `claim_reminders` picks pending orders about to expire and stamps
`orders.reminded_at` with a conditional UPDATE: one process, once per order; a paid order
is not pending, so it is never reminded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select, true, update
from sqlalchemy.orm import Session

from commerce import errors, flash_sales, rows
from commerce.codes import new_code
from commerce.models import (
    ORDER_LINES,
    ORDERS,
    PRODUCTS,
    STORE_STATE,
    VARIANTS,
    VIEWERS,
    WAITLIST_ENTRIES,
    Order,
)
from commerce.view_builders import order_view
from commerce.views import OrderStatus, OrderView, ViewerRef

__all__ = [
    "LineEntry",
    "Place",
    "claim_offers",
    "claim_reminders",
    "hand_out",
    "join",
    "leave",
    "line",
    "line_sizes",
    "places",
]

W = WAITLIST_ENTRIES

WAITING = "waiting"
OFFERED = "offered"  # a unit is held for them: the pending order `order_id`
BOUGHT = "bought"
PASSED = "passed"  # they let the hold expire, or cancelled it
LEFT = "left"
ACTIVE = (WAITING, OFFERED)

# How a `join` went: in line now, already was, or no need (units are on sale right now).
JOINED = "joined"
ALREADY = "already"
IN_STOCK = "in_stock"


@dataclass(frozen=True, slots=True)
class Place:
    """A viewer's place in one line: `position` 1 is next; 0 while a unit is held for them
    (`order_code` then names their hold)."""

    sku: str
    product_name: str
    variant_key: str | None
    position: int
    status: str
    order_code: str | None = None
    outcome: str = JOINED


@dataclass(frozen=True, slots=True)
class LineEntry:
    """One viewer in a product's line, for the owner (`!fila`, the panel)."""

    position: int  # 0: holding a unit now
    viewer: ViewerRef
    variant_key: str | None
    status: str
    since: datetime
    order_code: str | None = None


def _same_variant(variant_id: int | None) -> Any:
    return W.c.variant_id.is_(None) if variant_id is None else W.c.variant_id == variant_id


def _position(s: Session, entry: Any) -> int:
    if entry.status != WAITING:
        return 0
    ahead = s.scalar(
        select(func.count())
        .select_from(W)
        .where(
            W.c.status == WAITING,
            W.c.product_id == entry.product_id,
            _same_variant(entry.variant_id),
            W.c.id <= entry.id,
        )
    )
    return int(ahead or 0)


def _variant_row(s: Session, product_id: int, variant_key: str | None) -> Any:
    """The active variant named by its canonical key, or None for a product without
    variants; a product with variants needs one."""
    variants = rows.active_variants(s, product_id)
    sku = s.scalar(select(PRODUCTS.c.sku).where(PRODUCTS.c.id == product_id)) or ""
    if not variants:
        return None
    for v in variants:
        if v.key == variant_key:
            return v
    if variant_key is None:
        raise errors.VariantRequired(sku, [v.key for v in variants])
    raise errors.VariantNotFound(sku, variant_key, [v.key for v in variants])


def _order_code(s: Session, order_id: int | None) -> str | None:
    if order_id is None:
        return None
    return s.scalar(select(ORDERS.c.code).where(ORDERS.c.id == order_id))


def join(
    s: Session,
    viewer: ViewerRef,
    channel_id: str,
    sku: str,
    variant_key: str | None,
    *,
    hold: timedelta,
    locale: str,
    at: datetime,
) -> Place:
    """Put the viewer in line for the product (variant), once: joining again keeps the
    place they had. Units on sale right now with nobody waiting need no line."""
    product_id = rows.product_id(s, sku)
    product = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == product_id)).one()
    if not product.active:
        raise errors.ProductInactive(product.sku)
    variant = _variant_row(s, product_id, variant_key)
    variant_id = None if variant is None else int(variant.id)
    viewer_id = rows.viewer_id(s, viewer)  # locked: one place per viewer, even racing
    key = None if variant is None else variant.key

    def place(entry: Any, outcome: str) -> Place:
        return Place(
            sku=product.sku,
            product_name=product.name,
            variant_key=key,
            position=_position(s, entry),
            status=entry.status,
            order_code=_order_code(s, entry.order_id),
            outcome=outcome,
        )

    mine = s.execute(
        select(W)
        .where(
            W.c.viewer_id == viewer_id,
            W.c.product_id == product_id,
            _same_variant(variant_id),
            W.c.status.in_(ACTIVE),
        )
        .order_by(W.c.id)
        .limit(1)
    ).first()
    if mine is not None:
        return place(mine, ALREADY)
    row = variant if variant is not None else product
    free = int(row.stock) - int(row.reserved) - int(row.sold)
    waiting = s.scalar(
        select(func.count())
        .select_from(W)
        .where(W.c.status == WAITING, W.c.product_id == product_id, _same_variant(variant_id))
    )
    if free > 0 and not waiting:
        return Place(product.sku, product.name, key, 0, "", outcome=IN_STOCK)
    entry_id = s.execute(
        W.insert()
        .values(
            product_id=product_id,
            variant_id=variant_id,
            viewer_id=viewer_id,
            platform=viewer.platform,
            channel_id=channel_id,
            locale=locale,
            quantity=1,
            hold_seconds=max(60, int(hold.total_seconds())),
            status=WAITING,
            created_at=at,
        )
        .returning(W.c.id)
    ).scalar_one()
    entry = s.execute(select(W).where(W.c.id == entry_id)).one()
    return place(entry, JOINED)


def leave(s: Session, viewer: ViewerRef, sku: str | None) -> int:
    """Take the viewer out of every line they wait in (or only `sku`'s); how many places
    they gave up. A unit already held for them stays theirs until it expires or
    `!cancelar`."""
    viewer_id = s.scalar(
        select(VIEWERS.c.id).where(
            VIEWERS.c.platform == viewer.platform, VIEWERS.c.platform_user_id == viewer.user_id
        )
    )
    if viewer_id is None:
        return 0
    query = update(W).where(W.c.viewer_id == viewer_id, W.c.status == WAITING)
    if sku is not None:
        query = query.where(W.c.product_id == rows.product_id(s, sku))
    return rows.rowcount(s, query.values(status=LEFT))


def places(s: Session, platform: str, user_id: str) -> list[Place]:
    """Where the viewer stands in each line they are in, oldest first."""
    found = s.execute(
        select(W, PRODUCTS.c.sku, PRODUCTS.c.name, VARIANTS.c.key)
        .join(VIEWERS, VIEWERS.c.id == W.c.viewer_id)
        .join(PRODUCTS, PRODUCTS.c.id == W.c.product_id)
        .outerjoin(VARIANTS, VARIANTS.c.id == W.c.variant_id)
        .where(
            VIEWERS.c.platform == platform,
            VIEWERS.c.platform_user_id == user_id,
            W.c.status.in_(ACTIVE),
        )
        .order_by(W.c.id)
    ).all()
    return [
        Place(
            sku=r.sku,
            product_name=r.name,
            variant_key=r.key,
            position=_position(s, r),
            status=r.status,
            order_code=_order_code(s, r.order_id),
        )
        for r in found
    ]


def line(s: Session, sku: str) -> list[LineEntry]:
    """The product's line, every variant: those holding a unit first, then by place."""
    product_id = rows.product_id(s, sku)
    found = s.execute(
        select(W, VIEWERS.c.platform_user_id, VIEWERS.c.display_name, VARIANTS.c.key)
        .join(VIEWERS, VIEWERS.c.id == W.c.viewer_id)
        .outerjoin(VARIANTS, VARIANTS.c.id == W.c.variant_id)
        .where(W.c.product_id == product_id, W.c.status.in_(ACTIVE))
        .order_by(W.c.id)
    ).all()
    held = [r for r in found if r.status == OFFERED]
    waiting = [r for r in found if r.status == WAITING]
    return [
        LineEntry(
            position=_position(s, r),
            viewer=ViewerRef(r.platform, r.platform_user_id, r.display_name),
            variant_key=r.key,
            status=r.status,
            since=r.offered_at if r.status == OFFERED else r.created_at,
            order_code=_order_code(s, r.order_id),
        )
        for r in (*held, *waiting)
    ]


def line_sizes(s: Session) -> dict[str, int]:
    """How many viewers wait for each product (SKU), for the panel; holds not counted."""
    found = s.execute(
        select(PRODUCTS.c.sku, func.count())
        .select_from(W.join(PRODUCTS, PRODUCTS.c.id == W.c.product_id))
        .where(W.c.status == WAITING)
        .group_by(PRODUCTS.c.sku)
    ).all()
    return {str(sku): int(n) for sku, n in found}


def _settle(s: Session) -> None:
    """Holds that ended: paid ones are bought, the others passed (their unit was released
    by the expiry or cancellation that ended them)."""
    ended = s.execute(
        select(W.c.id, ORDERS.c.status)
        .join(ORDERS, ORDERS.c.id == W.c.order_id)
        .where(W.c.status == OFFERED, ORDERS.c.status != OrderStatus.PENDING.value)
    ).all()
    for entry_id, status in ended:
        kept = status in (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.REFUNDED)
        s.execute(
            update(W)
            .where(W.c.id == entry_id, W.c.status == OFFERED)
            .values(status=BOUGHT if kept else PASSED)
        )


def hand_out(s: Session, at: datetime) -> list[str]:
    """Reserve free units for the lines, first come first held; the codes of the new holds.

    Call it in the transaction that freed the units (see the module's docstring)."""
    _settle(s)
    if not s.scalar(select(STORE_STATE.c.open).where(STORE_STATE.c.id == 1)):
        return []  # the store is closed: nobody buys, the line keeps its places
    lines = s.execute(
        select(W.c.product_id, W.c.variant_id).where(W.c.status == WAITING).distinct()
    ).all()

    def lock_order(pair: Any) -> tuple[str, int]:
        table = VARIANTS if pair.variant_id is not None else PRODUCTS
        return (table.name, int(pair.variant_id or pair.product_id))

    made: list[str] = []
    for pair in sorted(lines, key=lock_order):
        made.extend(_serve_line(s, int(pair.product_id), pair.variant_id, at))
    return made


def _serve_line(s: Session, product_id: int, variant_id: int | None, at: datetime) -> list[str]:
    product = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == product_id)).one()
    if not product.active:
        return []
    table: Table = PRODUCTS
    row_id, price_minor = product_id, int(product.price_minor)
    if variant_id is not None:
        variant = s.execute(select(VARIANTS).where(VARIANTS.c.id == variant_id)).one()
        if not variant.active:
            return []
        table, row_id = VARIANTS, int(variant_id)
        if variant.price_minor is not None:
            price_minor = int(variant.price_minor)
    price_minor, sale_id = flash_sales.price_on(s, product_id, price_minor, at)
    made: list[str] = []
    tried: set[int] = set()
    while True:
        entry = s.execute(
            select(W)
            .where(
                W.c.status == WAITING,
                W.c.product_id == product_id,
                _same_variant(variant_id),
                W.c.id.not_in(tried) if tried else true(),
            )
            .order_by(W.c.id)
            .limit(1)
        ).first()
        if entry is None:
            return made
        tried.add(int(entry.id))
        quantity = int(entry.quantity)
        took = rows.rowcount(
            s,
            update(table)
            .where(
                table.c.id == row_id, table.c.stock - table.c.reserved - table.c.sold >= quantity
            )
            .values(reserved=table.c.reserved + quantity),
        )
        if took != 1:
            return made  # nothing free: the line keeps its order
        claimed = rows.rowcount(
            s,
            update(W)
            .where(W.c.id == entry.id, W.c.status == WAITING)
            .values(status=OFFERED, offered_at=at),
        )
        if claimed != 1:  # another hand-out served this viewer meanwhile: give the unit back
            rows.rowcount(
                s,
                update(table)
                .where(table.c.id == row_id, table.c.reserved >= quantity)
                .values(reserved=table.c.reserved - quantity),
            )
            continue
        order = Order(
            code=new_code(),
            viewer_id=int(entry.viewer_id),
            platform=entry.platform,
            channel_id=entry.channel_id,
            locale=entry.locale,
            status=OrderStatus.PENDING.value,
            total_minor=price_minor * quantity,
            currency=product.currency,
            created_at=at,
            expires_at=at + timedelta(seconds=int(entry.hold_seconds)),
        )
        s.add(order)
        s.flush()
        s.execute(
            ORDER_LINES.insert().values(
                order_id=order.id,
                product_id=product_id,
                variant_id=variant_id,
                quantity=quantity,
                unit_price_minor=price_minor,
                flash_sale_id=sale_id,
            )
        )
        s.execute(update(W).where(W.c.id == entry.id).values(order_id=order.id))
        made.append(order.code)


def claim_offers(s: Session, at: datetime, limit: int) -> list[OrderView]:
    """Holds nobody told their viewer of yet, each claimed for one teller (oldest first)."""
    found = s.execute(
        select(W.c.id, W.c.order_id)
        .join(ORDERS, ORDERS.c.id == W.c.order_id)
        .where(
            W.c.status == OFFERED,
            W.c.announced_at.is_(None),
            ORDERS.c.status == OrderStatus.PENDING.value,
        )
        .order_by(W.c.id)
        .limit(limit)
    ).all()
    told: list[OrderView] = []
    for entry_id, order_id in found:
        claimed = rows.rowcount(
            s,
            update(W).where(W.c.id == entry_id, W.c.announced_at.is_(None)).values(announced_at=at),
        )
        order = s.get(Order, order_id)
        if claimed == 1 and order is not None:
            told.append(order_view(s, order))
    return told


def claim_reminders(s: Session, at: datetime, before: timedelta, limit: int) -> list[OrderView]:
    """Pending orders that expire within `before` and were never reminded, each claimed
    once (`orders.reminded_at`). Holds no longer than `before` get none: their link said
    as much already."""
    if before <= timedelta(0):
        return []
    found = s.scalars(
        select(Order)
        .where(
            ORDERS.c.status == OrderStatus.PENDING.value,
            ORDERS.c.reminded_at.is_(None),
            ORDERS.c.expires_at > at,
            ORDERS.c.expires_at <= at + before,
        )
        .order_by(ORDERS.c.expires_at, ORDERS.c.id)
        .limit(limit)
    ).all()
    reminded: list[OrderView] = []
    for order in found:
        if order.expires_at - order.created_at <= before:
            continue
        claimed = rows.rowcount(
            s,
            update(ORDERS)
            .where(ORDERS.c.id == order.id, ORDERS.c.reminded_at.is_(None))
            .values(reminded_at=at),
        )
        if claimed == 1:
            reminded.append(order_view(s, order))
    return reminded
