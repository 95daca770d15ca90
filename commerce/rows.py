"""Row access inside one open transaction: lookups, row locks and guarded stock moves.

Everything here takes the caller's Session and never commits. Locks are taken in the
store's one order (payment, then order or tip, then stock rows by table and id) and units
move only through conditional UPDATEs, so `0 <= reserved + sold <= stock` holds under any
concurrency without read-then-write races.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from commerce import errors
from commerce.models import ORDER_LINES, ORDERS, PRODUCTS, TIPS, VARIANTS, VIEWERS, Order, Tip
from commerce.views import OrderStatus, ViewerRef


@dataclass(frozen=True, slots=True)
class Target:
    """One stock row an order line draws from: a product, or one of its variants."""

    table: Table
    row_id: int
    sku: str

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.table.name, self.row_id)


def rowcount(s: Session, stmt: Any) -> int:
    """Rows a DML statement touched (flushing ORM changes first, as Session.execute would)."""
    s.flush()
    return int(s.connection().execute(stmt).rowcount)


def insert_ignore(s: Session, table: Table, values: dict[str, Any], keys: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was new."""
    dialect: Any = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(*table.primary_key.columns)
    )
    s.flush()
    return s.connection().execute(stmt).first() is not None


def product_id(s: Session, sku: str, *, lock: bool = False) -> int:
    """The product's id by SKU, exact first, then any case."""
    query = select(PRODUCTS.c.id).where(PRODUCTS.c.sku == sku)
    found = s.execute(query.with_for_update() if lock else query).scalar()
    if found is None:
        query = select(PRODUCTS.c.id).where(func.lower(PRODUCTS.c.sku) == sku.lower())
        found = s.execute(query.with_for_update() if lock else query).scalar()
    if found is None:
        raise errors.ProductNotFound(sku)
    return int(found)


def active_variants(s: Session, product_id: int) -> list[Any]:
    """The product's active variant rows, by id."""
    return list(
        s.execute(
            select(VARIANTS)
            .where(VARIANTS.c.product_id == product_id, VARIANTS.c.active.is_(True))
            .order_by(VARIANTS.c.id)
        ).all()
    )


@dataclass(frozen=True, slots=True)
class SingleUnit:
    """The one unit a show puts up (an auction's lot, a giveaway's prize)."""

    product: Any  # its products row
    variant_id: int | None
    target: Target


def single_unit(s: Session, sku: str, variant_key: str | None) -> SingleUnit:
    """The unit of `sku` (its variant `variant_key`) a show would take, with the refusals
    `!comprar` gives: an inactive product, an unknown variant, a variant left unnamed."""
    found = product_id(s, sku, lock=True)
    product = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == found)).one()
    if not product.active:
        raise errors.ProductInactive(product.sku)
    if variant_key is not None:
        variant_id = s.scalar(
            select(VARIANTS.c.id).where(
                VARIANTS.c.product_id == found, VARIANTS.c.key == variant_key
            )
        )
        if variant_id is None:
            raise errors.VariantNotFound(product.sku, variant_key, [])
        return SingleUnit(product, int(variant_id), Target(VARIANTS, int(variant_id), product.sku))
    variants = active_variants(s, found)
    if variants:
        raise errors.VariantRequired(product.sku, [str(v.key) for v in variants])
    return SingleUnit(product, None, Target(PRODUCTS, found, product.sku))


def reserve_one(s: Session, target: Target) -> bool:
    """One unit of `target` reserved with the guarded UPDATE; False when none is free."""
    table = target.table
    taken = rowcount(
        s,
        update(table)
        .where(table.c.id == target.row_id, table.c.stock - table.c.reserved - table.c.sold >= 1)
        .values(reserved=table.c.reserved + 1),
    )
    return taken == 1


def take_one(s: Session, target: Target) -> None:
    """Reserve one unit of `target`; OutOfStock, with what is left, when none is free."""
    if not reserve_one(s, target):
        table = target.table
        left = s.scalar(
            select(table.c.stock - table.c.reserved - table.c.sold).where(
                table.c.id == target.row_id
            )
        )
        raise errors.OutOfStock(target.sku, 1, int(left or 0))


def viewer_id(s: Session, viewer: ViewerRef) -> int:
    """Find or create the viewer, locking the row so per-viewer limits are race-free."""
    insert_ignore(
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
            update(VIEWERS).where(VIEWERS.c.id == row.id).values(display_name=viewer.display_name)
        )
    return int(row.id)


def find_order(s: Session, code: str) -> Order:
    order = s.scalars(select(Order).where(ORDERS.c.code == code.strip().upper())).first()
    if order is None:
        raise errors.OrderNotFound(code)
    return order


def lock_order(s: Session, code: str) -> Order:
    order = s.scalars(
        select(Order)
        .where(ORDERS.c.code == code.strip().upper())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if order is None:
        raise errors.OrderNotFound(code)
    return order


def lock_tip(s: Session, code: str, *, lock: bool = True) -> Tip:
    query = select(Tip).where(TIPS.c.code == code.strip().upper())
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    tip = s.scalars(query).first()
    if tip is None:
        raise errors.TipNotFound(code)
    return tip


def order_targets(s: Session, orders: Iterable[Order]) -> dict[Target, int]:
    """Units per stock row across `orders`, so releases touch each row once, in order."""
    ids = [o.id for o in orders]
    totals: dict[Target, int] = defaultdict(int)
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
            target = Target(PRODUCTS, int(r.product_id), r.sku)
        else:
            target = Target(VARIANTS, int(r.variant_id), r.sku)
        totals[target] += int(r.quantity)
    return totals


def move(s: Session, targets: dict[Target, int], *, reserved: int = 0, sold: int = 0) -> None:
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
        done = rowcount(s, update(table).where(*guards).values(**values))
        if done != 1:
            raise RuntimeError(f"stock bookkeeping broken for {target.sku} ({table.name})")


def sell_again(s: Session, order: Order) -> bool:
    """Sell an expired order's units straight from stock if every line still fits."""
    savepoint = s.begin_nested()
    for target, quantity in sorted(
        order_targets(s, [order]).items(), key=lambda kv: kv[0].sort_key
    ):
        table = target.table
        done = rowcount(
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


def unsell(s: Session, order: Order) -> None:
    """Mark a paid or delivered order refunded. Only a paid order's units go back on sale:
    a delivered order's units left with the buyer, so a refund or chargeback after
    delivery never restocks."""
    if order.status == OrderStatus.PAID:
        move(s, order_targets(s, [order]), sold=-1)
    order.status = OrderStatus.REFUNDED.value
    s.flush()
