"""Delivery: how an order reaches its buyer, what that costs, and the buyer's details.

Each product says how it is delivered (`ship`, `pickup` only, or `digital`). An order
needs "digital" when every line is digital (nothing to ask the buyer), "pickup" when a line
can only be picked up, else "ship" (shipping options and pickup points are both offered).

The owner's `[delivery]` config becomes `DeliveryRules` (bots.config builds it; commerce
knows no config): shipping options priced flat, per province, and free above an order
subtotal; pickup points with address and hours. `options()` lists what a buyer may choose
for one order, each with its cost, and "ship with order XYZ" at no cost when an earlier
order of the same buyer in the same stream (commerce.reports.stream_start) already pays
shipping. `set_details()` validates the buyer's choice and details and puts the shipping
cost into the order's total, bumping its revision (like a cart addition, commerce.fastpath)
so the old payment link is superseded and a new one is made for the new total.

The details themselves (name, contact, address) live in `delivery_details`, one row per
order, so erasing a buyer's personal data is a DELETE (commerce.buyers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from commerce import coupons, errors, reports, rows
from commerce.models import (
    DELIVERY_DETAILS,
    GIVEAWAYS,
    ORDER_LINES,
    ORDERS,
    PRODUCTS,
    SUPERSEDED_LINKS,
    Order,
)
from commerce.money import Money
from commerce.views import DeliveryDetails, OrderStatus

SHIP = "ship"
PICKUP = "pickup"
DIGITAL = "digital"
METHODS = (SHIP, PICKUP, DIGITAL)
#: A choice id that ships in the same parcel as an earlier order: "with:<CODE>".
WITH_PREFIX = "with:"

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_CHARS = re.compile(r"[\s().-]")
_PHONE = re.compile(r"\+?[0-9]{8,15}")


@dataclass(frozen=True, slots=True)
class ShippingOption:
    """One way to ship, e.g. "Correo Argentino". `price` is the flat price (None: only the
    listed provinces are served); `provinces` overrides it per province; at or above
    `free_above` (the order's goods subtotal) it costs nothing."""

    id: str
    name: str
    price: Decimal | None = None
    provinces: Mapping[str, Decimal] = field(default_factory=dict)
    free_above: Decimal | None = None

    def cost(self, subtotal: Decimal, province: str | None) -> Decimal | None:
        """What this option costs for an order, or None when it cannot ship there. With no
        province known yet, the flat price (or the cheapest province price) is quoted."""
        if self.free_above is not None and subtotal >= self.free_above:
            return Decimal(0)
        if province:
            wanted = fold(province)
            for name, price in self.provinces.items():
                if fold(name) == wanted:
                    return price
            return self.price
        if self.price is not None:
            return self.price
        return min(self.provinces.values()) if self.provinces else None


@dataclass(frozen=True, slots=True)
class PickupPoint:
    id: str
    name: str
    address: str = ""
    hours: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryRules:
    """The owner's delivery settings, as bots.config read them from `[delivery]`."""

    shipping: tuple[ShippingOption, ...] = ()
    pickup: tuple[PickupPoint, ...] = ()
    keep_personal_data_days: int = 90
    combine_gap: timedelta = reports.STREAM_GAP


@dataclass(frozen=True, slots=True)
class DeliveryChoice:
    """One thing the buyer may pick for an order: `id` goes back to `set_details`."""

    id: str  # a shipping option id, a pickup point id, or "with:<CODE>"
    method: str  # "ship" or "pickup"
    name: str
    cost: Money
    address: str = ""  # pickup points: where; "with:" choices: where the parcel goes
    hours: str = ""
    ship_with: str | None = None  # the earlier order's code for "with:" choices


@dataclass(frozen=True, slots=True)
class DeliveryOptions:
    """What `Store.delivery_options` answers: what the order needs and what may be chosen."""

    code: str
    needs: str  # "ship", "pickup" or "digital" (digital: nothing to choose)
    subtotal: Money  # the goods, without shipping
    choices: tuple[DeliveryChoice, ...]
    chosen: str | None  # the id chosen so far, if any


def fold(text: str) -> str:
    """Casefolded, accents dropped, spaces squeezed: "Córdoba " == "cordoba"."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def normalize_contact(text: str) -> str:
    """An email (lowercased) or a WhatsApp number as +digits; InvalidDeliveryDetails else.

    Accepted: "ana@example.com", "+54 9 11 5555-1234", "5491155551234" (8 to 15 digits)."""
    value = text.strip()
    if not value:
        raise errors.InvalidDeliveryDetails("contact", "missing")
    if "@" in value:
        if not _EMAIL.fullmatch(value):
            raise errors.InvalidDeliveryDetails("contact", "invalid")
        return value.lower()
    digits = _PHONE_CHARS.sub("", value)
    if not _PHONE.fullmatch(digits):
        raise errors.InvalidDeliveryDetails("contact", "invalid")
    return "+" + digits.lstrip("+")


# --- reading ---------------------------------------------------------------------------


def needs(s: Session, order_id: int) -> str:
    """What the order's lines need: "digital", "pickup" (a line is pickup only) or "ship"."""
    methods = set(
        s.scalars(
            select(PRODUCTS.c.delivery)
            .select_from(ORDER_LINES.join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id))
            .where(ORDER_LINES.c.order_id == order_id)
        )
    )
    if not methods or methods == {DIGITAL}:
        return DIGITAL
    return PICKUP if PICKUP in methods else SHIP


