"""Events between processes on one PostgreSQL store: the outbox read back, woken by NOTIFY.

Every event is a row in `events_outbox` (written with the change it reports, see
`EventBus.record`). Each process keeps one connection that LISTENs on the outbox's channel;
a notification (or, as a safety net, `poll` seconds of silence) wakes the dispatcher, which
reads what it has not seen yet:

- listeners without a role (the overlay, the panel): from an in-memory cursor that starts
  at the newest event when the process starts, so every process that serves the web sees
  every event from then on;
- each role this process subscribed and holds the lease of (bots.runtime.leases): from the
  role's cursor in `event_cursors`, advanced after each event. A process that was away, or
  the one that takes a role over after a `kill -9`, reads on from where the role stopped,
  so nothing is lost; a kill between a delivery and its cursor's update is the only way an
  event reaches its role twice.

An event kind this process cannot import (a newer version wrote it, or a plugin not loaded
here) is logged and skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import cast

import psycopg

from bots.runtime.event_codec import decode, encode
from bots.runtime.events import Event, EventBus
from bots.runtime.leases import Leases, libpq_url
from commerce.eventlog import CHANNEL, EventRow
from commerce.store import Store

log = logging.getLogger(__name__)

POLL = 1.0  # seconds: how stale an event can get if a notification is lost
BATCH = 500


class SharedEvents:
    def __init__(self, store: Store, bus: EventBus, leases: Leases, *, poll: float = POLL) -> None:
        self.store = store
        self.bus = bus
        self.leases = leases
        self.poll = poll
        self._wake = asyncio.Event()
        self._local: int | None = None
        self._cursors: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._delivering = False

    # -- the bus's side ----------------------------------------------------------------

    async def write(self, events: Sequence[object]) -> None:
        await asyncio.to_thread(self.store.publish_events, [encode(e) for e in events])
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    # -- running -----------------------------------------------------------------------

    async def start(self) -> None:
        self._local = await asyncio.to_thread(self.store.last_event_id)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._dispatch())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    @property
    def busy(self) -> bool:
        return self._delivering or self._wake.is_set()

    async def _listen(self) -> None:
        url = libpq_url(self.store.url)
        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    delay = 0.5
                    self.wake()  # catch up on whatever came while we were not listening
                    async for _ in conn.notifies():
                        self.wake()
            except psycopg.Error as exc:
                log.warning("events: listening failed (%s); polling until it is back", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _dispatch(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()
            self._wake.clear()
            self._delivering = True
            try:
                await self._deliver_local()
                await self._deliver_roles()
            except Exception:
                log.exception("delivering events failed; trying again shortly")
            finally:
                self._delivering = False

    async def _deliver_local(self) -> None:
        if not self.bus.has_local or self._local is None:
            return
        while True:
            rows = await asyncio.to_thread(self.store.events_after, self._local, BATCH)
            for row in rows:
                event = _decoded(row)
                if event is not None:
                    await self.bus.deliver(event, None)
                self._local = row.id
            if len(rows) < BATCH:
                return

    async def _deliver_roles(self) -> None:
        for role in sorted(self.bus.roles()):
            if not self.leases.holds(role):
                self._cursors.pop(role, None)  # someone else reads on; ask again when ours
                continue
            if role not in self._cursors:
                self._cursors[role] = await asyncio.to_thread(self.store.event_cursor, role)
            while self.leases.holds(role):
                rows = await asyncio.to_thread(self.store.events_after, self._cursors[role], BATCH)
                for row in rows:
                    if not self.leases.holds(role):
                        break
                    event = _decoded(row)
                    if event is not None:
                        await self.bus.deliver(event, role)
                    await asyncio.to_thread(self.store.advance_event_cursor, role, row.id)
                    self._cursors[role] = row.id
                if len(rows) < BATCH:
                    break


def _decoded(row: EventRow) -> Event | None:
    try:
        return cast(Event, decode(row.kind, row.body))
    except LookupError as exc:
        log.warning("event %d skipped: %s", row.id, exc)
    except (TypeError, ValueError, KeyError) as exc:
        log.warning("event %d (%s) cannot be read: %s", row.id, row.kind, exc)
    return None
