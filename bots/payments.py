"""Recording payments the provider confirms, and finding them when no webhook comes.

Both the webhook and the reconciler end in `PaymentRecorder.record`, so a payment seen
twice (or by both paths) is recorded once: the Store's transitions are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import random

from bots.events import EventBus, OrderPaid, OrderRefunded, RefundNeeded, TipReceived
from commerce.payments.base import PaymentError, PaymentProvider
from commerce.store import Store
from commerce.views import OutcomeKind, PaymentOutcome, PaymentReport

log = logging.getLogger(__name__)


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
        outcome = await asyncio.to_thread(self.store.record_payment, report)
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
        await self._announce(outcome)
        return outcome

    async def _announce(self, outcome: PaymentOutcome) -> None:
        if outcome.kind is OutcomeKind.ORDER_PAID and outcome.order is not None:
            await self.bus.publish(OrderPaid(outcome.order, late=outcome.detail == "late"))
        elif outcome.kind is OutcomeKind.TIP_PAID and outcome.tip is not None:
            await self.bus.publish(TipReceived(outcome.tip))
        elif outcome.kind is OutcomeKind.REFUND_NEEDED and outcome.order is not None:
            log.error(
                "order %s was paid after it expired and there is no stock left: refund it "
                "with `vivo orders refund %s`",
                outcome.order.code,
                outcome.order.code,
            )
            await self.bus.publish(RefundNeeded(outcome.order))
        elif outcome.kind is OutcomeKind.REFUNDED and outcome.order is not None:
            await self.bus.publish(OrderRefunded(outcome.order))


class Reconciler:
    """Asks the provider about every pending order and tip, so no payment waits on a webhook.

    Without a public URL this is how payments are found at all; with one, it catches the
    webhooks that never arrived.
    """

    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        recorder: PaymentRecorder,
        *,
        interval: float = 3.0,
        max_interval: float = 60.0,
    ) -> None:
        self.store = store
        self.provider = provider
        self.recorder = recorder
        self.interval = interval
        self.max_interval = max_interval

    async def sync_once(self) -> list[PaymentOutcome]:
        outcomes: list[PaymentOutcome] = []
        references = await asyncio.to_thread(self.store.pending_references)
        for reference in references:
            reports = await asyncio.to_thread(self.provider.search_by_reference, reference)
            for report in reports:
                outcome = await self.recorder.record(report)
                if outcome.kind not in (OutcomeKind.DUPLICATE, OutcomeKind.NOT_PAID):
                    outcomes.append(outcome)
        return outcomes

    async def run(self) -> None:
        delay = self.interval
        while True:
            try:
                await self.sync_once()
                delay = self.interval
            except PaymentError as exc:
                delay = min(delay * 2, self.max_interval)
                log.warning("reconciler: provider unavailable (%s); next try in %.0f s", exc, delay)
            except Exception:
                delay = min(delay * 2, self.max_interval)
                log.exception("reconciler failed; next try in %.0f s", delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