def subtotal_minor(s: Session, order_id: int) -> int:
    found = s.execute(
        select(
            func.coalesce(func.sum(ORDER_LINES.c.quantity * ORDER_LINES.c.unit_price_minor), 0)
        ).where(ORDER_LINES.c.order_id == order_id)
    ).scalar_one()
    return int(found)


def details_row(s: Session, order_id: int) -> Any:
    return s.execute(
        select(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.order_id == order_id)
    ).first()


def to_details(row: Any) -> DeliveryDetails:
    return DeliveryDetails(
        name=row.name,
        contact=row.contact,
        street=row.street,
        city=row.city,
        province=row.province,
        postal_code=row.postal_code,
        notes=row.notes,
        source=row.source,
        payer_name=row.payer_name,
        payer_contact=row.payer_contact,
    )


def complete(need: str, method: str | None, details: DeliveryDetails | None) -> bool:
    """Whether the owner knows enough to deliver: nothing for digital; a choice, a name and
    a contact for pickup; an address too when shipping."""
    if need == DIGITAL:
        return True
    if method is None or details is None or not details.name or not details.contact:
        return False
    if method == PICKUP:
        return True
    return all((details.street, details.city, details.province, details.postal_code))


def fulfilment_state(order: Order, need: str) -> str | None:
    """The order's fulfilment as shown: the stored state, or the method's first one."""
    if order.fulfilment:
        return order.fulfilment
    if order.status == OrderStatus.FULFILLED:
        return {DIGITAL: "delivered", PICKUP: "picked_up"}.get(need, "delivered")
    if order.status != OrderStatus.PAID:
        return None
    if need == DIGITAL:
        return "to_deliver"
    method = order.delivery_method or need
    return "preparing" if method == PICKUP else "ready_to_ship"


def order_fields(s: Session, order: Order) -> dict[str, Any]:
    """The delivery part of an OrderView (commerce.view_builders)."""
    assert order.id is not None
    need = needs(s, order.id)
    row = details_row(s, order.id)
    details = to_details(row) if row is not None else None
    with_code = None
    if order.ship_with_order_id is not None:
        with_code = s.execute(
            select(ORDERS.c.code).where(ORDERS.c.id == order.ship_with_order_id)
        ).scalar_one_or_none()
    return {
        "needs": need,
        "delivery_method": order.delivery_method,
        "delivery_option": order.delivery_option,
        "shipping": Money.from_minor(order.shipping_minor, order.currency),
        "ship_with": with_code,
        "details_complete": complete(need, order.delivery_method, details),
        "fulfilment": fulfilment_state(order, need),
        "carrier": order.carrier,
        "tracking": order.tracking,
        "shipped_at": order.shipped_at,
        "ready_at": order.ready_at,
        "fulfilled_at": order.fulfilled_at,
    }


