"""What the MercadoPago stand-in remembers: preferences, payments, refunds, deliveries.

`MercadoPagoState` holds it all (its constructor is the stand-in's), exposes it to tests
(`preferences`, `payments`, `deliveries`) and takes fault settings (`set_faults`).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from sandbox.mercadopago.faults import Faults


@dataclass
class _State:
    preferences: dict[str, dict[str, Any]] = field(default_factory=dict)
    preference_by_key: dict[str, str] = field(default_factory=dict)
    payments: dict[int, dict[str, Any]] = field(default_factory=dict)
    refund_by_key: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


class MercadoPagoState:
    """The state behind the stand-in, and direct access to it for tests."""

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = "sandbox-secret",
        access_token: str | None = None,
        webhook_attempts: int = 3,
        webhook_retry_delay: float = 0.2,
    ) -> None:
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.access_token = access_token
        self.webhook_attempts = max(1, webhook_attempts)
        self.webhook_retry_delay = webhook_retry_delay
        self.faults = Faults()
        self._rng = random.Random()
        self._state = _State()
        self._payment_ids = itertools.count(1310000001)
        self._refund_ids = itertools.count(2010000001)
        self._notification_ids = itertools.count(100000001)
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: list[tuple[str, dict[str, Any]]] = []
        self._session: aiohttp.ClientSession | None = None

    @property
    def preferences(self) -> dict[str, dict[str, Any]]:
        return self._state.preferences

    @property
    def payments(self) -> dict[int, dict[str, Any]]:
        return self._state.payments

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return self._state.deliveries

    def set_faults(self, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(self.faults, name, value)
        if "seed" in changes:
            self._rng = random.Random(self.faults.seed)
