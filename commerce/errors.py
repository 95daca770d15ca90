"""One error hierarchy for the store: the command layer turns each into a viewer's reply."""

from __future__ import annotations


class CommerceError(Exception):
    """Base of every error the store raises on purpose. `code` names the reply template."""

    code = "error"


class ProductNotFound(CommerceError):
    code = "product_not_found"

    def __init__(self, query: str) -> None:
        super().__init__(f"no product matches {query!r}")
        self.query = query


class VariantRequired(CommerceError):
    """The product has variants and the request named none (or named an ambiguous one)."""

    code = "variant_required"

    def __init__(self, sku: str, options: list[str]) -> None:
        super().__init__(f"{sku} needs one of: {', '.join(options)}")
        self.sku = sku
        self.options = options


class VariantNotFound(CommerceError):
    code = "variant_not_found"

    def __init__(self, sku: str, variant: str, options: list[str]) -> None:
        super().__init__(f"{sku} has no variant {variant!r}")
        self.sku = sku
        self.variant = variant
        self.options = options


class InvalidQuantity(CommerceError):
    code = "invalid_quantity"

    def __init__(self, quantity: int) -> None:
        super().__init__(f"quantity must be at least 1, got {quantity}")
        self.quantity = quantity


class OutOfStock(CommerceError):
    code = "out_of_stock"

    def __init__(self, sku: str, requested: int, available: int) -> None:
        super().__init__(f"{sku}: asked for {requested}, {available} available")
        self.sku = sku
        self.requested = requested
        self.available = available


class LimitExceeded(CommerceError):
    """The viewer would hold more than the product's `max_per_viewer`."""

    code = "limit_exceeded"

    def __init__(self, sku: str, limit: int, already: int) -> None:
        super().__init__(f"{sku}: limit {limit} per viewer, already holds {already}")
        self.sku = sku
        self.limit = limit
        self.already = already


class StoreClosed(CommerceError):
    code = "store_closed"

    def __init__(self) -> None:
        super().__init__("the store is closed")


class ProductInactive(CommerceError):
    code = "product_inactive"

    def __init__(self, sku: str) -> None:
        super().__init__(f"{sku} is not on sale")
        self.sku = sku


class OrderNotFound(CommerceError):
    code = "order_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(f"no order {code!r}")
        self.order_code = code


class InvalidTransition(CommerceError):
    code = "invalid_transition"

    def __init__(self, what: str, current: str, target: str) -> None:
        super().__init__(f"{what} cannot go from {current} to {target}")
        self.current = current
        self.target = target


class InvalidAmount(CommerceError):
    code = "invalid_amount"

    def __init__(self, text: str, reason: str = "") -> None:
        super().__init__(f"not an amount: {text!r} {reason}".strip())
        self.text = text
        self.reason = reason


class StockBelowCommitted(CommerceError):
    """An owner tried to set stock lower than what is already reserved or sold."""

    code = "stock_below_committed"

    def __init__(self, sku: str, requested: int, committed: int) -> None:
        super().__init__(f"{sku}: stock {requested} < {committed} reserved or sold")
        self.sku = sku
        self.requested = requested
        self.committed = committed


class TipNotFound(OrderNotFound):
    """No tip has that code (an OrderNotFound, so one handler can answer both)."""

    code = "tip_not_found"


class InvalidDeliveryDetails(CommerceError):
    """A delivery detail is missing or malformed, or the chosen option is not offered.

    `field` is one of method, name, contact, street, city, province, postal_code;
    `reason` is "missing" or "invalid"."""

    code = "invalid_delivery"

    def __init__(self, field: str, reason: str = "missing") -> None:
        super().__init__(f"delivery {field}: {reason}")
        self.field = field
        self.reason = reason


# --- promotions: flash sales and coupons (commerce.flash_sales, commerce.coupons) ---------


class FlashLimitExceeded(LimitExceeded):
    """The viewer would take more units at the flash price than the sale's per-buyer limit."""

    code = "flash_limit_exceeded"


class FlashSaleInvalid(CommerceError):
    """A flash sale the owner asked for cannot be: `reason` is "not_lower" (the sale price is
    not below the regular one), "percent" (outside 1..90) or "duration" (outside the limits)."""

    code = "flash_invalid"

    def __init__(self, sku: str, reason: str) -> None:
        super().__init__(f"{sku}: flash sale refused ({reason})")
        self.sku = sku
        self.reason = reason


class CouponInvalid(CommerceError):
    """A viewer's coupon does not apply. `reason` (the reply's key is `coupon_<reason>`):
    unknown, expired, used_up, below_minimum, already_used, not_live, one_per_order, paying.
    `minimum` is the order total it needs (below_minimum only)."""

    code = "coupon_invalid"

    def __init__(self, coupon: str, reason: str, minimum: object = None) -> None:
        super().__init__(f"coupon {coupon!r}: {reason}")
        self.coupon = coupon
        self.reason = reason
        self.minimum = minimum


class CouponExists(CommerceError):
    """The owner created a coupon whose code the store already has."""

    code = "coupon_exists"

    def __init__(self, coupon: str) -> None:
        super().__init__(f"coupon {coupon!r} already exists")
        self.coupon = coupon
