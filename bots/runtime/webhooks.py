"""Outgoing webhooks: every store event an owner asked for, signed, sent, retried for a day.

The sale never waits for a receiver. `on_event` (an EventBus listener, so it runs after
the store's transaction and after the buyer's reply is queued) only writes one row per
webhook; `run`, a background duty of the bot, sends what is due with a few requests at
once, each with a timeout. A refused connection, a timeout or an answer other than 2xx is
retried with exponential backoff and jitter (30 s, 1 min, 2 min … at most an hour apart)
until a day has passed since the event; then the delivery is given up and kept, with every
attempt, for `vivo webhooks log` and the panel. The rows live in the database, so a restart
resumes the retries. Payloads: bots/runtime/webhook_payloads.py; signatures:
bots/runtime/webhook_signing.py; the owner's guide: docs/webhooks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp

from bots.config import WebhookConfig
from bots.runtime.events import Event
from bots.runtime.webhook_payloads import TEST_EVENT, VERSION, body, event_type
from bots.runtime.webhook_signing import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    signature,
)
from commerce.store import Store
from commerce.webhooks import AttemptView, DeliveryView, NewDelivery

log = logging.getLogger(__name__)

USER_AGENT = f"Vivo-Webhooks/{VERSION}"
_READ_LIMIT = 4096  # what is read of an answer: receivers' bodies are not kept


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How hard to try. The defaults are the documented ones; tests shrink the waits."""

    first_retry: float = 30.0  # seconds after the first failure
    max_retry: float = 3600.0  # the longest wait between two attempts
    give_up_after: timedelta = timedelta(days=1)  # counted from the event
    timeout: float = 10.0  # per request, connection to last byte
    concurrency: int = 4  # requests in flight at once, over every webhook
    poll: float = 5.0  # the longest wait between looks at the table (other processes' rows)
    lease_seconds: float | None = None  # None: twice the timeout and 5 s more

    @property
    def lease(self) -> timedelta:
        """How long a sent row is held: past any request, so no other sender repeats it (a
        sender stopped mid-request leaves it due again after this)."""
        seconds = self.lease_seconds if self.lease_seconds is not None else self.timeout * 2 + 5
        return timedelta(seconds=seconds)

    def retry_in(self, failures: int, rng: random.Random) -> float:
        """Seconds before the next attempt after `failures` failed ones: doubling, capped,
        and jittered (half to all of it) so many deliveries to one receiver spread out."""
        base = min(self.first_retry * 2.0 ** max(failures - 1, 0), self.max_retry)
        return float(base * rng.uniform(0.5, 1.0))


