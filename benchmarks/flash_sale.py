"""Flash sale: N viewers race for K units through the router and the Store.

Prints a few human lines, then one JSON object as the last line:
commands_per_s, p50_ms, p99_ms, oversold, lost, ratio_vs_raw_sqlite (and the same for
PostgreSQL when it is reachable), commands_vs_store (the router's commands/s divided by the
Store's own reservations/s, same run: what the command layer costs next to the database)
and serial_p99_ms (one `!comprar` at a time, each with units left).
`ratio_vs_raw_sqlite` is the Store's reservation throughput divided by a plain `sqlite3`
loop doing the same minimal transactions (viewer upsert, conditional stock update, order and
line inserts) with the same pragmas, in the
same run on the same disk (best of `--rounds` alternating rounds for each).

    python benchmarks/flash_sale.py [--viewers 2000] [--units 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.services import Services, Settings
from commerce.errors import OutOfStock
from commerce.store import Store
from commerce.views import (
    LineRequest,
    OrderStatus,
    OrderView,
    ProductSpec,
    TipView,
    ViewerRef,
)

PG_URL = os.environ.get("VIVO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class InstantLinks:
    """Links without a provider: this measures the command path and the store, not HTTP."""

    async def for_order(self, order: OrderView) -> str | None:
        return f"http://127.0.0.1/p/{order.code}"

    async def for_tip(self, tip: TipView) -> str | None:
        return f"http://127.0.0.1/p/{tip.code}"


def catalog(units: int) -> list[ProductSpec]:
    return [
        ProductSpec(
            sku="REM",
            name="Remera",
            price=Decimal("15000"),
            currency="ARS",
            stock=units,
            aliases=("remera",),
        )
    ]


async def race(store: Store, viewers: int, units: int, concurrency: int) -> dict[str, float]:
    settings = Settings(cooldown_seconds=0)
    services = Services(store=store, links=InstantLinks(), settings=settings, messages=Messages())
    router = Router(services)
    latencies: list[float] = []
    told_reserved: set[str] = set()
    gate = asyncio.Semaphore(concurrency)

    async def buyer(i: int) -> None:
        user = ChatUser("bench", f"u{i}", f"viewer{i}")
        msg = ChatMessage("bench", f"m{i}", "chan", user, "!comprar remera")
        replies: list[Reply] = []

        async def send(reply: Reply) -> None:
            replies.append(reply)

        async with gate:
            t0 = time.perf_counter()
            await router.handle(msg, send)
            latencies.append(time.perf_counter() - t0)
        if any(r.private for r in replies):
            told_reserved.add(user.id)

    t0 = time.perf_counter()
    await asyncio.gather(*(buyer(i) for i in range(viewers)))
    elapsed = time.perf_counter() - t0
    product = store.get_product("REM")
    orders = store.list_orders(OrderStatus.PENDING, limit=viewers + 10)
    buyers_with_orders = {o.viewer.user_id for o in orders}
    committed = product.stock - product.available
    latencies.sort()
    return {
        "commands_per_s": round(viewers / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "sold_or_reserved": committed,
        "oversold": max(0, -product.available, committed - min(units, product.stock)),
        "lost": len(told_reserved ^ buyers_with_orders) + abs(len(orders) - min(units, viewers)),
    }


def store_reservations(url: str, n: int) -> float:
    store = Store(url)
    store.migrate()
    store.sync_catalog(catalog(n))
    ttl = timedelta(minutes=15)
    t0 = time.perf_counter()
    for i in range(n):
        store.reserve(
            ViewerRef("bench", f"r{i}", f"r{i}"), "chan", [LineRequest("REM", 1)], ttl=ttl
        )
    rate = n / (time.perf_counter() - t0)
    try:
        store.reserve(ViewerRef("bench", "late", "late"), "chan", [LineRequest("REM", 1)], ttl=ttl)
        raise AssertionError("reserved past the stock")
    except OutOfStock:
        pass
    store.close()
    return rate


def raw_sqlite_reservations(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in (
        "journal_mode=WAL",
        "busy_timeout=30000",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        conn.execute(f"PRAGMA {pragma}")
    conn.executescript(
        """
        CREATE TABLE product (id INTEGER PRIMARY KEY, stock INT, reserved INT, sold INT);
        CREATE TABLE viewer (id INTEGER PRIMARY KEY, platform TEXT, uid TEXT, name TEXT,
                             UNIQUE (platform, uid));
        CREATE TABLE orders (id INTEGER PRIMARY KEY, code TEXT UNIQUE, viewer_id INT, status TEXT,
                             total TEXT, expires_at TEXT);
        CREATE TABLE line (id INTEGER PRIMARY KEY, order_id INT, product_id INT, qty INT,
                           price TEXT);
        """
    )
    conn.execute("INSERT INTO product VALUES (1, ?, 0, 0)", (n,))
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO viewer (platform, uid, name) VALUES ('bench', ?, ?) "
            "ON CONFLICT (platform, uid) DO UPDATE SET name = excluded.name",
            (f"r{i}", f"r{i}"),
        )
        viewer_id = conn.execute(
            "SELECT id FROM viewer WHERE platform='bench' AND uid=?", (f"r{i}",)
        ).fetchone()[0]
        cur = conn.execute(
            "UPDATE product SET reserved = reserved + 1 "
            "WHERE id = 1 AND stock - reserved - sold >= 1"
        )
        if cur.rowcount != 1:
            conn.execute("ROLLBACK")
            continue
        order_id = conn.execute(
            "INSERT INTO orders (code, viewer_id, status, total, expires_at) "
            "VALUES (?, ?, 'pending', '15000', '2099-01-01')",
            (secrets.token_hex(5), viewer_id),
        ).lastrowid
        conn.execute(
            "INSERT INTO line (order_id, product_id, qty, price) VALUES (?, 1, 1, '15000')",
            (order_id,),
        )
        conn.execute("COMMIT")
    rate = n / (time.perf_counter() - t0)
    conn.close()
    return rate


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=2):
            return True
    except Exception:
        return False


def fresh_pg_database() -> tuple[str, str]:
    import psycopg

    name = f"vivo_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_race(url: str, viewers: int, units: int, concurrency: int) -> dict[str, float]:
    store = Store(url)
    store.migrate()
    store.sync_catalog(catalog(units))
    try:
        return asyncio.run(race(store, viewers, units, concurrency))
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--reservations", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serial", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vivo-bench-") as tmp:
        tmpdir = Path(tmp)
        result = run_race(
            f"sqlite:///{tmpdir / 'race.db'}", args.viewers, args.units, args.concurrency
        )
        # Alternate the two loops and keep each one's best round, so a burst of load from
        # elsewhere on the machine penalises neither side.
        store_rate = raw_rate = 0.0
        for round_ in range(args.rounds):
            store_url = f"sqlite:///{tmpdir / f'store{round_}.db'}"
            store_rate = max(store_rate, store_reservations(store_url, args.reservations))
            raw_rate = max(
                raw_rate, raw_sqlite_reservations(tmpdir / f"raw{round_}.db", args.reservations)
            )
        serial = run_race(
            f"sqlite:///{tmpdir / 'serial.db'}", args.serial, args.serial, concurrency=1
        )
    result["serial_p50_ms"] = serial["p50_ms"]
    result["serial_p99_ms"] = serial["p99_ms"]
    result["commands_vs_store"] = round(result["commands_per_s"] / store_rate, 3)
    result["store_reservations_per_s"] = round(store_rate, 1)
    result["raw_sqlite_reservations_per_s"] = round(raw_rate, 1)
    result["ratio_vs_raw_sqlite"] = round(store_rate / raw_rate, 3)
    print(
        f"SQLite: {args.viewers} viewers for {args.units} units: "
        f"{result['commands_per_s']} commands/s, p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, oversold {result['oversold']}, lost {result['lost']}"
    )
    print(
        f"Store reservations {store_rate:.0f}/s vs raw sqlite3 {raw_rate:.0f}/s "
        f"(ratio {result['ratio_vs_raw_sqlite']}); router vs Store {result['commands_vs_store']}"
    )
    print(f"One at a time: p50 {result['serial_p50_ms']} ms, p99 {result['serial_p99_ms']} ms")

    if postgres_reachable():
        url, name = fresh_pg_database()
        try:
            pg = run_race(url, args.viewers, args.units, args.concurrency)
        finally:
            drop_pg_database(name)
        print(
            f"PostgreSQL: {pg['commands_per_s']} commands/s, p50 {pg['p50_ms']} ms, "
            f"p99 {pg['p99_ms']} ms, oversold {pg['oversold']}, lost {pg['lost']}"
        )
        result["postgres"] = pg
    else:
        print("PostgreSQL not reachable: skipped its run")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
