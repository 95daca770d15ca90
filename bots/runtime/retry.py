"""Retrying provider calls that failed for a reason that may pass (5xx, 429, timeouts).

Exponential backoff with "equal jitter" (half the delay fixed, half random): many callers
that failed together (an outage) do not come back together, and none retries instantly.
Only `ProviderUnavailable` is retried; a refusal (4xx) would fail the same way again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from commerce.payments.base import ProviderUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Backoff:
    attempts: int = 5  # calls in all, the first included
    first: float = 0.25  # seconds before the second call
    factor: float = 2.0
    max_delay: float = 8.0

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `failures`-th consecutive failure (1-based)."""
        ceiling = min(self.max_delay, self.first * self.factor ** max(failures - 1, 0))
        return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


async def retry_async(
    call: Callable[[], T],
    backoff: Backoff = Backoff(),
    *,
    what: str = "provider call",
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run the blocking `call` off the event loop until it succeeds or `attempts` run out."""
    for failures in range(1, backoff.attempts + 1):
        try:
            return await asyncio.to_thread(call)
        except ProviderUnavailable as exc:
            if failures >= backoff.attempts:
                raise
            delay = backoff.delay(failures)
            log.debug("%s failed (%s); retry %d in %.2f s", what, exc, failures, delay)
            await sleep(delay)
    raise AssertionError("unreachable")


def retry_sync(
    call: Callable[[], T],
    backoff: Backoff = Backoff(),
    *,
    what: str = "provider call",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`retry_async` for command-line tools, which have no event loop to keep free."""
    for failures in range(1, backoff.attempts + 1):
        try:
            return call()
        except ProviderUnavailable as exc:
            if failures >= backoff.attempts:
                raise
            delay = backoff.delay(failures)
            log.debug("%s failed (%s); retry %d in %.2f s", what, exc, failures, delay)
            sleep(delay)
    raise AssertionError("unreachable")
