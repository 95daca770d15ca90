"""Orders as CSV, one row per order line: the same file from `vivo orders export` and the
panel's download, so a spreadsheet can sum units per product directly.

Rows are read in batches of orders (by id), so a year of sales streams in constant memory.
A buyer's name is typed in chat: one that looks like a spreadsheet formula is written as
text (a leading apostrophe), never as something Excel would run.

The delivery columns (name, contact, address) are personal data: only the owner exports
(the panel's download is an owner-only route; the CLI runs with the owner's config).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from commerce.reports import ExportLine
from commerce.store import Store
from commerce.views import DeliveryDetails

COLUMNS = [
    "code",
    "status",
    "created_at",
    "paid_at",
    "platform",
    "viewer",
    "sku",
    "variant",
    "quantity",
    "unit_price",
    "currency",
    "order_total",
    "delivery_name",
    "delivery_contact",
    "delivery_street",
    "delivery_city",
    "delivery_province",
    "delivery_postal_code",
    "delivery_notes",
]
BATCH = 500
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def batches(store: Store, batch: int = BATCH) -> Iterator[list[ExportLine]]:
    """Every order line, oldest order first, `batch` orders at a time."""
    after = 0
    while lines := store.panel_export(after, batch):
        yield lines
        after = lines[-1].order_id


def details(store: Store, lines: Iterable[ExportLine]) -> dict[str, DeliveryDetails | None]:
    """Each order's delivery details, once per order of a batch."""
    return {code: store.delivery_details(code) for code in dict.fromkeys(x.code for x in lines)}


def row(line: ExportLine, given: DeliveryDetails | None = None) -> list[str]:
    return [
        line.code,
        line.status,
        line.created_at.isoformat(),
        line.paid_at.isoformat() if line.paid_at else "",
        line.platform,
        line.buyer,
        line.sku,
        line.variant,
        str(line.quantity),
        str(line.unit_price),
        line.currency,
        str(line.total),
        *_delivery(given),
    ]


def _delivery(given: DeliveryDetails | None) -> list[str]:
    if given is None:
        return [""] * 7
    return [
        given.name,
        given.contact,
        given.street,
        given.city,
        given.province,
        given.postal_code,
        given.notes,
    ]


def text(rows: Iterable[list[str]]) -> str:
    """CSV text for `rows`, formula-looking cells made plain text."""
    out = io.StringIO()
    writer = csv.writer(out)
    for cells in rows:
        writer.writerow(["'" + c if c[:1] in _FORMULA else c for c in cells])
    return out.getvalue()
