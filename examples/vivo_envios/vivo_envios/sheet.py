"""Paid orders as one CSV row each, POSTed to a Google-Sheets-compatible endpoint.

A Google Apps Script web app (or any endpoint that appends `text/csv` rows) gets:
`paid_at,code,platform,items,total,currency`. No names or contacts: the sheet is for
counting and packing, the panel has the rest.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import aiohttp

from bots.plugin import OrderView

TIMEOUT = aiohttp.ClientTimeout(total=10)


def csv_row(order: OrderView) -> str:
    when = (order.paid_at or datetime.now(UTC)).isoformat(timespec="seconds")
    items = "; ".join(
        f"{line.quantity}x {line.sku}" + (f" ({line.variant_key})" if line.variant_key else "")
        for line in order.lines
    )
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        [when, order.code, order.platform, items, str(order.total.amount), order.total.currency]
    )
    return out.getvalue()


async def post_paid_order(url: str, order: OrderView) -> None:
    """One POST; a failure raises, and Vivo logs it as this plugin's."""
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as http,
        http.post(url, data=csv_row(order).encode(), headers={"Content-Type": "text/csv"}) as r,
    ):
        r.raise_for_status()
