"""Provider notifications: persisted before the webhook is answered, processed after.

MercadoPago waits 22 seconds for an answer and stops retrying once it gets a 200. Fetching
the payment (through an API that may be slow or down) inside that window would risk both a
timeout and, worse, a notification acknowledged and then lost to a crash. So the webhook
only writes the notification to the `notifications` table and answers; this inbox drains the
table in the background — on start-up too, which resumes whatever a killed process left —
fetching each payment from the API (never trusting the body) with retries, recording it,
and marking the rows processed. Several processes may drain one PostgreSQL table: recording
is idempotent, so a row processed twice changes nothing.

Fairness: a row that fails waits out its own backoff (its next-attempt time) and is not due
meanwhile; workers pick the next due row each time one frees up (signed before unsigned,
fewest failures first), so a flood of bad rows, old or new, cannot starve a real
notification. A row refused by the API, or one that failed `give_up_after` times, leaves
the loop: it is kept, finished as `rejected` or `gave_up`, for `vivo payments inbox`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from bots.runtime.metrics import Metrics
from bots.runtime.payments import PaymentRecorder
from bots.runtime.retry import Backoff, retry_async
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
FETCH_BACKOFF = Backoff(attempts=2, first=0.25, max_delay=1.0)  # within one attempt
ROW_BACKOFF = Backoff(first=2.0, max_delay=900.0)  # a failed row waits this before the next
GIVE_UP_AFTER = 20  # failed attempts; with ROW_BACKOFF about three hours of outage
IDLE_BACKOFF = Backoff(attempts=1, first=2.0, max_delay=120.0)  # after the drain itself broke
REJECTED = "rejected"
GAVE_UP = "gave_up"


class NotificationInbox:
    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        recorder: PaymentRecorder,
        *,
        fetch_backoff: Backoff = FETCH_BACKOFF,
        row_backoff: Backoff = ROW_BACKOFF,
        give_up_after: int = GIVE_UP_AFTER,
        idle_backoff: Backoff = IDLE_BACKOFF,
        concurrency: int = 4,
        batch: int = 200,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.provider = provider
        self.recorder = recorder
        self.fetch_backoff = fetch_backoff
        self.row_backoff = row_backoff
        self.give_up_after = give_up_after
        self.idle_backoff = idle_backoff
        self.concurrency = concurrency
        self.batch = batch
        self.metrics = metrics
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
        """Process what is due, up to `batch` payments; returns (rows finished, rows that
        failed and wait for a later attempt).

        Each worker takes the best due row when it frees up, so one that arrives during the
        drain goes ahead of older rows that already failed. A payment is tried at most once
        per drain, and its rows are settled as soon as it is done: a crash loses at most
        the work in hand, which is only recorded again (changing nothing).
        """
        seen: set[str] = set()
        picking = asyncio.Lock()
        counts = [0, 0]

        async def pick() -> list[NotificationView]:
            async with picking:
                if len(seen) >= self.batch:
                    return []
                due = await asyncio.to_thread(
                    self.store.due_notifications, self.concurrency * 4, exclude=seen
                )
                if not due:
                    return []
                resource_id = due[0].resource_id
                seen.add(resource_id)
                return [row for row in due if row.resource_id == resource_id]

        async def worker() -> None:
            while group := await pick():
                payment_id = group[0].resource_id
                try:
                    finished = await self._process(payment_id, group)
                except Exception as exc:  # a bug or a broken database: count it on the row
                    log.exception(
                        "processing the notification for payment %s failed",
                        payment_id,
                        extra={"payment": payment_id},
                    )
                    finished = await self._failed(payment_id, group, repr(exc))
                counts[0 if finished else 1] += len(group)

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return counts[0], counts[1]

    async def _process(self, payment_id: str, rows: Sequence[NotificationView]) -> bool:
        """One fetch for every waiting notification about the same payment (duplicates);
        settles the rows and returns whether they are finished."""
        ids = [row.id for row in rows]
        try:
            report = await retry_async(
                lambda: self.provider.fetch_payment(payment_id),
                self.fetch_backoff,
                what=f"fetching payment {payment_id}",
            )
        except ProviderRejected as exc:
            # Unknown to the API, or not a payment at all: nothing to record, ever.
            log.warning(
                "notification for payment %s dropped: %s",
                payment_id,
                exc,
                extra={"payment": payment_id},
            )
            await asyncio.to_thread(self.store.finish_notifications, ids, REJECTED, error=str(exc))
            self._count(REJECTED)
            return True
        except ProviderUnavailable as exc:
            return await self._failed(payment_id, rows, str(exc))
        outcome = await self.recorder.record(report)
        await asyncio.to_thread(self.store.finish_notifications, ids, outcome.kind.value)
        self._count(outcome.kind.value)
        return True

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.payment("webhook", outcome)

    async def _failed(self, payment_id: str, rows: Sequence[NotificationView], error: str) -> bool:
        """Count the failure on each row: it waits its own backoff, or is given up on."""
        failures = max(row.attempts for row in rows) + 1
        ids = [row.id for row in rows]
        error = f"provider unavailable: {error}"
        if failures >= self.give_up_after:
            log.error(
                "gave up on payment %s after %d failed attempts: %s",
                payment_id,
                failures,
                error,
                extra={"payment": payment_id},
            )
            await asyncio.to_thread(self.store.notifications_failed, ids, error)
            await asyncio.to_thread(self.store.finish_notifications, ids, GAVE_UP)
            self._count(GAVE_UP)
            return True
        retry_at = datetime.now(UTC) + timedelta(seconds=self.row_backoff.delay(failures))
        log.warning(
            "payment %s not fetched yet (%s); will retry",
            payment_id,
            error,
            extra={"payment": payment_id},
        )
        self._count("retry")
        await asyncio.to_thread(self.store.notifications_failed, ids, error, retry_at)
        return False

    async def run(self) -> None:
        """Drain forever: at once on start-up (resuming), then whenever a webhook wakes us
        or the earliest waiting row falls due."""
        failures = 0
        while True:
            self._wake.clear()
            self._working = True
            timeout: float | None
            try:
                await self.drain_once()
                failures, timeout = 0, await self._until_due()
            except Exception:
                log.exception("processing notifications failed")
                failures += 1
                timeout = self.idle_backoff.delay(failures)
            finally:
                self._working = False
            if timeout == 0.0:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def _until_due(self) -> float | None:
        """Seconds until the earliest unprocessed row is due; None when none waits."""
        due = await asyncio.to_thread(self.store.next_notification_due)
        if due is None:
            return None
        return max((due - datetime.now(UTC)).total_seconds(), 0.0)

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
