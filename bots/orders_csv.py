"""Orders as CSV, one row per order line: the same file from `vivo orders export` and the
panel's download, so a spreadsheet can sum units per product directly.

Rows are read in batches of orders (by id), so a year of sales streams in constant memory.
A buyer's name is typed in chat: one that looks like a spreadsheet formula is written as
text (a leading apostrophe), never as something Excel would run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from commerce.reports import ExportLine
from commerce.store import Store

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
]
BATCH = 500
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def batches(store: Store, batch: int = BATCH) -> Iterator[list[ExportLine]]:
    """Every order line, oldest order first, `batch` orders at a time."""
    after = 0
    while lines := store.panel_export(after, batch):
        yield lines
        after = lines[-1].order_id


def row(line: ExportLine) -> list[str]:
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
    ]


def text(rows: Iterable[list[str]]) -> str:
    """CSV text for `rows`, formula-looking cells made plain text."""
    out = io.StringIO()
    writer = csv.writer(out)
    for cells in rows:
        writer.writerow(["'" + c if c[:1] in _FORMULA else c for c in cells])
    return out.getvalue()
