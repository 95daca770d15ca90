"""Retries: only transient provider failures, with growing, jittered, bounded waits."""

from __future__ import annotations

import random

import pytest

from bots.runtime.retry import Backoff, retry_async, retry_sync
from commerce.payments.base import ProviderRejected, ProviderUnavailable


def test_delays_grow_jittered_and_capped() -> None:
    backoff = Backoff(first=1.0, factor=2.0, max_delay=5.0)
    rng = random.Random(1)
    for failures, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)]:
        delays = {backoff.delay(failures, rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


async def test_unavailable_is_retried_until_it_works() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    call = Flaky(3, ProviderUnavailable("503"))
    assert await retry_async(call, Backoff(attempts=4, first=0.1), sleep=sleep) == "ok"
    assert call.calls == 4 and len(waits) == 3 and waits[0] <= 0.1 < waits[2]


async def test_attempts_run_out_and_refusals_are_not_retried() -> None:
    async def sleep(seconds: float) -> None:
        pass

    down = Flaky(10, ProviderUnavailable("503"))
    with pytest.raises(ProviderUnavailable):
        await retry_async(down, Backoff(attempts=3), sleep=sleep)
    assert down.calls == 3
    refused = Flaky(10, ProviderRejected("400", 400))
    with pytest.raises(ProviderRejected):
        retry_sync(refused, Backoff(attempts=3), sleep=lambda s: None)
    assert refused.calls == 1
