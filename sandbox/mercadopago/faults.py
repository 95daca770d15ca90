"""The failures tests can ask for through `/_sandbox/mercadopago/faults` or `set_faults`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    """What can go wrong, set through `POST /_sandbox/mercadopago/faults`.

    `error_rate`: share of API calls answered 500. `latency_ms`: added to every API call.
    `duplicate_webhooks`: every notification is sent twice. `webhook_delay_ms`: each
    delivery waits this long first. `reorder_webhooks`: notifications are held for
    `reorder_window_ms` and sent shuffled. `wrong_secret`: deliveries are signed with
    another secret. `ts_in_milliseconds`: `x-signature` carries `ts` in milliseconds, as the
    documentation's prose says, instead of seconds, as its example and MercadoPago's own
    validators read it. `seed` makes the random choices reproducible.
    """

    error_rate: float = 0.0
    latency_ms: int = 0
    duplicate_webhooks: bool = False
    wrong_secret: bool = False
    webhook_delay_ms: int = 0
    reorder_webhooks: bool = False
    reorder_window_ms: int = 200
    ts_in_milliseconds: bool = False
    seed: int | None = None
