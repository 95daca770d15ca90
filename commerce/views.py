"""Plain, immutable snapshots the Store hands out, so no caller holds a live ORM row."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from commerce.money import Money


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class TipStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    REFUNDED = "refunded"


class TipSource(enum.StrEnum):
    LINK = "link"
    BITS = "bits"
    SUPERCHAT = "superchat"


@dataclass(frozen=True, slots=True)
class ViewerRef:
    """Who is buying: the platform's stable user id plus the name to greet them by."""

    platform: str
    user_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class VariantView:
    id: int
    key: str  # canonical "color=rojo,talle=M": option names sorted, values as configured
    options: dict[str, str]
    price: Money  # the variant's own price, or the product's
    stock: int
    available: int  # stock - reserved - sold


@dataclass(frozen=True, slots=True)
class ProductView:
    id: int
    sku: str
    name: str
    aliases: tuple[str, ...]
    description: str
    price: Money
    stock: int
    available: int  # for a product with variants: the sum over its variants
    active: bool
    max_per_viewer: int | None
    image_url: str | None
    digital: bool
    variants: tuple[VariantView, ...] = ()
    delivery: str = "ship"  # "ship", "pickup" or "digital" (commerce.delivery)
    queue: bool = False  # digital: a paid order joins the shout-out queue
    deliver_text: str | None = None  # digital: sent privately to the buyer once paid


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int = 1
    variant_key: str | None = None  # must be a VariantView.key of that product


@dataclass(frozen=True, slots=True)
class OrderLineView:
    sku: str
    product_name: str
    variant_key: str | None
    quantity: int
    unit_price: Money
    # The regular price when a flash sale set `unit_price` (commerce.flash_sales), as the
    # reservation saw it, for "$8.000 (antes $10.000)"; None otherwise and when read back.
    list_price: Money | None = field(default=None, compare=False)

    @property
    def subtotal(self) -> Money:
        return Money(self.unit_price.amount * self.quantity, self.unit_price.currency)


@dataclass(frozen=True, slots=True)
class OrderView:
    code: str  # public, unguessable
    status: OrderStatus
    viewer: ViewerRef
    platform: str
    channel_id: str
    lines: tuple[OrderLineView, ...]
    total: Money
    created_at: datetime
    expires_at: datetime
    payment_url: str | None = None
    preference_id: str | None = None
    paid_at: datetime | None = None
    needs_refund: bool = False  # paid after expiry with no stock left: the owner must refund
    locale: str = "es"  # the buyer's language, for the thank-you sent when the payment lands
    link_sent_at: datetime | None = None  # the link's message reached the platform's adapter
    # 0 for a new order; +1 each time later lines joined it (each revision has its own link).
    revision: int = 0
    # Delivery (commerce.delivery): what the order needs ("digital" needs nothing), what the
    # buyer chose ("ship"/"pickup" and the option id), what shipping adds (inside `total`).
    # The reservation hot path (Store.reserve) leaves these at their defaults, so they are
    # not compared: read them from get_order or delivery_options.
    needs: str = field(default="ship", compare=False)
    delivery_method: str | None = field(default=None, compare=False)
    delivery_option: str | None = field(default=None, compare=False)
    shipping: Money | None = field(default=None, compare=False)
    ship_with: str | None = field(default=None, compare=False)  # the earlier order's code
    details_complete: bool = field(default=False, compare=False)
    # After paid (commerce.fulfilment): ready_to_ship, shipped, delivered, preparing,
    # ready_for_pickup, picked_up, to_deliver (digital); None before paid.
    fulfilment: str | None = field(default=None, compare=False)
    carrier: str | None = field(default=None, compare=False)
    tracking: str | None = field(default=None, compare=False)
    shipped_at: datetime | None = field(default=None, compare=False)
    ready_at: datetime | None = field(default=None, compare=False)
    fulfilled_at: datetime | None = field(default=None, compare=False)
    # A coupon on the order (commerce.coupons): its code and what it takes off (inside
    # `total` already); None without one.
    discount: Money | None = field(default=None, compare=False)
    coupon: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, repr=False)
