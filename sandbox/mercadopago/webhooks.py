"""Payment notifications, delivered as MercadoPago sends them: signed, retried, maybe faulty.

Duplicates, delays, reordering and wrong secrets come from the injected faults; `drain`
waits for every delivery in flight.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import aiohttp
from yarl import URL

from sandbox.mercadopago.payloads import ARGENTINA, COLLECTOR_ID, _iso, _now
from sandbox.mercadopago.signature import sign_notification
from sandbox.mercadopago.state import MercadoPagoState


async def _run(work: Awaitable[None]) -> None:
    await work


def _timestamp(*, milliseconds: bool) -> str:
    """`ts` for x-signature: seconds since the epoch, like the documentation's example
    (`ts=1704908010`) and the official SDKs' validators (`ts * 1000`); its prose says
    milliseconds, which the `ts_in_milliseconds` fault sends."""
    now = datetime.now(ARGENTINA).timestamp()
    return str(int(now * 1000) if milliseconds else int(now))


class Webhooks(MercadoPagoState):
    """Announcing payments to the webhook URL."""

    async def drain(self) -> None:
        """Wait until every webhook delivery in flight (retries included) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _notify(self, payment: dict[str, Any], action: str) -> None:
        url = payment.get("notification_url") or self.webhook_url
        if not url:
            return
        body = {
            "id": next(self._notification_ids),
            "live_mode": False,
            "type": "payment",
            "date_created": _iso(_now()),
            "user_id": COLLECTOR_ID,
            "api_version": "v1",
            "action": action,
            "data": {"id": str(payment["id"])},
        }
        # A duplicate is the same notification sent again, as MercadoPago's retries are.
        copies = 2 if self.faults.duplicate_webhooks else 1
        for _ in range(copies):
            if self.faults.reorder_webhooks:
                if not self._held:
                    self._spawn(self._release_held())
                self._held.append((url, body))
            else:
                self._spawn(self._deliver(url, body))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(_run(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _release_held(self) -> None:
        """Send what piled up during the window, shuffled: later news may arrive first."""
        await asyncio.sleep(self.faults.reorder_window_ms / 1000)
        held, self._held = self._held, []
        self._rng.shuffle(held)
        for url, body in held:
            self._spawn(self._deliver(url, body))

    async def _deliver(self, url: str, body: dict[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        if self.faults.webhook_delay_ms > 0:
            await asyncio.sleep(self.faults.webhook_delay_ms / 1000)
        payment_id = body["data"]["id"]
        target = URL(url).update_query({"data.id": payment_id, "type": "payment"})
        payload = json.dumps(body)
        for attempt in range(1, self.webhook_attempts + 1):
            secret = self.webhook_secret
            if self.faults.wrong_secret:
                secret = "not-" + secret
            request_id = str(uuid.uuid4())
            ts = _timestamp(milliseconds=self.faults.ts_in_milliseconds)
            headers = {
                "Content-Type": "application/json",
                "x-signature": sign_notification(secret, payment_id, request_id, ts),
                "x-request-id": request_id,
            }
            record: dict[str, Any] = {
                "notification_id": body["id"],
                "url": str(target),
                "payment_id": payment_id,
                "action": body["action"],
                "attempt": attempt,
                "request_id": request_id,
                "status": None,
                "error": None,
                "at": _iso(_now()),
                "body": body,
                "headers": headers,
            }
            try:
                async with self._session.post(
                    target, data=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=22)
                ) as response:
                    record["status"] = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                record["error"] = f"{type(exc).__name__}: {exc}"
            self._state.deliveries.append(record)
            if record["status"] in (200, 201):  # what MercadoPago accepts as received
                return
            if attempt < self.webhook_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)
