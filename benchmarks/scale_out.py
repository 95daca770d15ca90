"""Scale out: four `Bot` processes on one fresh PostgreSQL database, racing and paid.

Each worker process runs the real bot (shared events, leases) with a recording chat
platform of its own ("bench0".."bench3") and sends its share of `--viewers` viewers'
`!comprar remera` through the router, all at once, for `--units` units. Then every order is
paid in the MercadoPago stand-in, whose signed webhooks reach the parent's web app (the
"web process": webhook, inbox, fetch from the API, record); each worker must thank its own
buyers, once. The same minimal reservation transactions are then run with raw psycopg in
the same number of processes, for the ratio.

Prints a few human lines, then one JSON object as the last line: processes,
commands_per_s, oversold, lost, thanks_expected, thanks_sent, thanks_by_right_process,
ratio_vs_raw_psycopg. 127.0.0.1 only; bounded in count and time.

    python benchmarks/scale_out.py [--processes 4] [--viewers 4000] [--units 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import secrets
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat.router import Router
from bots.config import Config, parse_config
from bots.runtime.bot import Bot
from bots.testing import RecordingAdapter, pay
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from commerce.views import OrderStatus, OrderView, TipView

PG_URL = os.environ.get("VIVO_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret"
TOKEN = "TEST-bench-token"
DEADLINE = 300.0  # seconds for any one phase


class InstantLinks:
    """Links without a provider during the race: it measures the command path and the store."""

    async def for_order(self, order: OrderView) -> str | None:
        return f"http://127.0.0.1/p/{order.code}"

    async def for_tip(self, tip: TipView) -> str | None:
        return f"http://127.0.0.1/p/{tip.code}"


def make_config(url: str, sandbox: str, port: int, units: int) -> Config:
    raw = {
        "store": {"name": "Escala", "database_url": url},
        "web": {"port": port},
        "payments": {
            "mercadopago": {
                "access_token": TOKEN,
                "webhook_secret": SECRET,
                "endpoint": f"{sandbox}/mercadopago",
            }
        },
        "products": [
            {
                "sku": "REM",
                "name": "Remera",
                "price": "15000",
                "stock": units,
                "aliases": ["remera"],
            }
        ],
    }
    return parse_config(raw, {})


# ------------------------------------------------------------------------- a worker


async def worker(
    index: int, url: str, sandbox: str, units: int, viewers: list[int], concurrency: int
) -> None:
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(concurrency + 4))
    config = make_config(url, sandbox, 0, units)
    store = Store(url)
    provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox}/mercadopago")
    platform = f"bench{index}"
    chat = RecordingAdapter(platform, "chan")
    bot = Bot(
        config, store, provider, [chat], serve_web=False, poll_payments=False, expiry_interval=3600
    )
    await bot.start()
    router = Router(dataclasses.replace(bot.services, links=InstantLinks()))
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def say(message: dict[str, Any]) -> None:
        print(json.dumps(message), flush=True)

    say({"ready": index})
    await reader.readline()  # "go"
    told: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def buyer(j: int) -> None:
        user = ChatUser(platform, f"u{j}", f"viewer{j}")
        msg = ChatMessage(platform, f"m{j}", "chan", user, "!comprar remera")
        replies: list[Reply] = []

        async def send(reply: Reply) -> None:
            replies.append(reply)

        async with gate:
            await router.handle(msg, send)
        if any(r.private for r in replies):
            told.append(user.id)

    t0 = time.perf_counter()
    await asyncio.gather(*(buyer(j) for j in viewers))
    say({"elapsed": time.perf_counter() - t0, "told": told})
    expected = int((await reader.readline()).decode().strip() or 0)  # thanks to wait for

    def thanks() -> list[str]:
        return [r.text for r in chat.sent if "Gracias" in r.text]

    deadline = loop.time() + DEADLINE
    while len(thanks()) < expected and loop.time() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a second copy would have come by now
    say({"thanks": thanks()})
    await reader.readline()  # "stop"
    await bot.stop()
    store.close()


# ----------------------------------------------------------------- raw psycopg baseline


def raw_worker(index: int, url: str, attempts: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        print(json.dumps({"ready": index}), flush=True)
        sys.stdin.readline()
        t0 = time.perf_counter()
        for i in range(attempts):
            uid = f"{index}-{i}"
            with conn.transaction():
                viewer_id = conn.execute(
                    "INSERT INTO raw_viewer (platform, uid, name) VALUES ('bench', %s, %s) "
                    "ON CONFLICT (platform, uid) DO UPDATE SET name = excluded.name RETURNING id",
                    (uid, uid),
                ).fetchone()[0]  # type: ignore[index]
                cur = conn.execute(
                    "UPDATE raw_product SET reserved = reserved + 1 "
                    "WHERE id = 1 AND stock - reserved - sold >= 1"
                )
                if cur.rowcount != 1:
                    continue
                order_id = conn.execute(
                    "INSERT INTO raw_orders (code, viewer_id, status, total, expires_at) "
                    "VALUES (%s, %s, 'pending', 15000, now() + interval '15 minutes') "
                    "RETURNING id",
                    (secrets.token_hex(5), viewer_id),
                ).fetchone()[0]  # type: ignore[index]
                conn.execute(
                    "INSERT INTO raw_line (order_id, product_id, qty, price) "
                    "VALUES (%s, 1, 1, 15000)",
                    (order_id,),
                )
        print(json.dumps({"elapsed": time.perf_counter() - t0}), flush=True)


def raw_schema(url: str, units: int) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(
            """
            CREATE TABLE raw_product (id INT PRIMARY KEY, stock INT, reserved INT, sold INT);
            CREATE TABLE raw_viewer (id SERIAL PRIMARY KEY, platform TEXT, uid TEXT, name TEXT,
                                     UNIQUE (platform, uid));
            CREATE TABLE raw_orders (id SERIAL PRIMARY KEY, code TEXT UNIQUE, viewer_id INT,
                                     status TEXT, total BIGINT, expires_at TIMESTAMPTZ);
            CREATE TABLE raw_line (id SERIAL PRIMARY KEY, order_id INT, product_id INT, qty INT,
                                   price BIGINT);
            """
        )
        conn.execute("INSERT INTO raw_product VALUES (1, %s, 0, 0)", (units,))


# ----------------------------------------------------------------------- the parent


async def spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def read(proc: asyncio.subprocess.Process) -> dict[str, Any]:
    assert proc.stdout is not None
    while True:
        async with asyncio.timeout(DEADLINE):
            line = await proc.stdout.readline()
        if not line:
            raise RuntimeError("a worker ended early")
        if line.startswith(b"{"):
            found: dict[str, Any] = json.loads(line)
            return found


async def tell(proc: asyncio.subprocess.Process, text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text.encode() + b"\n")
    await proc.stdin.drain()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def scale_out(
    url: str, processes: int, viewers: int, units: int, concurrency: int
) -> dict[str, Any]:
    from sandbox.app import Sandbox, SandboxConfig

    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(32))
    port = free_port()
    sandbox_config = SandboxConfig(
        mp_webhook_secret=SECRET,
        mp_access_token=TOKEN,
        mp_webhook_retry_delay=0.05,
        mp_webhook_url=f"http://127.0.0.1:{port}/webhooks/mercadopago",
    )
    async with Sandbox(sandbox_config) as sandbox:
        config = make_config(url, sandbox.url, port, units)
        store = Store(url)
        store.migrate()
        store.seed_catalog(list(config.products))
        provider = MercadoPagoProvider(TOKEN, SECRET, endpoint=f"{sandbox.url}/mercadopago")
        web = Bot(config, store, provider, [], poll_payments=False, expiry_interval=3600)
        await web.start()
        shares = [list(range(i, viewers, processes)) for i in range(processes)]
        workers = [
            await spawn(
                "--worker",
                str(i),
                "--url",
                url,
                "--sandbox",
                sandbox.url,
                "--units",
                str(units),
                "--concurrency",
                str(concurrency),
                "--viewers",
                ",".join(map(str, shares[i])),
            )
            for i in range(processes)
        ]
        try:
            for w in workers:
                await read(w)
            for w in workers:
                await tell(w, "go")
            raced = [await read(w) for w in workers]
            elapsed = max(r["elapsed"] for r in raced)
            told = {(f"bench{i}", uid) for i, r in enumerate(raced) for uid in r["told"]}
            orders = await asyncio.to_thread(store.list_orders, OrderStatus.PENDING, viewers + 10)
            have = {(o.platform, o.viewer.user_id) for o in orders}
            product = await asyncio.to_thread(store.get_product, "REM")
            committed = product.stock - product.available
            oversold = max(0, -product.available, committed - min(units, product.stock))
            lost = len(told ^ have) + abs(len(orders) - min(units, viewers))
            print(f"  race: {viewers} commands in {elapsed:.2f} s over {processes} processes")

            gate = asyncio.Semaphore(16)

            async def pay_one(order: OrderView) -> None:
                async with gate:
                    await web.links.for_order(order)
                    await pay(sandbox, order.code)

            t0 = time.perf_counter()
            await asyncio.gather(*(pay_one(o) for o in orders))
            deadline = time.perf_counter() + DEADLINE
            while time.perf_counter() < deadline:
                paid = await asyncio.to_thread(store.list_orders, OrderStatus.PAID, viewers + 10)
                if len(paid) >= len(orders):
                    break
                await asyncio.sleep(0.2)
            print(
                f"  payments: {len(paid)} recorded through webhooks in "
                f"{time.perf_counter() - t0:.2f} s"
            )
            by_platform = {f"bench{i}": 0 for i in range(processes)}
            for order in paid:
                by_platform[order.platform] += 1
            for i, w in enumerate(workers):
                await tell(w, str(by_platform[f"bench{i}"]))
            thanked = [await read(w) for w in workers]
            codes = {o.code: o.platform for o in paid}
            seen: dict[str, list[str]] = {}
            for i, t in enumerate(thanked):
                for text in t["thanks"]:
                    for code in re.findall(r"\b[A-Z0-9]{6,}\b", text):
                        if code in codes:
                            seen.setdefault(code, []).append(f"bench{i}")
            right = sum(1 for code, who in seen.items() if who == [codes[code]])
            for w in workers:
                await tell(w, "stop")
            for w in workers:
                async with asyncio.timeout(60):
                    await w.wait()
        finally:
            for w in workers:
                if w.returncode is None:
                    w.kill()
            await web.stop()
            store.close()
    return {
        "commands_per_s": round(viewers / elapsed, 1),
        "oversold": oversold,
        "lost": lost,
        "thanks_expected": len(paid),
        "thanks_sent": sum(len(t["thanks"]) for t in thanked),
        "thanks_by_right_process": right,
    }


async def raw_rate(url: str, processes: int, viewers: int, units: int) -> float:
    raw_schema(url, units)
    workers = [
        await spawn("--raw", str(i), "--url", url, "--attempts", str(viewers // processes))
        for i in range(processes)
    ]
    for w in workers:
        await read(w)
    for w in workers:
        await tell(w, "go")
    elapsed = max([(await read(w))["elapsed"] for w in workers])
    for w in workers:
        async with asyncio.timeout(60):
            await w.wait()
    return viewers / elapsed


def fresh_database() -> tuple[str, str]:
    import psycopg

    name = f"vivo_scale_{secrets.token_hex(4)}"
    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--viewers", default="4000")
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8, help="commands at once, each")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--raw", type=int)
    parser.add_argument("--url")
    parser.add_argument("--sandbox")
    parser.add_argument("--attempts", type=int)
    args = parser.parse_args()
    if args.worker is not None:
        share = [int(v) for v in args.viewers.split(",") if v]
        asyncio.run(
            worker(args.worker, args.url, args.sandbox, args.units, share, args.concurrency)
        )
        return
    if args.raw is not None:
        raw_worker(args.raw, args.url, args.attempts)
        return
    viewers = int(args.viewers)
    url, name = fresh_database()
    raw_url, raw_name = fresh_database()
    try:
        print(f"scale out: {args.processes} processes, {viewers} viewers, {args.units} units")
        result = asyncio.run(scale_out(url, args.processes, viewers, args.units, args.concurrency))
        raw = asyncio.run(raw_rate(raw_url, args.processes, viewers, args.units))
        print(f"  raw psycopg: {raw:.0f} reservation transactions/s in {args.processes} processes")
    finally:
        drop_database(name)
        drop_database(raw_name)
    result = {
        "processes": args.processes,
        **result,
        "ratio_vs_raw_psycopg": round(result["commands_per_s"] / raw, 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
