"""Provider notifications: persisted before the webhook is answered, processed after.

MercadoPago waits 22 seconds for an answer and stops retrying once it gets a 200. Fetching
the payment (through an API that may be slow or down) inside that window would risk both a
timeout and, worse, a notification acknowledged and then lost to a crash. So the webhook
only writes the notification to the `notifications` table and answers; this inbox drains the
table in the background — on start-up too, which resumes whatever a killed process left —
fetching each payment from the API (never trusting the body) with retries, recording it,
and marking the rows processed. Several processes may drain one PostgreSQL table: recording
is idempotent, so a row processed twice changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence

from bots.payments import PaymentRecorder
from bots.retry import Backoff, retry_async
from commerce.payments.base import (
    Notification,
    PaymentProvider,
    ProviderRejected,
    ProviderUnavailable,
)
from commerce.store import Store
from commerce.views import NotificationView

log = logging.getLogger(__name__)

# Topics worth a row. `merchant_order` is deliberately not among them: every Checkout Pro
# payment also raises a `payment` notification, and the reconciler covers the rest.
HANDLED_TOPICS = frozenset({"payment"})
FETCH_BACKOFF = Backoff(attempts=4, first=0.25, max_delay=4.0)  # within one drain
IDLE_BACKOFF = Backoff(attempts=1, first=2.0, max_delay=120.0)  # between drains that failed


class NotificationInbox:
    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        recorder: PaymentRecorder,
        *,
        fetch_backoff: Backoff = FETCH_BACKOFF,
        idle_backoff: Backoff = IDLE_BACKOFF,
        concurrency: int = 4,
        batch: int = 200,
    ) -> None:
        self.store = store
        self.provider = provider
        self.recorder = recorder
        self.fetch_backoff = fetch_backoff
        self.idle_backoff = idle_backoff
        self.concurrency = concurrency
        self.batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._working = False

    def wants(self, notification: Notification) -> bool:
        return notification.topic in HANDLED_TOPICS

    async def accept(self, notification: Notification) -> int:
        """Persist one notification and wake the processor; returns the row id.

        Raises if the database cannot take it: the webhook must then answer an error so
        that MercadoPago delivers it again.
        """
        row_id = await asyncio.to_thread(
            self.store.add_notification,
            self.provider.name,
            notification.topic,
            notification.resource_id,
            verified=notification.verified,
            raw=notification.raw,
        )
        self._wake.set()
        return row_id

    # -- processing --------------------------------------------------------------------

    async def drain_once(self) -> tuple[int, int]:
        """Process what is waiting now; returns (rows processed, rows left for later).

        Rows are marked processed in one transaction at the end: a crash before that only
        means recording them again, which changes nothing.
        """
        rows = await asyncio.to_thread(self.store.unprocessed_notifications, self.batch)
        groups: dict[str, list[NotificationView]] = defaultdict(list)
        for row in rows:
            groups[row.resource_id].append(row)
        gate = asyncio.Semaphore(self.concurrency)

        async def one(resource_id: str, group: list[NotificationView]) -> str | None:
            async with gate:
                return await self._process(resource_id, group)

        results = await asyncio.gather(*(one(rid, group) for rid, group in groups.items()))
        finished: dict[str, list[int]] = defaultdict(list)
        failed: list[int] = []
        for outcome, group in zip(results, groups.values(), strict=True):
            ids = [row.id for row in group]
            if outcome is None:
                failed.extend(ids)
            else:
                finished[outcome].extend(ids)
        await asyncio.to_thread(self._settle, finished, failed)
        return len(rows) - len(failed), len(failed)

    def _settle(self, finished: dict[str, list[int]], failed: list[int]) -> None:
        for outcome, ids in finished.items():
            self.store.finish_notifications(ids, outcome)
        self.store.notifications_failed(failed, "provider unavailable")

    async def _process(self, payment_id: str, rows: Sequence[NotificationView]) -> str | None:
        """One fetch for every waiting notification about the same payment (duplicates);
        returns the outcome to mark them with, or None to try again later."""
        try:
            report = await retry_async(
                lambda: self.provider.fetch_payment(payment_id),
                self.fetch_backoff,
                what=f"fetching payment {payment_id}",
            )
        except ProviderRejected as exc:
            # Unknown to the API (a forged or foreign id): nothing to record, ever.
            log.warning("notification for payment %s dropped: %s", payment_id, exc)
            return "rejected"
        except ProviderUnavailable as exc:
            log.warning("payment %s not fetched yet (%s); will retry", payment_id, exc)
            return None
        outcome = await self.recorder.record(report)
        return outcome.kind.value

    async def run(self) -> None:
        """Drain forever: at once on start-up (resuming), then whenever a webhook wakes us."""
        failures = 0
        while True:
            self._wake.clear()
            self._working = True
            try:
                done, left = await self.drain_once()
            except Exception:
                log.exception("processing notifications failed")
                done, left = 0, 1
            finally:
                self._working = False
            timeout: float | None
            if done and done + left >= self.batch:
                failures, timeout = 0, 0.0  # a full batch: take the next one now
            elif left:
                failures += 1  # the API is down or slow: wait, unless a webhook wakes us
                timeout = self.idle_backoff.delay(failures)
            else:
                failures, timeout = 0, None
            if timeout == 0.0:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def busy(self) -> bool:
        """Working, or woken and about to work (for `Bot.wait_idle`)."""
        return self._working or self._wake.is_set()
