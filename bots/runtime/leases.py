"""Leases: a name held by one process at a time, through PostgreSQL advisory locks.

Each process keeps one dedicated connection and asks, every `every` seconds, for the
session-scoped advisory lock of each name it wants. The lock lives as long as the session:
if the holder is killed (`kill -9`), the server ends its session and frees the lock at
once, and the next process to ask takes it within `every` seconds. The holder checks its
connection on every round; when it breaks, every lease is dropped (another process may
already hold it) and asked for again after reconnecting.

The names: "duties" (expiry, the reconciler, link retries: one leader) and each event role
("chat:twitch": the process that thanks buyers in Twitch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import zlib
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

LEASE_CLASS = 0x7669  # "vi": the first key of the two-key advisory locks, ours alone
DUTIES = "duties"


def lease_key(name: str) -> int:
    """The second advisory-lock key of `name` (a signed 32-bit number, as PostgreSQL wants)."""
    value = zlib.crc32(name.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq reads it (psycopg's own connect)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Leases:
    def __init__(
        self,
        url: str,
        wanted: Callable[[], Iterable[str]],
        *,
        every: float = 1.0,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.url = libpq_url(url)
        self.wanted = wanted
        self.every = every
        self.on_change = on_change
        self.held: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def holds(self, name: str) -> bool:
        return name in self.held

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._drop()

    async def _run(self) -> None:
        delay = self.every
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, application_name=f"vivo-leases-{os.getpid()}"
                )
            except psycopg.Error as exc:
                log.warning("leases: cannot reach the database (%s); retrying", exc)
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, 30.0)
                continue
            delay = self.every
            try:
                async with conn:
                    while True:
                        await self._round(conn)
                        await asyncio.sleep(self.every)
            except psycopg.Error as exc:
                log.warning("leases: connection lost (%s); every lease dropped", exc)
                self._drop()

    async def _round(self, conn: psycopg.AsyncConnection[tuple[object, ...]]) -> None:
        await conn.execute("SELECT 1")  # the session (and so every lock) is still ours
        gained = False
        for name in sorted(set(self.wanted()) - self.held):
            cursor = await conn.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", (LEASE_CLASS, lease_key(name))
            )
            row = await cursor.fetchone()
            if row is not None and row[0]:
                self.held.add(name)
                gained = True
                log.info("this process now holds %s", name)
        if gained and self.on_change is not None:
            self.on_change()

    def _drop(self) -> None:
        if self.held:
            self.held.clear()
            if self.on_change is not None:
                self.on_change()