def _wake_up(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


class WebhookSender:
    def __init__(
        self,
        store: Store,
        hooks: Sequence[WebhookConfig],
        *,
        store_name: str,
        policy: DeliveryPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.hooks = {hook.name: hook for hook in hooks}
        self.store_name = store_name
        self.policy = policy or DeliveryPolicy()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self._poked = False  # something happened since the last look at the table
        self._waiter: asyncio.Future[None] | None = None
        self._active: set[asyncio.Task[None]] = set()
        self._http: aiohttp.ClientSession | None = None

    # --- in: events become rows ---------------------------------------------------------

    async def on_event(self, event: Event) -> None:
        """EventBus listener: one row per webhook that wants this event, sent later."""
        kind = event_type(event)
        if kind is None:
            return
        hooks = await asyncio.to_thread(self.current)
        targets = [hook for hook in hooks.values() if kind in hook.events]
        if not targets:
            return
        rows = self._rows(event, kind, targets)
        await asyncio.to_thread(self.store.enqueue_webhooks, rows, self.clock())
        self._poke()

    def _rows(
        self, event: Event | None, kind: str, hooks: Sequence[WebhookConfig]
    ) -> list[NewDelivery]:
        event_id = new_event_id()
        created = self.clock()
        return [
            NewDelivery(
                event_id=event_id,
                event_type=kind,
                endpoint=hook.name,
                url=hook.url,
                body=body(
                    event,
                    kind,
                    event_id=event_id,
                    created=created,
                    store_name=self.store_name,
                    secret=hook.secret,
                ),
            )
            for hook in hooks
        ]

    def current(self, *, paused: bool = False) -> dict[str, WebhookConfig]:
        """The config's webhooks and the panel's (commerce.webhook_endpoints), read now: a
        webhook added, changed, paused or deleted in any process's panel counts at the next
        event and the next attempt. Paused ones only with `paused` (a test send). A panel
        webhook named like a config one is never sent to (the panel refuses that name)."""
        found = dict(self.hooks)
        for endpoint in self.store.webhook_endpoints():
            if (endpoint.enabled or paused) and endpoint.name not in found:
                found[endpoint.name] = WebhookConfig(
                    endpoint.name, endpoint.url, endpoint.events, endpoint.secret
                )
        return found

    # --- out: rows become requests --------------------------------------------------------

    async def run(self) -> None:
        """Send what is due, forever; cancelled by the bot's stop."""
        async with self._client() as http:
            self._http = http
            try:
                await self._loop()
            finally:
                for task in list(self._active):
                    task.cancel()
                for task in list(self._active):
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                self._http = None

    async def _loop(self) -> None:
        while True:
            self._poked = False
            free = self.policy.concurrency - len(self._active)
            leased: list[DeliveryView] = []
            if free > 0:
                try:
                    leased = await asyncio.to_thread(
                        self.store.lease_webhooks, self.policy.lease, free, self.clock()
                    )
                except Exception:
                    log.exception("reading outgoing webhooks failed")
            for delivery in leased:
                task = asyncio.get_running_loop().create_task(self._deliver(delivery))
                self._active.add(task)
                task.add_done_callback(self._done)
            if leased and len(leased) == free:
                continue  # there may be more due: lease again once a request finishes
            # Even with no webhooks: the owner may add one in the panel at any time.
            await self._sleep()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._active.discard(task)
        self._poke()

    def _poke(self) -> None:
        self._poked = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _sleep(self) -> None:
        """Until woken (a new event, a request done), the next row falls due, or `poll`."""
        delay = self.policy.poll
        if len(self._active) < self.policy.concurrency:
            with contextlib.suppress(Exception):
                due = await asyncio.to_thread(self.store.next_webhook_due)
                if due is not None:
                    delay = min(delay, max((due - self.clock()).total_seconds(), 0.0))
        if self._poked or (delay <= 0 and len(self._active) < self.policy.concurrency):
            await asyncio.sleep(0)  # due now, or something happened: look again at once
            return
        # A plain future and a timer rather than wait_for on an Event: cancelling the bot
        # must never wait on a helper task.
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        timer = loop.call_later(max(delay, 0.0), _wake_up, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def _deliver(self, delivery: DeliveryView) -> None:
        try:
            hooks = await asyncio.to_thread(self.current)
        except Exception:
            log.exception("reading the panel's webhooks failed (the delivery is tried later)")
            return
        hook = hooks.get(delivery.endpoint)
        if hook is None:
            log.warning(
                "webhook %s is no longer in the config or the panel (or is paused):"
                " gave up on %s %s",
                delivery.endpoint,
                delivery.event_type,
                delivery.event_id,
            )
            await asyncio.to_thread(self.store.give_up_webhook, delivery.id, self.clock())
            return
        assert self._http is not None
        attempt = await self._attempt(self._http, hook, delivery)
        retry_at = None
        if attempt.error is not None:
            later = attempt.at + timedelta(
                seconds=self.policy.retry_in(delivery.attempts + 1, self.rng)
            )
            if later < delivery.created_at + self.policy.give_up_after:
                retry_at = later
        try:
            await asyncio.to_thread(
                self.store.record_webhook_attempt, delivery.id, attempt, retry_at=retry_at
            )
        except Exception:
            log.exception("recording a webhook attempt failed (it is sent again later)")
            return
        if attempt.error is not None and retry_at is None:
            log.warning(
                "webhook %s: gave up on %s %s after %d attempts (last: %s)",
                hook.name,
                delivery.event_type,
                delivery.event_id,
                delivery.attempts + 1,
                attempt.error,
            )

    async def _attempt(
        self, http: aiohttp.ClientSession, hook: WebhookConfig, delivery: DeliveryView
    ) -> AttemptView:
        """One signed POST; never raises for what the receiver or the network did."""
        payload = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(hook.secret, int(time.time()), payload),
            EVENT_ID_HEADER: delivery.event_id,
            EVENT_TYPE_HEADER: delivery.event_type,
        }
        at = self.clock()
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            async with http.post(
                hook.url, data=payload, headers=headers, allow_redirects=False
            ) as answer:
                status = answer.status
                await answer.content.read(_READ_LIMIT)
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except TimeoutError:
            error = f"no answer within {self.policy.timeout:g} s"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except Exception as exc:  # an address aiohttp cannot even try (a bad port, say)
            error = f"{type(exc).__name__}: {exc}"
        duration = int((time.monotonic() - started) * 1000)
        return AttemptView(delivery.id, at, status, error, duration)

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[aiohttp.ClientSession]:
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            yield http

    # --- by hand: `vivo webhooks test`, the panel's button -------------------------------

    async def send_test(self, hook: WebhookConfig) -> tuple[DeliveryView, AttemptView]:
        """Send one signed `webhook.test` event now, once, and record it like any delivery.

        The row is born leased, so a bot running meanwhile does not send it too; it is
        never retried: the owner sees the answer at once and tries again themselves.
        """
        [row] = self._rows(None, TEST_EVENT, [hook])
        [delivery_id] = await asyncio.to_thread(
            self.store.enqueue_webhooks, [row], self.clock(), self.policy.lease
        )
        delivery = await asyncio.to_thread(self.store.get_webhook_delivery, delivery_id)
        if self._http is not None:
            attempt = await self._attempt(self._http, hook, delivery)
        else:
            async with self._client() as http:
                attempt = await self._attempt(http, hook, delivery)
        done = await asyncio.to_thread(
            self.store.record_webhook_attempt, delivery_id, attempt, retry_at=None
        )
        return done, attempt