def details_for(s: Session, code: str) -> DeliveryDetails | None:
    order = rows.find_order(s, code)
    row = details_row(s, int(order.id or 0))
    return to_details(row) if row is not None else None


def last_details_for(s: Session, platform: str, user_id: str) -> DeliveryDetails | None:
    """The details the buyer gave most recently (typed by them, not read from a payment)."""
    row = s.execute(
        select(DELIVERY_DETAILS)
        .select_from(DELIVERY_DETAILS.join(ORDERS, ORDERS.c.id == DELIVERY_DETAILS.c.order_id))
        .where(
            ORDERS.c.platform == platform,
            ORDERS.c.viewer_id == _viewer_id(s, platform, user_id),
            DELIVERY_DETAILS.c.source == "buyer",
        )
        .order_by(DELIVERY_DETAILS.c.updated_at.desc(), DELIVERY_DETAILS.c.id.desc())
        .limit(1)
    ).first()
    return to_details(row) if row is not None else None


def _viewer_id(s: Session, platform: str, user_id: str) -> int:
    from commerce.models import VIEWERS

    found = s.execute(
        select(VIEWERS.c.id).where(
            VIEWERS.c.platform == platform, VIEWERS.c.platform_user_id == user_id
        )
    ).scalar_one_or_none()
    return -1 if found is None else int(found)


def orders_missing_details(s: Session, paid_before: datetime, limit: int) -> list[Order]:
    """Paid (not yet fulfilled) orders that need delivery and lack complete details, paid
    before `paid_before`, oldest first."""
    found = s.scalars(
        select(Order)
        .where(ORDERS.c.status == OrderStatus.PAID.value, ORDERS.c.paid_at < paid_before)
        .order_by(ORDERS.c.paid_at, ORDERS.c.id)
    ).all()
    out: list[Order] = []
    for order in found:
        assert order.id is not None
        need = needs(s, order.id)
        row = details_row(s, order.id)
        if not complete(need, order.delivery_method, to_details(row) if row else None):
            out.append(order)
            if len(out) >= limit:
                break
    return out


# --- choosing --------------------------------------------------------------------------


def options(
    s: Session, order: Order, rules: DeliveryRules, province: str | None
) -> DeliveryOptions:
    """What the buyer may choose for `order`, each with its cost (see the module doc)."""
    assert order.id is not None
    need = needs(s, order.id)
    sub = subtotal_minor(s, order.id)
    subtotal = Money.from_minor(sub, order.currency)
    choices: list[DeliveryChoice] = []
    if need != DIGITAL:
        if need == SHIP:
            choices.extend(_with_choices(s, order, rules))
            for option in rules.shipping:
                cost = option.cost(subtotal.amount, province)
                if cost is not None:
                    choices.append(
                        DeliveryChoice(option.id, SHIP, option.name, Money(cost, order.currency))
                    )
        for point in rules.pickup:
            choices.append(
                DeliveryChoice(
                    point.id,
                    PICKUP,
                    point.name,
                    Money(Decimal(0), order.currency),
                    address=point.address,
                    hours=point.hours,
                )
            )
    return DeliveryOptions(order.code, need, subtotal, tuple(choices), order.delivery_option)


