"""Delivery to one adapter within the platform's send limits.

Payment links jump the queue ahead of announcements; long text is split at the platform's
length on word boundaries; nothing is sent faster than the platform allows, so the bot is
never the one that gets blocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace

from adapters.base import Adapter, Reply, SendLimits, split_text

log = logging.getLogger(__name__)


class RateWindow:
    """A sliding window: at most `count` sends in any `seconds`-long interval."""

    def __init__(self, count: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.count = count
        self.seconds = seconds
        self.clock = clock
        self.sent: deque[float] = deque()

    def wait_time(self) -> float:
        now = self.clock()
        while self.sent and now - self.sent[0] >= self.seconds:
            self.sent.popleft()
        if len(self.sent) < self.count:
            return 0.0
        return self.seconds - (now - self.sent[0])

    def record(self) -> None:
        self.sent.append(self.clock())


Sent = Callable[[Reply], Awaitable[None]]


class Outbox:
    """One adapter's queue. `on_sent` hears of every reply with a receipt once the adapter
    has taken its last piece; `on_wait` of every time the send limit holds a reply back
    (and for how many seconds), for `/metrics`."""

    def __init__(
        self,
        adapter: Adapter,
        limits: SendLimits | None = None,
        *,
        on_sent: Sent | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.adapter = adapter
        self.on_sent = on_sent
        self.on_wait = on_wait
        self.limits = limits or adapter.limits
        self.window = RateWindow(self.limits.messages, self.limits.per_seconds)
        self._queue: asyncio.PriorityQueue[tuple[int, int, Reply]] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self._sending = False
        self.sent_count = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def put(self, reply: Reply) -> None:
        pieces = split_text(reply.text, self._room(reply)) or [""]
        for number, piece in enumerate(pieces, start=1):
            receipt = reply.receipt if number == len(pieces) else None
            await self._queue.put(
                (int(reply.priority), next(self._seq), replace(reply, text=piece, receipt=receipt))
            )

    def _room(self, reply: Reply) -> int:
        mention = len(reply.mention.name) + 2 if reply.mention else 0
        return max(20, self.limits.max_length - mention)

    @property
    def depth(self) -> int:
        """Replies waiting to be sent (the panel shows it per platform)."""
        return self._queue.qsize() + (1 if self._sending else 0)

    @property
    def idle(self) -> bool:
        """Nothing queued here nor in the adapter's own queue (Twitch paces itself)."""
        adapter_idle = getattr(self.adapter, "idle", True)
        return self._queue.empty() and not self._sending and bool(adapter_idle)

    async def drain(self) -> None:
        while not self.idle:
            await asyncio.sleep(0.02)

    async def _run(self) -> None:
        while True:
            _, _, reply = await self._queue.get()
            self._sending = True
            try:
                delay = self.window.wait_time()
                if delay > 0:
                    held = time.monotonic()
                    while delay > 0:
                        await asyncio.sleep(delay)
                        delay = self.window.wait_time()
                    if self.on_wait is not None:
                        self.on_wait(time.monotonic() - held)
                self.window.record()
                await self.adapter.send(reply)
                self.sent_count += 1
                if reply.receipt is not None and self.on_sent is not None:
                    await self.on_sent(reply)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sending to %s failed", self.adapter.platform)
            finally:
                self._sending = False
                self._queue.task_done()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
