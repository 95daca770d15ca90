"""Flash sales: `!oferta remera 20% 5m` drops a product's price for five minutes.

The sale is a row (`flash_sales`), not a process's memory, so every `vivo run` sharing the
database prices a reservation the same way, and it ends by itself: a sale is on while
`starts_at <= now < ends_at` and the owner has not ended it (`ended_at`). One sale runs at a
time; starting another ends the one before.

The price is decided inside the reservation's own transaction (commerce.fastpath), by one
read of the sales on at that instant, and written on the order line (`unit_price_minor`,
with the sale's id in `flash_sale_id`). So an order keeps the price it was reserved at —
after the sale ends, and in a payment link made later — and a reservation racing the end
of a sale gets one price for all its lines: the sale's, if its read came first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from commerce import errors, rows
from commerce.models import FLASH_SALES, PRODUCTS, VARIANTS
from commerce.money import Money

MIN_DURATION = timedelta(seconds=30)
MAX_DURATION = timedelta(hours=24)
MAX_PERCENT = 90


@dataclass(frozen=True, slots=True)
class FlashSaleView:
    """A sale as the chat and the overlay show it: the product's lowest price before and
    during the sale (`price_from` when its variants differ), and when it ends."""

    id: int
    sku: str
    product_name: str
    percent: int | None
    price: Money  # the lowest sale price
    old_price: Money  # the lowest regular price
    varies: bool  # variants differ in price
    max_per_buyer: int | None
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None = None

    def on_at(self, at: datetime) -> bool:
        return self.ended_at is None and self.starts_at <= at < self.ends_at


def sale_price_minor(regular_minor: int, percent: int | None, price_minor: int | None) -> int:
    """The price of one unit during a sale, in minor units: `percent` off the regular price
    (rounded half up to the currency's smallest unit, never below 1), or the sale's own
    price when that is lower (a fixed price never raises a cheaper variant)."""
    if percent is not None:
        off = Decimal(regular_minor) * Decimal(100 - percent) / Decimal(100)
        return max(1, int(off.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    if price_minor is not None:
        return min(regular_minor, price_minor)
    return regular_minor


def _on(at: datetime) -> Any:
    return and_(
        FLASH_SALES.c.ended_at.is_(None),
        FLASH_SALES.c.starts_at <= at,
        FLASH_SALES.c.ends_at > at,
    )


def start(
    s: Session,
    sku: str,
    *,
    percent: int | None,
    price: Decimal | None,
    duration: timedelta,
    max_per_buyer: int | None,
    at: datetime,
) -> FlashSaleView:
    """Start a sale on `sku` (ending any sale on now); refuses a price that is not a drop."""
    if (percent is None) == (price is None):
        raise ValueError("a flash sale takes a percent or a price, not both")
    product_id = rows.product_id(s, sku)
    product = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == product_id)).one()
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise errors.FlashSaleInvalid(product.sku, "duration")
    price_minor = None
    if percent is not None and not 1 <= percent <= MAX_PERCENT:
        raise errors.FlashSaleInvalid(product.sku, "percent")
    if price is not None:
        price_minor = Money(price, product.currency).minor
        lowest = min(_regular_prices(s, product))
        if not 0 < price_minor < lowest:
            raise errors.FlashSaleInvalid(product.sku, "not_lower")
    end_all(s, at)
    new_id = s.execute(
        insert(FLASH_SALES)
        .values(
            product_id=product_id,
            percent=percent,
            price_minor=price_minor,
            max_per_buyer=max_per_buyer,
            starts_at=at,
            ends_at=at + duration,
        )
        .returning(FLASH_SALES.c.id)
    ).scalar_one()
    found = _view(s, int(new_id))
    assert found is not None
    return found


def end_all(s: Session, at: datetime) -> FlashSaleView | None:
    """End the sale on now, if any (`!oferta fin`); the one ended, or None."""
    current = active(s, at)
    if current is None:
        return None
    s.execute(update(FLASH_SALES).where(_on(at)).values(ended_at=at))
    return _view(s, current.id)


def active(s: Session, at: datetime) -> FlashSaleView | None:
    """The sale on at `at` (the newest, should two overlap), or None."""
    found = s.execute(
        select(FLASH_SALES.c.id).where(_on(at)).order_by(FLASH_SALES.c.id.desc()).limit(1)
    ).scalar()
    return None if found is None else _view(s, int(found))


def price_on(
    s: Session, product_id: int, regular_minor: int, at: datetime
) -> tuple[int, int | None]:
    """One unit's price of the product at `at`, and the sale that set it (None: no sale).

    For the reservations made outside the fast path (a waitlist's hold): whoever holds a
    unit during a sale holds it at the sale's price, like a buyer typing `!comprar` then."""
    sale = s.execute(
        select(FLASH_SALES.c.id, FLASH_SALES.c.percent, FLASH_SALES.c.price_minor)
        .where(FLASH_SALES.c.product_id == product_id, _on(at))
        .order_by(FLASH_SALES.c.id.desc())
        .limit(1)
    ).first()
    if sale is None:
        return regular_minor, None
    return sale_price_minor(regular_minor, sale.percent, sale.price_minor), int(sale.id)


def _regular_prices(s: Session, product: Any) -> list[int]:
    found = s.execute(
        select(VARIANTS.c.price_minor).where(
            VARIANTS.c.product_id == product.id, VARIANTS.c.active.is_(True)
        )
    ).scalars()
    prices = [int(product.price_minor) if p is None else int(p) for p in found]
    return prices or [int(product.price_minor)]


def _view(s: Session, sale_id: int) -> FlashSaleView | None:
    sale = s.execute(select(FLASH_SALES).where(FLASH_SALES.c.id == sale_id)).first()
    if sale is None:
        return None
    product = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == sale.product_id)).one()
    regular = _regular_prices(s, product)
    during = [sale_price_minor(p, sale.percent, sale.price_minor) for p in regular]
    currency = product.currency
    return FlashSaleView(
        id=int(sale.id),
        sku=product.sku,
        product_name=product.name,
        percent=sale.percent,
        price=Money.from_minor(min(during), currency),
        old_price=Money.from_minor(min(regular), currency),
        varies=len(set(during)) > 1,
        max_per_buyer=sale.max_per_buyer,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        ended_at=sale.ended_at,
    )


__all__ = [
    "MAX_DURATION",
    "MAX_PERCENT",
    "MIN_DURATION",
    "FlashSaleView",
    "active",
    "end_all",
    "sale_price_minor",
    "start",
]