def _with_choices(s: Session, order: Order, rules: DeliveryRules) -> list[DeliveryChoice]:
    """Earlier orders of this buyer in this stream that already pay shipping: join them."""
    since = reports.stream_start(s, order.created_at, rules.combine_gap)
    since = min(since, order.created_at - rules.combine_gap)
    earlier = s.scalars(
        select(Order)
        .where(
            ORDERS.c.viewer_id == order.viewer_id,
            ORDERS.c.id != order.id,
            ORDERS.c.status.in_((OrderStatus.PAID.value, OrderStatus.PENDING.value)),
            ORDERS.c.created_at >= since,
            ORDERS.c.created_at <= order.created_at,
            ORDERS.c.delivery_method == SHIP,
            ORDERS.c.shipping_minor > 0,
            ORDERS.c.fulfilment.is_(None) | (ORDERS.c.fulfilment == "ready_to_ship"),
        )
        .order_by(ORDERS.c.created_at, ORDERS.c.id)
    ).all()
    out = []
    for other in earlier:
        assert other.id is not None
        row = details_row(s, other.id)
        where = ", ".join(p for p in (row.street, row.city) if p) if row is not None else ""
        out.append(
            DeliveryChoice(
                WITH_PREFIX + other.code,
                SHIP,
                other.code,
                Money(Decimal(0), order.currency),
                address=where,
                ship_with=other.code,
            )
        )
    return out


