"""Payment providers: the `PaymentProvider` contract and its MercadoPago implementation."""

from commerce.payments.base import (
    InvalidSignature,
    LinkItem,
    LinkRequest,
    Notification,
    PaymentError,
    PaymentLink,
    PaymentProvider,
    ProviderRejected,
    ProviderUnavailable,
    shipping_item,
)

__all__ = [
    "InvalidSignature",
    "LinkItem",
    "LinkRequest",
    "Notification",
    "PaymentError",
    "PaymentLink",
    "PaymentProvider",
    "ProviderRejected",
    "ProviderUnavailable",
    "shipping_item",
]
