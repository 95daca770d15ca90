"""The packing list: paid orders still to hand over, grouped by buyer and destination.

One group per buyer and address (orders shipped together share an address, so they land in
one parcel), or per buyer and pickup point; lines of the same product and variant are added
up. Digital orders are not packed. The panel prints it; `vivo orders packing-list` too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import delivery
from commerce.models import ORDERS, Order
from commerce.view_builders import order_view
from commerce.views import DeliveryDetails, OrderStatus, ViewerRef


@dataclass(frozen=True, slots=True)
class PackingLine:
    sku: str
    name: str
    variant_key: str | None
    quantity: int


@dataclass(frozen=True, slots=True)
class PackingGroup:
    buyer: ViewerRef
    method: str  # "ship" or "pickup"
    destination: str  # the shipping option or pickup point id chosen ("" if none yet)
    details: DeliveryDetails | None  # None: the buyer has not given them yet
    orders: tuple[str, ...]  # codes, oldest first
    lines: tuple[PackingLine, ...]


def packing_list(s: Session) -> list[PackingGroup]:
    found = s.scalars(
        select(Order)
        .where(ORDERS.c.status == OrderStatus.PAID.value)
        .where(
            ORDERS.c.fulfilment.is_(None) | ORDERS.c.fulfilment.in_(("ready_to_ship", "preparing"))
        )
        .order_by(ORDERS.c.paid_at, ORDERS.c.id)
    ).all()
    groups: dict[tuple[object, ...], tuple[list[str], dict[tuple[str, str | None], list[object]]]]
    groups = {}
    heads: dict[tuple[object, ...], tuple[ViewerRef, str, str, DeliveryDetails | None]] = {}
    for order in found:
        assert order.id is not None
        need = delivery.needs(s, order.id)
        if need == delivery.DIGITAL:
            continue
        method = order.delivery_method or need
        row = delivery.details_row(s, order.id)
        details = delivery.to_details(row) if row is not None else None
        option = order.delivery_option or ""
        if option.startswith(delivery.WITH_PREFIX):
            option = ""
        address = (
            (details.street, details.city, details.province, details.postal_code)
            if details is not None and method == delivery.SHIP
            else (option,)
        )
        key = (order.viewer_id, method, *address)
        view = order_view(s, order)
        codes, lines = groups.setdefault(key, ([], {}))
        heads.setdefault(key, (view.viewer, method, option, details))
        codes.append(order.code)
        for line in view.lines:
            slot = lines.setdefault((line.sku, line.variant_key), [line.product_name, 0])
            slot[1] = int(str(slot[1])) + line.quantity
    out = []
    for key, (codes, lines) in groups.items():
        buyer, method, option, details = heads[key]
        out.append(
            PackingGroup(
                buyer=buyer,
                method=method,
                destination=option,
                details=details,
                orders=tuple(codes),
                lines=tuple(
                    PackingLine(sku, str(v[0]), variant, int(str(v[1])))
                    for (sku, variant), v in lines.items()
                ),
            )
        )
    return out


__all__ = ["PackingGroup", "PackingLine", "packing_list"]
