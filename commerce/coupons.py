"""Coupons: owner-defined codes a viewer adds to their pending order (`!cupon CUPON10`).

A coupon takes a percent or a fixed amount off the order's goods, from a minimum total on,
until it expires or its uses run out, once per viewer if the owner wants, and only while the
store is open (live) if the owner wants. The codes come from `[[coupons]]` in config (added
when new, never overwritten: the database owns them, like the catalog) or the panel.

Uses are counted by ONE conditional UPDATE (`uses = uses + 1 WHERE uses < max_uses`), which
also locks the coupon's row: the once-per-viewer check that follows sees every use committed
before it, so neither limit is exceeded under any concurrency, on SQLite or PostgreSQL.

The discount lives in `coupon_uses` and inside the order's total, so the exact-amount
payment check (commerce.ledger) is unchanged. MercadoPago's preference items take no
negative line, so the payment link spreads the discount over the items' unit prices
(`spread`): they add up to the total to the cent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from commerce import errors, rows
from commerce.models import (
    COUPON_USES,
    COUPONS,
    ORDER_LINES,
    PAYMENTS,
    STORE_STATE,
    SUPERSEDED_LINKS,
)
from commerce.money import Money
from commerce.views import OrderStatus, ViewerRef

PERCENT = "percent"
AMOUNT = "amount"
MAX_CODE = 32


@dataclass(frozen=True, slots=True)
class CouponSpec:
    """What the owner defines (config or panel). `percent` for kind "percent", `amount`
    (in `currency`) for kind "amount"."""

    code: str
    kind: str
    currency: str
    percent: int | None = None
    amount: Decimal | None = None
    min_total: Decimal = Decimal(0)
    max_uses: int | None = None
    once_per_viewer: bool = True
    live_only: bool = False
    expires_at: datetime | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class CouponView:
    code: str
    kind: str
    percent: int | None
    amount: Money | None
    min_total: Money
    max_uses: int | None
    uses: int
    once_per_viewer: bool
    live_only: bool
    expires_at: datetime | None
    active: bool
    source: str


def normalize(code: str) -> str:
    return code.strip().upper()


def discount_minor(
    kind: str, percent: int | None, amount_minor: int | None, subtotal: int, units: int
) -> int:
    """What the coupon takes off goods worth `subtotal` (minor units) in `units` units:
    never so much that a unit would cost nothing (MercadoPago takes no zero-price item)."""
    if kind == PERCENT and percent is not None:
        off = (Decimal(subtotal) * Decimal(percent) / Decimal(100)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        wanted = int(off)
    else:
        wanted = amount_minor or 0
    return max(0, min(wanted, subtotal - units))


def spread(lines: Sequence[tuple[int, int]], discount: int) -> list[list[tuple[int, int]]]:
    """Each (quantity, unit price) line as one or two (quantity, unit price) parts whose sum
    is the line's share of the goods minus `discount` (all in minor units).

    The discount is shared in proportion to each line's value (largest remainder, so the
    shares add up exactly); a line whose share does not divide by its quantity becomes two
    parts one minor unit apart: 3 × 1000 with 100 off is 2 × 967 + 1 × 966."""
    values = [q * p for q, p in lines]
    total = sum(values)
    if discount <= 0 or total <= 0:
        return [[(q, p)] for q, p in lines]
    raw = [Decimal(discount) * v / total for v in values]
    shares = [int(r) for r in raw]
    left = discount - sum(shares)
    order = sorted(range(len(lines)), key=lambda i: raw[i] - shares[i], reverse=True)
    for i in order[:left]:
        shares[i] += 1
    parts: list[list[tuple[int, int]]] = []
    for (quantity, _), value, share in zip(lines, values, shares, strict=True):
        rest = value - share
        base, extra = divmod(rest, quantity)
        line = [(quantity - extra, base)] if quantity - extra else []
        if extra:
            line.append((extra, base + 1))
        parts.append(line)
    return parts


# --- the catalog of codes -----------------------------------------------------------------


def _row_values(spec: CouponSpec) -> dict[str, Any]:
    return {
        "code": normalize(spec.code),
        "kind": spec.kind,
        "percent": spec.percent if spec.kind == PERCENT else None,
        "amount_minor": None
        if spec.kind == PERCENT or spec.amount is None
        else Money(spec.amount, spec.currency).minor,
        "currency": spec.currency,
        "min_total_minor": Money(spec.min_total, spec.currency).minor,
        "max_uses": spec.max_uses,
        "once_per_viewer": spec.once_per_viewer,
        "live_only": spec.live_only,
        "expires_at": spec.expires_at,
        "active": spec.active,
    }


def seed(s: Session, specs: Sequence[CouponSpec], at: datetime) -> list[str]:
    """Add the config's coupons whose code is new; what the store has is the owner's."""
    added = []
    for spec in specs:
        values = {**_row_values(spec), "uses": 0, "source": "config", "created_at": at}
        if rows.insert_ignore(s, COUPONS, values, ["code"]):
            added.append(values["code"])
    return added


def create(s: Session, spec: CouponSpec, at: datetime) -> CouponView:
    """A coupon made in the panel; CouponExists when the code is taken."""
    values = {**_row_values(spec), "uses": 0, "source": "panel", "created_at": at}
    if not rows.insert_ignore(s, COUPONS, values, ["code"]):
        raise errors.CouponExists(values["code"])
    return get(s, values["code"])


def set_active(s: Session, code: str, active: bool) -> CouponView:
    found = get(s, code)
    s.execute(update(COUPONS).where(COUPONS.c.code == found.code).values(active=active))
    return get(s, code)


def get(s: Session, code: str) -> CouponView:
    row = s.execute(select(COUPONS).where(COUPONS.c.code == normalize(code))).first()
    if row is None:
        raise errors.CouponInvalid(normalize(code), "unknown")
    return _view(row)


def list_all(s: Session) -> list[CouponView]:
    return [_view(r) for r in s.execute(select(COUPONS).order_by(COUPONS.c.id))]


def known(s: Session, code: str) -> bool:
    return (
        s.execute(select(COUPONS.c.id).where(COUPONS.c.code == normalize(code))).first() is not None
    )


def _view(r: Any) -> CouponView:
    return CouponView(
        code=r.code,
        kind=r.kind,
        percent=r.percent,
        amount=None if r.amount_minor is None else Money.from_minor(r.amount_minor, r.currency),
        min_total=Money.from_minor(r.min_total_minor, r.currency),
        max_uses=r.max_uses,
        uses=int(r.uses),
        once_per_viewer=bool(r.once_per_viewer),
        live_only=bool(r.live_only),
        expires_at=r.expires_at,
        active=bool(r.active),
        source=r.source,
    )


# --- applying one ---------------------------------------------------------------------------


def apply(s: Session, order_code: str, code: str, viewer: ViewerRef | None, at: datetime) -> Any:
    """Put coupon `code` on the pending order: its discount into the total, one use counted.
    A viewer may only use it on their own order. Returns the (locked) order row.

    Checks, in the order a viewer would want to hear them: the code exists and is active,
    has not expired, the store is open if it must be, the order has none yet and is not
    being paid, the goods reach the minimum, a use is left, this viewer has not used it."""
    wanted = normalize(code)
    order = rows.lock_order(s, order_code)
    if viewer is not None:
        owner = rows.viewer_id(s, viewer)
        if owner != order.viewer_id:
            raise errors.OrderNotFound(order_code)
    if order.status != OrderStatus.PENDING.value:
        raise errors.InvalidTransition(order.code, order.status, "coupon")
    coupon = s.execute(select(COUPONS).where(COUPONS.c.code == wanted)).first()
    if coupon is None or not coupon.active or coupon.currency != order.currency:
        raise errors.CouponInvalid(wanted, "unknown")
    if coupon.expires_at is not None and coupon.expires_at <= at:
        raise errors.CouponInvalid(wanted, "expired")
    if coupon.live_only:
        is_open = s.execute(select(STORE_STATE.c.open).where(STORE_STATE.c.id == 1)).scalar()
        if is_open is False:
            raise errors.CouponInvalid(wanted, "not_live")
    existing = s.execute(
        select(COUPON_USES.c.coupon_id).where(COUPON_USES.c.order_id == order.id)
    ).first()
    if existing is not None:
        reason = "already_applied" if int(existing[0]) == int(coupon.id) else "one_per_order"
        raise errors.CouponInvalid(wanted, reason)
    from commerce.fastpath import IN_PROGRESS  # here: commerce.fastpath imports this module

    paying = s.execute(
        select(PAYMENTS.c.id).where(
            PAYMENTS.c.order_id == order.id, PAYMENTS.c.status.in_(IN_PROGRESS)
        )
    ).first()
    if paying is not None:
        raise errors.CouponInvalid(wanted, "paying")
    subtotal, units = s.execute(
        select(
            func.coalesce(func.sum(ORDER_LINES.c.quantity * ORDER_LINES.c.unit_price_minor), 0),
            func.coalesce(func.sum(ORDER_LINES.c.quantity), 0),
        ).where(ORDER_LINES.c.order_id == order.id)
    ).one()
    if int(subtotal) < int(coupon.min_total_minor):
        minimum = Money.from_minor(coupon.min_total_minor, coupon.currency)
        raise errors.CouponInvalid(wanted, "below_minimum", minimum)
    taken = rows.rowcount(
        s,
        update(COUPONS)
        .where(
            COUPONS.c.id == coupon.id,
            (COUPONS.c.max_uses.is_(None)) | (COUPONS.c.uses < COUPONS.c.max_uses),
        )
        .values(uses=COUPONS.c.uses + 1),
    )
    if taken != 1:
        raise errors.CouponInvalid(wanted, "used_up")
    if coupon.once_per_viewer:
        used = s.execute(
            select(COUPON_USES.c.id).where(
                COUPON_USES.c.coupon_id == coupon.id, COUPON_USES.c.viewer_id == order.viewer_id
            )
        ).first()
        if used is not None:
            raise errors.CouponInvalid(wanted, "already_used")  # the rollback undoes the use
    off = discount_minor(
        coupon.kind, coupon.percent, coupon.amount_minor, int(subtotal), int(units)
    )
    s.execute(
        insert(COUPON_USES).values(
            coupon_id=coupon.id,
            order_id=order.id,
            viewer_id=order.viewer_id,
            discount_minor=off,
            used_at=at,
        )
    )
    if order.preference_id is not None or order.payment_url is not None:
        s.execute(
            insert(SUPERSEDED_LINKS).values(
                order_id=order.id,
                revision=order.revision,
                preference_id=order.preference_id,
                payment_url=order.payment_url,
                total_minor=order.total_minor,
                currency=order.currency,
                superseded_at=at,
            )
        )
        order.revision += 1
        order.payment_url = None
        order.preference_id = None
    order.total_minor -= off
    s.flush()
    return order


def discount_of(s: Session, order_id: int) -> int:
    """What the order's coupon takes off (minor units), 0 without one."""
    found = s.execute(
        select(COUPON_USES.c.discount_minor).where(COUPON_USES.c.order_id == order_id)
    ).scalar()
    return 0 if found is None else int(found)


def order_fields(s: Session, order_id: int, currency: str) -> dict[str, Any]:
    """The OrderView fields of the order's coupon (commerce.view_builders)."""
    found = s.execute(
        select(COUPONS.c.code, COUPON_USES.c.discount_minor)
        .join(COUPONS, COUPONS.c.id == COUPON_USES.c.coupon_id)
        .where(COUPON_USES.c.order_id == order_id)
    ).first()
    if found is None:
        return {}
    return {"coupon": found.code, "discount": Money.from_minor(found.discount_minor, currency)}


__all__ = [
    "AMOUNT",
    "PERCENT",
    "CouponSpec",
    "CouponView",
    "apply",
    "create",
    "discount_minor",
    "discount_of",
    "get",
    "list_all",
    "normalize",
    "order_fields",
    "seed",
    "set_active",
    "spread",
]
