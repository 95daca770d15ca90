"""The owner's panel with a real history: every page under 100 ms with 100,000 orders?

Seeds a fresh store (SQLite by default, `--database-url` for PostgreSQL) with `--orders`
orders (default 100,000) over a year of streams — a two-hour burst every other day or so,
the last one still running — with their lines, payments' effects on stock, viewers on
every platform and tips; then serves the panel on loopback, signs in like a browser and
requests each page `--rounds` times (after a warm-up), timing the full HTTP answer.

Prints one line per page, then one JSON object as the last line: orders, slowest_page,
p95_ms (that page's), and every page's p95.

    python benchmarks/panel.py [--orders 100000] [--rounds 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiohttp import web
from sqlalchemy import update

from bots.chat.i18n import Messages
from bots.config import PanelSettings
from bots.runtime.services import Settings
from bots.web.panel import Panel, PanelContext
from commerce.codes import new_code
from commerce.models import ORDER_LINES, ORDERS, PRODUCTS, TIPS, VARIANTS, VIEWERS
from commerce.sessions import PanelRole
from commerce.store import Store
from commerce.views import ProductSpec, VariantSpec

PLATFORMS = ("twitch", "youtube", "discord", "telegram", "web")
STATUSES = ("paid",) * 5 + ("fulfilled",) * 3 + ("expired",) * 2 + ("refunded", "cancelled")
CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')


def catalog() -> list[ProductSpec]:
    specs = [
        ProductSpec(
            f"P{i:02d}",
            f"Producto {i}",
            Decimal(1000 + 500 * i),
            "ARS",
            stock=10_000_000,
            aliases=(f"prod{i}",),
        )
        for i in range(18)
    ]
    sizes = tuple(VariantSpec({"talle": t}, stock=5_000_000) for t in ("S", "M", "L", "XL"))
    specs.append(ProductSpec("REM", "Remera", Decimal(15000), "ARS", variants=sizes))
    specs.append(ProductSpec("BUZO", "Buzo", Decimal(25000), "ARS", variants=sizes))
    return specs


def seed(store: Store, orders: int, now: datetime, rng: random.Random) -> str:
    """Bulk rows straight into the tables (100,000 reservations one by one would be the
    benchmark of something else); stock counters are set to match. Returns a code."""
    store.sync_catalog(catalog())
    engine = store._engine
    with engine.begin() as conn:
        products = [(r.id, r.sku, r.price_minor) for r in conn.execute(PRODUCTS.select())]
        variants: dict[int, list[int]] = {}
        for v in conn.execute(VARIANTS.select()):
            variants.setdefault(int(v.product_id), []).append(int(v.id))
        conn.execute(
            VIEWERS.insert(),
            [
                {
                    "platform": PLATFORMS[i % len(PLATFORMS)],
                    "platform_user_id": f"user{i}",
                    "display_name": f"viewer{i} {rng.choice(['ana', 'beto', 'caro', 'dani'])}",
                }
                for i in range(8000)
            ],
        )
        streams = 180
        starts = [now - timedelta(days=2 * k, minutes=30) for k in range(streams)]
        per_stream = orders // streams + 1
        order_rows: list[dict[str, Any]] = []
        line_rows: list[dict[str, Any]] = []
        sold: dict[tuple[str, int], int] = {}
        reserved: dict[tuple[str, int], int] = {}
        for n in range(orders):
            start = starts[n // per_stream]
            created = start + timedelta(seconds=rng.uniform(0, 7200))
            if created > now:
                created = now - timedelta(seconds=rng.uniform(0, 1800))
            status = rng.choice(STATUSES)
            if created > now - timedelta(minutes=10) and rng.random() < 0.5:
                status = "pending"
            viewer = rng.randrange(8000)
            pid, _sku, price = rng.choice(products)
            quantity = rng.choice((1, 1, 1, 2, 3))
            variant = rng.choice(variants[pid]) if pid in variants else None
            order_rows.append(
                {
                    "id": n + 1,
                    "code": new_code(),
                    "viewer_id": viewer + 1,
                    "platform": PLATFORMS[viewer % len(PLATFORMS)],
                    "channel_id": "canal",
                    "locale": "es",
                    "status": status,
                    "total_minor": price * quantity,
                    "currency": "ARS",
                    "created_at": created,
                    "expires_at": created + timedelta(minutes=15),
                    "paid_at": created + timedelta(minutes=2)
                    if status in ("paid", "fulfilled", "refunded")
                    else None,
                    "needs_refund": False,
                }
            )
            line_rows.append(
                {
                    "order_id": n + 1,
                    "product_id": pid,
                    "variant_id": variant,
                    "quantity": quantity,
                    "unit_price_minor": price,
                }
            )
            if status in ("paid", "fulfilled", "pending"):
                key = ("variants", variant) if variant else ("products", pid)
                counts = reserved if status == "pending" else sold
                counts[key] = counts.get(key, 0) + quantity
        for i in range(0, len(order_rows), 5000):
            conn.execute(ORDERS.insert(), order_rows[i : i + 5000])
            conn.execute(ORDER_LINES.insert(), line_rows[i : i + 5000])
        for key in sold.keys() | reserved.keys():
            table, row_id = key
            target = VARIANTS if table == "variants" else PRODUCTS
            conn.execute(
                update(target)
                .where(target.c.id == row_id)
                .values(sold=sold.get(key, 0), reserved=reserved.get(key, 0))
            )
        conn.execute(
            TIPS.insert(),
            [
                {
                    "code": new_code(8),
                    "viewer_id": rng.randrange(8000) + 1,
                    "platform": "youtube",
                    "channel_id": "canal",
                    "locale": "es",
                    "amount_minor": rng.choice((50000, 100000, 300000)),
                    "currency": "ARS",
                    "message": "",
                    "source": "link",
                    "status": "paid",
                    "created_at": starts[k % streams] + timedelta(seconds=rng.uniform(0, 7000)),
                }
                for k in range(10_000)
            ],
        )
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load; plans need the statistics.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return str(order_rows[len(order_rows) // 2]["code"])


async def measure(store: Store, code: str, rounds: int) -> dict[str, float]:
    settings = Settings(store_name="Bench", currency="ARS")
    context = PanelContext(store, object(), settings, Messages(), PanelSettings())  # type: ignore[arg-type]
    app = web.Application()
    Panel(context).setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    month = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    pages = {
        "live": "/panel/vivo",
        "live_stats": "/panel/vivo/estado",
        "orders": "/panel/pedidos",
        "orders_paid": "/panel/pedidos?status=paid",
        "orders_search": "/panel/pedidos?q=beto",
        "orders_product": "/panel/pedidos?sku=REM&platform=twitch",
        "orders_page_40": "/panel/pedidos?pagina=40",
        "order": f"/panel/pedidos/{code}",
        "products": "/panel/productos",
        "summary_stream": "/panel/resumen",
        "summary_30_days": f"/panel/resumen?stream=range&desde={month}",
        "settings": "/panel/ajustes",
    }
    timings: dict[str, float] = {}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            link = store.panel_link(PanelRole.OWNER, timedelta(minutes=5))
            async with http.post(
                f"{base}/panel/entrar", data={"t": link}, headers={"Origin": base}
            ) as signed:
                assert signed.status == 200, signed.status
            for name, path in pages.items():
                samples = []
                for i in range(rounds + 3):
                    began = time.perf_counter()
                    async with http.get(f"{base}{path}") as response:
                        await response.read()
                        assert response.status == 200, (path, response.status)
                    if i >= 3:
                        samples.append((time.perf_counter() - began) * 1000)
                samples.sort()
                timings[name] = round(samples[max(0, int(len(samples) * 0.95) - 1)], 1)
                print(
                    f"{name:16} p95 {timings[name]:7.1f} ms"
                    f"  median {statistics.median(samples):6.1f} ms"
                )
    finally:
        await runner.cleanup()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vivo-bench-panel-"))
    url = args.database_url or f"sqlite:///{workdir / 'panel.db'}"
    store = Store(url)
    store.migrate()
    began = time.perf_counter()
    code = seed(store, args.orders, datetime.now(UTC), random.Random(13))
    print(
        f"seeded {args.orders} orders in {time.perf_counter() - began:.1f} s"
        f" ({store.url.split(':')[0]})"
    )
    timings = asyncio.run(measure(store, code, args.rounds))
    store.close()
    slowest = max(timings, key=lambda k: timings[k])
    result = {
        "orders": args.orders,
        "database": store.url.split(":")[0].split("+")[0],
        "slowest_page": slowest,
        "p95_ms": timings[slowest],
        "target_ms": 100,
        "pages_p95_ms": timings,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
