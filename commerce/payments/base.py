"""What the store needs from a payment provider, independent of any SDK.

The bot talks to providers only through `PaymentProvider`, so tests and the demo can swap
MercadoPago for anything that honours this contract. Every call is synchronous because the
official SDKs are; the bot runs them with `asyncio.to_thread`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from commerce.money import Money
from commerce.views import PaymentReport

MAX_IDEMPOTENCY_KEY = 64  # MercadoPago accepts 1–64 characters


@dataclass(frozen=True, slots=True)
class LinkItem:
    id: str
    title: str
    quantity: int
    unit_price: Decimal
    currency: str


#: The item id of an order's shipping cost. Shipping goes to the provider as one more item
#: line, not as MercadoPago's `shipments.cost`, so the items always add up to the order's
#: total and the payment's `transaction_amount` equals it (docs/delivery.md).
SHIPPING_ITEM_ID = "shipping"


def shipping_item(amount: Decimal, currency: str, title: str) -> LinkItem:
    """The line that charges shipping (see SHIPPING_ITEM_ID)."""
    return LinkItem(
        id=SHIPPING_ITEM_ID, title=title, quantity=1, unit_price=amount, currency=currency
    )


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """One payment link for one order or tip.

    `reference` travels as the provider's external reference, which is how a payment finds
    its order again; `idempotency_key` makes a retried request return the same link.
    """

    reference: str
    title: str
    items: tuple[LinkItem, ...]
    total: Money
    expires_at: datetime
    idempotency_key: str
    notification_url: str | None = None
    back_url: str | None = None
    payer_name: str | None = None

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError("a payment link needs at least one item")
        if self.expires_at.tzinfo is None or self.expires_at.utcoffset() is None:
            raise ValueError("expires_at must carry a UTC offset")
        if not 1 <= len(self.idempotency_key) <= MAX_IDEMPOTENCY_KEY:
            raise ValueError(f"idempotency_key must be 1–{MAX_IDEMPOTENCY_KEY} characters")
        for item in self.items:
            if item.currency != self.total.currency:
                raise ValueError(
                    f"item {item.id} is in {item.currency}, total in {self.total.currency}"
                )
            if item.quantity < 1:
                raise ValueError(f"item {item.id} has quantity {item.quantity}")
        items_sum = sum((item.unit_price * item.quantity for item in self.items), Decimal(0))
        if items_sum != self.total.amount:
            raise ValueError(f"items add up to {items_sum}, total is {self.total.amount}")


@dataclass(frozen=True, slots=True)
class PaymentLink:
    preference_id: str
    url: str


@dataclass(frozen=True, slots=True)
class Notification:
    """A provider's "something changed" call: only a hint to fetch `resource_id` again.

    `verified` is False when the notification could not be authenticated (legacy IPN form,
    or no webhook secret configured); callers then rely solely on what the API returns.
    """

    topic: str
    resource_id: str
    action: str | None
    raw: dict[str, Any] = field(default_factory=dict)
    verified: bool = True


class PaymentError(Exception):
    """Base of every provider failure."""


class InvalidSignature(PaymentError):
    """The notification is not provably from the provider: answer 401 and drop it."""


class MalformedNotification(InvalidSignature):
    """Shaped like no notification the provider sends (a payment id that cannot be one, a
    body that is not a JSON object): not from the provider either, but answer 400."""


class ProviderUnavailable(PaymentError):
    """Transient: 5xx, 429, timeouts, refused connections. Retrying later may succeed."""


class ProviderRejected(PaymentError):
    """The provider refused the request (4xx): retrying the same request will not help."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PaymentProvider(Protocol):
    name: str

    def create_link(self, request: LinkRequest) -> PaymentLink: ...

    def verify_notification(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> Notification: ...

    def fetch_payment(self, payment_id: str) -> PaymentReport: ...

    def search_by_reference(self, reference: str) -> list[PaymentReport]: ...

    def refund(
        self, payment_id: str, amount: Decimal | None = None, *, idempotency_key: str | None = None
    ) -> PaymentReport: ...


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup: HTTP header names are case-insensitive, dicts are not."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
