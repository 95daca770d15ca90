"""Recording payments the provider confirms, and finding them when no webhook comes.

Both the webhook and the reconciler end in `PaymentRecorder.record`, so a payment seen
twice (or by both paths) is recorded once: the Store's transitions are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bots.runtime.events import (
    Event,
    EventBus,
    OrderPaid,
    OrderRefunded,
    RefundNeeded,
    TipReceived,
)
from bots.runtime.retry import Backoff, retry_async
from commerce.money import Money
from commerce.payments.base import PaymentError, PaymentProvider
from commerce.store import Store
from commerce.views import AwaitingPayment, OutcomeKind, PaymentOutcome, PaymentReport

log = logging.getLogger(__name__)

SEARCH_BACKOFF = Backoff(attempts=3, first=0.25, max_delay=2.0)
# Outcomes that left the store as it was (mismatches are logged by the recorder).
_UNCHANGED = (
    OutcomeKind.DUPLICATE,
    OutcomeKind.NOT_PAID,
    OutcomeKind.MISMATCH,
    OutcomeKind.UNKNOWN_REFERENCE,
)


class PaymentRecorder:
    def __init__(self, store: Store, provider: PaymentProvider, bus: EventBus) -> None:
        self.store = store
        self.provider = provider
        self.bus = bus

    async def record_id(self, payment_id: str) -> PaymentOutcome:
        """Fetch one payment from the provider (never trusting a webhook body) and record it."""
        report = await asyncio.to_thread(self.provider.fetch_payment, payment_id)
        return await self.record(report)

    async def record(self, report: PaymentReport) -> PaymentOutcome:
        outcome = await self.bus.record(
            lambda rows: self.store.record_payment(report, events=rows),
            lambda outcome: payment_events(outcome, report),
        )
        if outcome.kind is OutcomeKind.MISMATCH:
            log.warning(
                "payment %s does not match its reference %s: %s",
                report.provider_payment_id,
                report.external_reference,
                outcome.detail,
            )
        elif outcome.kind is OutcomeKind.UNKNOWN_REFERENCE:
            log.info(
                "payment %s has a reference this store does not know: %r",
                report.provider_payment_id,
                report.external_reference,
            )
        elif outcome.kind is OutcomeKind.REFUND_NEEDED and outcome.order is not None:
            order = outcome.order
            if outcome.detail == "superseded":
                log.error(
                    "order %s got payment %s for a link it had before lines joined it: refund "
                    "that payment with `vivo orders refund %s`",
                    order.code,
                    report.provider_payment_id,
                    order.code,
                )
            else:
                log.error(
                    "order %s was paid after it expired and there is no stock left: refund it "
                    "with `vivo orders refund %s`",
                    order.code,
                    order.code,
                )
        return outcome


def payment_events(outcome: PaymentOutcome, report: PaymentReport) -> list[Event]:
    """What a recorded payment reports; nothing when it changed nothing (a repeat)."""
    if outcome.kind is OutcomeKind.ORDER_PAID and outcome.order is not None:
        return [OrderPaid(outcome.order, late=outcome.detail == "late")]
    if outcome.kind is OutcomeKind.TIP_PAID and outcome.tip is not None:
        return [TipReceived(outcome.tip)]
    if outcome.kind is OutcomeKind.REFUND_NEEDED and outcome.order is not None:
        paid = Money(report.amount, outcome.order.total.currency)
        return [RefundNeeded(outcome.order, reason=outcome.detail, amount=paid)]
    if outcome.kind is OutcomeKind.REFUNDED and outcome.order is not None:
        return [OrderRefunded(outcome.order)]
    return []


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """How often to ask the provider about one reference, by how old and how alive it is.

    A buyer usually pays within a minute or two of getting the link, so young pending
    references are asked about every couple of seconds (the thank-you lands within ~10 s
    of paying); older pending ones less often; expired and cancelled ones (a late payment
    must still be found) rarely. `per_second` caps the searches overall, so hundreds of
    pending orders queue up by due time instead of hammering MercadoPago. With webhooks
    (`slowdown` > 1) polling is only a safety net for the ones that never came.
    """

    young_for: timedelta = timedelta(minutes=3)
    young_every: float = 2.0
    pending_every: float = 5.0
    late_every: float = 60.0
    old_after: timedelta = timedelta(hours=2)
    old_every: float = 600.0
    per_second: float = 5.0
    tick: float = 1.0
    slowdown: float = 1.0

    def interval(self, item: AwaitingPayment, now: datetime) -> float:
        age = now - item.created_at
        if item.pending:
            base = self.young_every if age < self.young_for else self.pending_every
        else:
            base = self.late_every if age < self.old_after else self.old_every
        return base * self.slowdown


WEBHOOK_SLOWDOWN = 10.0  # with a public URL, poll ten times less: webhooks come first


class Reconciler:
    """Asks the provider about pending orders and tips, so no payment waits on a webhook.

    Without a public URL this is how payments are found at all; with one, it catches the
    webhooks that never arrived. Each reference has its own next-due time (see PollPolicy);
    every tick polls the most overdue ones within the rate budget.
    """

    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        recorder: PaymentRecorder,
        *,
        policy: PollPolicy | None = None,
        backoff: Backoff = SEARCH_BACKOFF,
        max_interval: float = 60.0,
        concurrency: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.concurrency = concurrency
        self.store = store
        self.provider = provider
        self.recorder = recorder
        self.policy = policy or PollPolicy()
        self.backoff = backoff
        self.max_interval = max_interval
        self.clock = clock
        self._due: dict[str, float] = {}

    async def sync_once(self) -> list[PaymentOutcome]:
        """Ask about every awaiting reference now, whatever its schedule (`vivo payments
        sync`); returns what changed."""
        items = await asyncio.to_thread(self.store.awaiting_payment)
        return await self._poll([item.code for item in items])

    async def tick(self) -> list[PaymentOutcome]:
        """Ask about the references that are due, most overdue first, within the budget."""
        items = await asyncio.to_thread(self.store.awaiting_payment)
        now, wall = self.clock(), datetime.now(UTC)
        known = {item.code for item in items}
        for code in list(self._due):
            if code not in known:
                del self._due[code]
        # Most overdue first; among equals (new ones), the youngest: its buyer is paying now.
        due = sorted(
            (item for item in items if self._due.get(item.code, now) <= now),
            key=lambda item: (self._due.get(item.code, now), -item.created_at.timestamp()),
        )
        budget = max(1, int(self.policy.per_second * self.policy.tick))
        chosen = due[:budget]
        for item in chosen:
            self._due[item.code] = now + self.policy.interval(item, wall)
        return await self._poll([item.code for item in chosen])

    async def _poll(self, references: list[str]) -> list[PaymentOutcome]:
        outcomes: list[PaymentOutcome] = []
        gate = asyncio.Semaphore(self.concurrency)

        async def search(reference: str) -> list[PaymentReport]:
            async with gate:
                return await self._search(reference)

        results = await asyncio.gather(
            *(search(reference) for reference in references), return_exceptions=True
        )
        failure: BaseException | None = None
        for reference, result in zip(references, results, strict=True):
            if isinstance(result, BaseException):
                failure = failure or result
                self._due.pop(reference, None)  # ask again on the next tick
                continue
            for report in result:
                outcome = await self.recorder.record(report)
                if outcome.kind not in _UNCHANGED:
                    outcomes.append(outcome)
        if failure is not None:
            raise failure
        return outcomes

    async def _search(self, reference: str) -> list[PaymentReport]:
        return await retry_async(
            lambda: self.provider.search_by_reference(reference),
            self.backoff,
            what=f"searching payments for {reference}",
        )

    async def run(self) -> None:
        delay = self.policy.tick
        while True:
            try:
                await self.tick()
                delay = self.policy.tick
            except PaymentError as exc:
                delay = min(delay * 2, self.max_interval)
                log.warning("reconciler: provider unavailable (%s); next try in %.0f s", exc, delay)
            except Exception:
                delay = min(delay * 2, self.max_interval)
                log.exception("reconciler failed; next try in %.0f s", delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
