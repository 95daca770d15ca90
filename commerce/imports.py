"""Changing existing products from a file: an explicit, previewed act.

After the first start the database owns the catalog (stock, price, active); a restart only
seeds SKUs that are new. When the owner does want a file to win — `vivo products import` —
this module compares each spec with the store's row and lists what would change, and which
changes are impossible (stock below what is already reserved or sold), before anything is
written. Applying is then `catalog.sync_catalog` in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import catalog
from commerce.codes import canonical_variant_key
from commerce.models import PRODUCTS
from commerce.money import Money
from commerce.view_builders import product_view
from commerce.views import ProductSpec, ProductView, VariantView


class ChangeKind(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value that the import replaces: `field` is e.g. "price" or "stock [talle=M]"."""

    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class StockProblem:
    """Stock the file asks for that is below the units already reserved or sold."""

    sku: str
    variant_key: str | None
    requested: int
    committed: int

    def __str__(self) -> str:
        what = f"{self.sku} [{self.variant_key}]" if self.variant_key else self.sku
        return (
            f"{what}: stock {self.requested} is below the {self.committed} unit(s) "
            f"already reserved or sold; write at least {self.committed}"
        )


@dataclass(frozen=True, slots=True)
class ProductChange:
    sku: str
    kind: ChangeKind
    fields: tuple[FieldChange, ...] = ()
    problems: tuple[StockProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class ImportPlan:
    products: tuple[ProductChange, ...]
    applied: bool = False

    @property
    def problems(self) -> tuple[StockProblem, ...]:
        return tuple(p for change in self.products for p in change.problems)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.products if change.kind is kind)


def plan_import(s: Session, specs: Iterable[ProductSpec]) -> ImportPlan:
    """What importing `specs` would change, product by product; writes nothing."""
    return ImportPlan(tuple(_plan_one(s, spec) for spec in specs))


def import_catalog(s: Session, specs: list[ProductSpec], *, apply: bool) -> ImportPlan:
    """The plan, applied when asked and possible (every product or none)."""
    plan = plan_import(s, specs)
    if not apply or plan.problems:
        return plan
    catalog.sync_catalog(s, specs)
    return ImportPlan(plan.products, applied=True)


def _plan_one(s: Session, spec: ProductSpec) -> ProductChange:
    catalog.to_minor(spec.price, spec.currency, spec.sku)  # an unpriceable spec fails here
    found = s.execute(select(PRODUCTS.c.id).where(PRODUCTS.c.sku == spec.sku)).scalar()
    if found is None:
        return ProductChange(spec.sku, ChangeKind.NEW)
    current = product_view(s, int(found))
    fields = list(_field_changes(current, spec))
    problems: list[StockProblem] = []
    if spec.variants:
        fields.extend(_variant_changes(current, spec, problems))
    else:
        committed = current.stock - current.available
        if spec.stock != current.stock:
            fields.append(FieldChange("stock", str(current.stock), str(spec.stock)))
        if spec.stock < committed:
            problems.append(StockProblem(spec.sku, None, spec.stock, committed))
    kind = ChangeKind.CHANGED if fields else ChangeKind.UNCHANGED
    return ProductChange(spec.sku, kind, tuple(fields), tuple(problems))


def _money(amount: Decimal | Money, currency: str) -> str:
    value = amount.amount if isinstance(amount, Money) else amount
    return str(Money(value, currency).amount)


def _field_changes(current: ProductView, spec: ProductSpec) -> Iterable[FieldChange]:
    pairs: list[tuple[str, object, object]] = [
        ("name", current.name, spec.name),
        ("price", _money(current.price, spec.currency), _money(spec.price, spec.currency)),
        ("active", current.active, spec.active),
        ("aliases", ", ".join(current.aliases), ", ".join(spec.aliases)),
        ("description", current.description, spec.description),
        ("max_per_viewer", current.max_per_viewer, spec.max_per_viewer),
        ("image_url", current.image_url, spec.image_url),
        ("delivery", current.delivery, spec.delivery_method),
        ("queue", current.queue, spec.queue),
        ("deliver_text", current.deliver_text, spec.deliver_text),
    ]
    if current.price.currency != spec.currency:
        pairs.append(("currency", current.price.currency, spec.currency))
    for name, before, after in pairs:
        if before != after:
            yield FieldChange(name, _show(before), _show(after))


def _show(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _variant_changes(
    current: ProductView, spec: ProductSpec, problems: list[StockProblem]
) -> Iterable[FieldChange]:
    existing: dict[str, VariantView] = {v.key: v for v in current.variants}
    wanted = {canonical_variant_key(v.options): v for v in spec.variants}
    for key, vspec in wanted.items():
        variant = existing.get(key)
        if variant is None:
            yield FieldChange(f"variant [{key}]", "—", f"stock {vspec.stock}")
            continue
        committed = variant.stock - variant.available
        if vspec.stock != variant.stock:
            yield FieldChange(f"stock [{key}]", str(variant.stock), str(vspec.stock))
        if vspec.stock < committed:
            problems.append(StockProblem(spec.sku, key, vspec.stock, committed))
        # a variant without a price of its own follows the product's (shown once, above)
        own = None if variant.price == current.price else _money(variant.price, spec.currency)
        wanted_own = None if vspec.price is None else _money(vspec.price, spec.currency)
        if own != wanted_own:
            yield FieldChange(f"price [{key}]", _show(own), _show(wanted_own))
    for key in existing:
        if key not in wanted:
            yield FieldChange(f"variant [{key}]", "on sale", "removed (kept in history)")


__all__ = [
    "ChangeKind",
    "FieldChange",
    "ImportPlan",
    "ProductChange",
    "StockProblem",
    "import_catalog",
    "plan_import",
]