def set_details(
    s: Session,
    code: str,
    rules: DeliveryRules,
    choice_id: str,
    given: DeliveryDetails,
    at: datetime,
) -> Order:
    """Validate the buyer's choice and details, store them, and put the shipping cost into
    the total. Only while the order is pending: a paid order's total cannot change. The
    revision goes up (and the link is superseded) only when the total changed."""
    order = rows.lock_order(s, code)
    assert order.id is not None
    # A giveaway's prize (commerce.giveaways) is paid at no price: its details are asked
    # after, and shipping is the owner's gift (its total stays zero).
    prize = order.status == OrderStatus.PAID and (
        s.scalar(select(GIVEAWAYS.c.id).where(GIVEAWAYS.c.order_id == order.id)) is not None
    )
    # An order paid before anyone could ask (Twitch, YouTube without a public URL) takes
    # its details once, until it is on its way; its total is what was paid, so a shipping
    # cost is not charged here (the buyer is told it is settled with the seller).
    late = order.status == OrderStatus.PAID and not prize and awaits_details(s, order)
    if order.status != OrderStatus.PENDING and not prize and not late:
        raise errors.InvalidTransition("order", order.status, "delivery_details")
    province = given.province.strip() or None
    offered = options(s, order, rules, province)
    if offered.needs == DIGITAL:
        raise errors.InvalidDeliveryDetails("method", "invalid")
    choice = next((c for c in offered.choices if c.id == choice_id), None)
    if choice is None:
        raise errors.InvalidDeliveryDetails("method", "invalid" if choice_id else "missing")
    details = _clean(given, choice.method)
    if choice.ship_with is not None and not details.street:
        other = rows.find_order(s, choice.ship_with)
        previous = details_row(s, int(other.id or 0))
        if previous is not None:
            details = DeliveryDetails(
                name=details.name,
                contact=details.contact,
                street=previous.street,
                city=previous.city,
                province=previous.province,
                postal_code=previous.postal_code,
                notes=details.notes,
            )
    if choice.method == SHIP:
        for name in ("street", "city", "province", "postal_code"):
            if not getattr(details, name):
                raise errors.InvalidDeliveryDetails(name, "missing")
    shipping = 0 if prize or late else choice.cost.minor
    with_id = None
    if choice.ship_with is not None:
        with_id = rows.find_order(s, choice.ship_with).id
    _write_details(s, order, details, "buyer", at)
    # A coupon's discount (commerce.coupons) stays inside the total.
    total = subtotal_minor(s, order.id) - coupons.discount_of(s, order.id) + shipping
    if total != order.total_minor and not prize and not late:
        if order.preference_id is not None or order.payment_url is not None:
            s.execute(
                SUPERSEDED_LINKS.insert().values(
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
        order.total_minor = total
    order.delivery_method = choice.method
    order.delivery_option = choice.id
    order.shipping_minor = shipping
    order.ship_with_order_id = with_id
    s.flush()
    return order


def _clean(given: DeliveryDetails, method: str) -> DeliveryDetails:
    def text(value: str, limit: int) -> str:
        return " ".join(value.split())[:limit]

    name = text(given.name, 200)
    if not name:
        raise errors.InvalidDeliveryDetails("name", "missing")
    contact = normalize_contact(given.contact)
    keep_address = method == SHIP
    return DeliveryDetails(
        name=name,
        contact=contact,
        street=text(given.street, 200) if keep_address else "",
        city=text(given.city, 100) if keep_address else "",
        province=text(given.province, 100) if keep_address else "",
        postal_code=text(given.postal_code, 20) if keep_address else "",
        notes=given.notes.strip()[:1000],
    )


def _write_details(
    s: Session, order: Order, details: DeliveryDetails, source: str, at: datetime
) -> None:
    values = {
        "source": source,
        "name": details.name,
        "contact": details.contact,
        "street": details.street,
        "city": details.city,
        "province": details.province,
        "postal_code": details.postal_code,
        "notes": details.notes,
        "updated_at": at,
    }
    if details_row(s, int(order.id or 0)) is None:
        s.execute(
            DELIVERY_DETAILS.insert().values(order_id=order.id, viewer_id=order.viewer_id, **values)
        )
    else:
        s.execute(
            update(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.order_id == order.id).values(**values)
        )


def record_payer(s: Session, order: Order, name: str, email: str, at: datetime) -> bool:
    """Keep the payer's name and email from the provider's payment when the order has no
    details yet (a buyer no private chat can reach); True when recorded. They stay in
    `payer_name`/`payer_contact` when the buyer gives their own details later."""
    assert order.id is not None
    if needs(s, order.id) == DIGITAL:
        return False
    name = " ".join(name.split())[:200]
    try:
        contact = normalize_contact(email) if email.strip() else ""
    except errors.InvalidDeliveryDetails:
        contact = ""
    if not name and not contact:
        return False
    payer = {"payer_name": name, "payer_contact": contact}
    row = details_row(s, order.id)
    if row is not None:
        if row.source == "buyer" and not (row.payer_name or row.payer_contact):
            s.execute(
                update(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.id == row.id).values(**payer)
            )
        return False
    _write_details(s, order, DeliveryDetails(name=name, contact=contact), "payer", at)
    s.execute(
        update(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.order_id == order.id).values(**payer)
    )
    return True


def awaits_details(s: Session, order: Order) -> bool:
    """A paid order, not yet on its way, whose buyer has not given their details."""
    assert order.id is not None
    if order.status != OrderStatus.PAID or order.fulfilment not in (None, "ready_to_ship"):
        return False
    need = needs(s, order.id)
    row = details_row(s, order.id)
    if need == DIGITAL or (row is not None and row.source == "buyer"):
        return False
    return not complete(need, order.delivery_method, to_details(row) if row else None)


def ensure_row(s: Session, order: Order, at: datetime) -> Any:
    """The order's details row, made empty (source "payer") when it has none yet: where a
    deep link's proof is counted and its private chat kept (commerce.payer_proof)."""
    assert order.id is not None
    row = details_row(s, order.id)
    if row is None:
        _write_details(s, order, DeliveryDetails(), "payer", at)
        row = details_row(s, order.id)
    return row


def linked_to(s: Session, code: str) -> str | None:
    order = rows.find_order(s, code)
    row = details_row(s, int(order.id or 0))
    return None if row is None else row.linked_to


__all__ = [
    "DIGITAL",
    "METHODS",
    "PICKUP",
    "SHIP",
    "WITH_PREFIX",
    "DeliveryChoice",
    "DeliveryOptions",
    "DeliveryRules",
    "PickupPoint",
    "ShippingOption",
    "fold",
    "normalize_contact",
]
