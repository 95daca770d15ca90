"""The owner's side of the catalog: seeding from config, explicit imports, the owner's edits.

The database owns the catalog after the first start: `seed_catalog` (every `vivo run`) only
adds SKUs the store has never seen, so a restart never changes stock, price or active.
`sync_catalog` (an explicit `vivo products import`, previewed by commerce.imports) upserts
products by SKU and variants by canonical key, never deleting; stock can never be set below
what is already reserved or sold. Each function runs inside the caller's transaction.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from commerce import errors, rows
from commerce.codes import canonical_variant_key, match_variant
from commerce.models import PRODUCTS, STORE_STATE, VARIANTS
from commerce.money import Money, quantize
from commerce.view_builders import product_view, product_views
from commerce.views import ProductSpec, ProductView, VariantSpec


def to_minor(amount: Decimal, currency: str, what: str) -> int:
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


def seed_catalog(s: Session, specs: list[ProductSpec]) -> list[str]:
    """Insert the products whose SKU is new, with their variants; returns their SKUs.

    Existing products are not touched, whatever the spec says. The insert ignores a
    conflicting SKU, so processes seeding one fresh database at once cannot collide."""
    added: list[str] = []
    for spec in specs:
        if _insert_new(s, spec) is not None:
            added.append(spec.sku)
    return added


def _insert_new(s: Session, spec: ProductSpec) -> int | None:
    price_minor = to_minor(spec.price, spec.currency, spec.sku)
    stock = sum(v.stock for v in spec.variants) if spec.variants else spec.stock
    if stock < 0:
        raise errors.StockBelowCommitted(spec.sku, stock, 0)
    values = dict(_fields(spec, price_minor), sku=spec.sku, stock=stock, reserved=0, sold=0)
    if not rows.insert_ignore(s, PRODUCTS, values, ["sku"]):
        return None
    found = s.execute(select(PRODUCTS.c.id).where(PRODUCTS.c.sku == spec.sku)).scalar_one()
    product_id = int(found)
    _sync_variants(s, product_id, spec)
    return product_id


def _fields(spec: ProductSpec, price_minor: int) -> dict[str, object]:
    return {
        "name": spec.name,
        "aliases": list(spec.aliases),
        "description": spec.description,
        "price_minor": price_minor,
        "currency": spec.currency,
        "active": spec.active,
        "max_per_viewer": spec.max_per_viewer,
        "image_url": spec.image_url,
        "digital": spec.delivery_method == "digital",
        "delivery": spec.delivery_method,
        "queue": spec.queue,
        "deliver_text": spec.deliver_text,
    }


def sync_catalog(s: Session, specs: list[ProductSpec]) -> list[ProductView]:
    """Upsert products by SKU and variants by key (see `Store.sync_catalog`)."""
    return [product_view(s, _sync_one(s, spec)) for spec in specs]


def _sync_one(s: Session, spec: ProductSpec) -> int:
    price_minor = to_minor(spec.price, spec.currency, spec.sku)
    variant_stock = sum(v.stock for v in spec.variants)
    stock = variant_stock if spec.variants else spec.stock
    fields = _fields(spec, price_minor)
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
            set_row_stock(s, PRODUCTS, product_id, stock, spec.sku)
    _sync_variants(s, product_id, spec)
    return product_id


def _sync_variants(s: Session, product_id: int, spec: ProductSpec) -> None:
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
        price = None if vspec.price is None else to_minor(vspec.price, spec.currency, spec.sku)
        options = dict(
            sorted((name.strip().lower(), value.strip()) for name, value in vspec.options.items())
        )
        if key in existing:
            s.execute(
                update(VARIANTS)
                .where(VARIANTS.c.id == existing[key])
                .values(options=options, price_minor=price, active=True)
            )
            set_row_stock(s, VARIANTS, existing[key], vspec.stock, spec.sku)
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
        refresh_variant_total(s, product_id, spec.sku)


def set_row_stock(s: Session, table: Table, row_id: int, stock: int, sku: str) -> None:
    """Set stock unless it would drop below what is already reserved or sold."""
    done = rows.rowcount(
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


def refresh_variant_total(s: Session, product_id: int, sku: str) -> None:
    """A product with variants shows their summed stock (informational)."""
    total = s.execute(
        select(func.coalesce(func.sum(VARIANTS.c.stock), 0)).where(
            VARIANTS.c.product_id == product_id, VARIANTS.c.active.is_(True)
        )
    ).scalar_one()
    set_row_stock(s, PRODUCTS, product_id, int(total), sku)


def list_products(s: Session, include_inactive: bool) -> list[ProductView]:
    return product_views(s, include_inactive)


def set_stock(s: Session, sku: str, stock: int, variant_key: str | None) -> ProductView:
    product_id = rows.product_id(s, sku, lock=True)
    variants = rows.active_variants(s, product_id)
    if variant_key is None:
        if variants:
            raise errors.VariantRequired(sku, [v.key for v in variants])
        set_row_stock(s, PRODUCTS, product_id, stock, sku)
    else:
        variant_id = match_variant(sku, variants, variant_key)
        set_row_stock(s, VARIANTS, variant_id, stock, sku)
        refresh_variant_total(s, product_id, sku)
    return product_view(s, product_id)


def set_price(s: Session, sku: str, price: Decimal, variant_key: str | None) -> ProductView:
    product_id = rows.product_id(s, sku, lock=True)
    currency = s.execute(
        select(PRODUCTS.c.currency).where(PRODUCTS.c.id == product_id)
    ).scalar_one()
    minor = to_minor(price, currency, sku)
    if minor == 0:
        raise errors.InvalidAmount(str(price), "zero")
    if variant_key is None:
        s.execute(update(PRODUCTS).where(PRODUCTS.c.id == product_id).values(price_minor=minor))
    else:
        variant_id = match_variant(sku, rows.active_variants(s, product_id), variant_key)
        s.execute(update(VARIANTS).where(VARIANTS.c.id == variant_id).values(price_minor=minor))
    return product_view(s, product_id)


def set_active(s: Session, sku: str, active: bool) -> ProductView:
    product_id = rows.product_id(s, sku, lock=True)
    s.execute(update(PRODUCTS).where(PRODUCTS.c.id == product_id).values(active=active))
    return product_view(s, product_id)


def set_open(s: Session, open: bool) -> None:
    if not rows.insert_ignore(s, STORE_STATE, {"id": 1, "open": open}, ["id"]):
        s.execute(update(STORE_STATE).where(STORE_STATE.c.id == 1).values(open=open))


def is_open(s: Session) -> bool:
    value = s.execute(select(STORE_STATE.c.open).where(STORE_STATE.c.id == 1)).scalar()
    return True if value is None else bool(value)