class DeliveryDetails:
    """The buyer's delivery details for one order: personal data, shown only to the owner.

    Its repr hides every field, so a log line or a traceback never carries them."""

    name: str = ""
    contact: str = ""  # an email or a WhatsApp number in international form (+54911...)
    street: str = ""
    city: str = ""
    province: str = ""
    postal_code: str = ""
    notes: str = ""
    source: str = "buyer"  # "buyer" typed it; "payer" came from the provider's payment
    # The payer as the provider's payment named them, kept when the buyer typed their own.
    payer_name: str = ""
    payer_contact: str = ""

    def __repr__(self) -> str:
        return "DeliveryDetails(<redacted>)"


@dataclass(frozen=True, slots=True)
class TipView:
    code: str
    status: TipStatus
    viewer: ViewerRef
    platform: str
    channel_id: str
    amount: Money
    message: str
    source: TipSource
    created_at: datetime
    payment_url: str | None = None
    preference_id: str | None = None
    paid_at: datetime | None = None
    locale: str = "es"


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """One variant as the owner describes it; its key is derived from `options`."""

    options: dict[str, str]
    stock: int
    price: Decimal | None = None  # None: the product's price


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A product as the owner's catalog (TOML, CLI, dashboard) describes it, for sync_catalog."""

    sku: str
    name: str
    price: Decimal
    currency: str
    stock: int = 0  # ignored when `variants` is set: the product's stock is their sum
    aliases: tuple[str, ...] = ()
    description: str = ""
    active: bool = True
    max_per_viewer: int | None = None
    image_url: str | None = None
    digital: bool = False
    variants: tuple[VariantSpec, ...] = ()
    delivery: str | None = None  # None: "digital" when `digital`, else "ship"
    queue: bool = False
    deliver_text: str | None = None

    @property
    def delivery_method(self) -> str:
        return self.delivery or ("digital" if self.digital else "ship")


@dataclass(frozen=True, slots=True)
class PaymentReport:
    """A payment as the provider's API reported it (never as a webhook body claimed)."""

    provider: str
    provider_payment_id: str
    status: str  # the provider's status word: approved, rejected, refunded...
    amount: Decimal
    currency: str
    external_reference: str | None
    raw: dict[str, Any] = field(default_factory=dict)
    # Who paid, when the provider says: used to reach a buyer no private chat can reach,
    # and kept only in delivery_details (raw is stored without them, commerce.privacy).
    payer_name: str | None = None
    payer_email: str | None = None


class OutcomeKind(enum.StrEnum):
    ORDER_PAID = "order_paid"  # pending -> paid (also: expired order re-reserved and paid)
    TIP_PAID = "tip_paid"
    DUPLICATE = "duplicate"  # already recorded in this state: nothing changed
    MISMATCH = "mismatch"  # amount, currency or reference do not match: nothing changed
    UNKNOWN_REFERENCE = "unknown_reference"
    NOT_PAID = "not_paid"  # pending/in_process/rejected...: recorded, order unchanged
    REFUND_NEEDED = "refund_needed"  # paid after expiry, no stock: marked for refund
    REFUNDED = "refunded"  # paid -> refunded (refund or chargeback), stock returned


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    kind: OutcomeKind
    order: OrderView | None = None
    tip: TipView | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PaymentView:
    """A provider payment as the store last recorded it, and what it did to its order or tip.

    `effect` is "" (nothing), "paid", "refund_needed" (it must be given back) or "refunded".
    """

    provider: str
    provider_payment_id: str
    status: str
    amount: Decimal
    currency: str
    reference: str | None
    effect: str
    mismatch: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AwaitingPayment:
    """An order or tip the reconciler should ask the provider about, with its age."""

    code: str
    kind: str  # "order" or "tip"
    pending: bool  # False: expired (or cancelled) but a late payment must still be found
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    provider: str
    topic: str
    resource_id: str
    verified: bool
    received_at: datetime
    attempts: int
    processed_at: datetime | None = None
    outcome: str | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None  # None: due as soon as it is read


@dataclass(frozen=True, slots=True)
class OwnerView:
    """A chat account recorded as the store's owner."""

    platform: str
    user_id: str
    display_name: str
    claimed_at: datetime
