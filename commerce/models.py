"""The store's tables. Money is stored as integer minor units (exact on every database).

Invariants that the database itself can hold are declared here as CHECK constraints, as a
backstop behind the Store's conditional UPDATEs: `0 <= reserved + sold <= stock`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite, which keeps no zone, stores naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _when(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _stock_checks(prefix: str) -> tuple[CheckConstraint, ...]:
    return (
        CheckConstraint("stock >= 0", name=f"ck_{prefix}_stock"),
        CheckConstraint("reserved >= 0", name=f"ck_{prefix}_reserved"),
        CheckConstraint("sold >= 0", name=f"ck_{prefix}_sold"),
        CheckConstraint("reserved + sold <= stock", name=f"ck_{prefix}_committed"),
    )


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("sku", name="uq_products_sku"),
        *_stock_checks("products"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(sa_column=Column(String(64), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    stock: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    reserved: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    sold: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    active: bool = True
    max_per_viewer: int | None = None
    image_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    digital: bool = False
    # How it reaches the buyer: "ship", "pickup" (pickup only) or "digital" (commerce.delivery).
    delivery: str = Field(
        default="ship", sa_column=Column(String(16), nullable=False, server_default="ship")
    )
    # Digital extras: a paid order joins the shout-out queue; a text delivered privately.
    queue: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    deliver_text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Variant(SQLModel, table=True):
    """A sellable option of a product; when a product has variants, stock lives here."""

    __tablename__ = "variants"
    __table_args__ = (
        UniqueConstraint("product_id", "key", name="uq_variants_product_key"),
        *_stock_checks("variants"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    key: str = Field(sa_column=Column(String(255), nullable=False))
    options: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    stock: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    reserved: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    sold: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    price_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    active: bool = True


class Viewer(SQLModel, table=True):
    __tablename__ = "viewers"
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id", name="uq_viewers_platform_user"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    platform_user_id: str = Field(sa_column=Column(String(128), nullable=False))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("code", name="uq_orders_code"),
        Index("ix_orders_status_expires", "status", "expires_at"),
        # The viewer's open cart, looked up on every reservation.
        Index("ix_orders_viewer_status", "viewer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(16), nullable=False))
    viewer_id: int = Field(foreign_key="viewers.id")
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    locale: str = Field(default="es", sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    total_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    created_at: datetime = _when()
    expires_at: datetime = _when()
    payment_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    preference_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    paid_at: datetime | None = _when(nullable=True)
    # Set once when delivered; a refund after it keeps the units sold (they left).
    fulfilled_at: datetime | None = _when(nullable=True)
    # When the adapter took the message carrying the payment link (see bots.runtime.links).
    link_sent_at: datetime | None = _when(nullable=True)
    needs_refund: bool = False
    # The Payment row that moved this order to paid (no FK: payments point here too).
    paid_by_payment_id: int | None = None
    # How many times a later `!comprar` added lines to this order (its cart): each addition
    # changes the total, so each revision gets its own payment link.
    revision: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    # The buyer's delivery choice (commerce.delivery): "ship" or "pickup", the option or
    # pickup point id, and what shipping adds to the total (already inside total_minor).
    delivery_method: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    delivery_option: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    shipping_minor: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    # Shipped in the same parcel as this earlier order of the buyer (no shipping charged).
    ship_with_order_id: int | None = None
    # After paid (commerce.fulfilment): ready_to_ship, shipped, delivered, ready_for_pickup,
    # picked_up; NULL reads as the method's first state. `status` still says paid/fulfilled.
    fulfilment: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    carrier: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    tracking: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    shipped_at: datetime | None = _when(nullable=True)
    ready_at: datetime | None = _when(nullable=True)
    # What the buyer was last told of this order after payment (commerce.notices): a
    # fulfilment state ("shipped", "ready_for_pickup") or "digital" (the owner's text).
    buyer_told: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    # What the buyer asked the streamer to say (a queue item's `!comprar saludo …`), already
    # trimmed and neutralised (commerce.shoutouts); NULL: the queue shows their name only.
    shoutout_message: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    # When the buyer was reminded that this hold is about to expire (commerce.waitlist):
    # claimed by one conditional UPDATE, so the reminder goes out once across processes.
    reminded_at: datetime | None = _when(nullable=True)


class DeliveryDetails(SQLModel, table=True):
    """The buyer's personal data for one order, kept apart so erasing it is one DELETE.

    `source` is "buyer" (they typed it) or "payer" (read from the provider's payment).
    """

    __tablename__ = "delivery_details"
    __table_args__ = (UniqueConstraint("order_id", name="uq_delivery_details_order"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    viewer_id: int = Field(foreign_key="viewers.id", index=True)
    source: str = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    contact: str = Field(default="", sa_column=Column(String(200), nullable=False))
    street: str = Field(default="", sa_column=Column(String(200), nullable=False))
    city: str = Field(default="", sa_column=Column(String(100), nullable=False))
    province: str = Field(default="", sa_column=Column(String(100), nullable=False))
    postal_code: str = Field(default="", sa_column=Column(String(20), nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = _when()
    # The payer as the provider's payment named them, kept when the buyer types their own
    # details later (source "buyer"), and the private chat ("telegram:<id>") that took
    # them through a deep link after the payment (bots.chat.deep_links).
    payer_name: str = Field(
        default="", sa_column=Column(String(200), nullable=False, server_default="")
    )
    payer_contact: str = Field(
        default="", sa_column=Column(String(200), nullable=False, server_default="")
    )
    linked_to: str | None = Field(default=None, sa_column=Column(String(160), nullable=True))
    # Wrong operation numbers given for this order's deep link, by anyone: it locks at
    # commerce.payer_proof.TRIES, and `linked_to` is only set by the right one.
    proof_attempts: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )


class SupersededLink(SQLModel, table=True):
    """A payment link an order had before lines were added to it, with the total it asked.

    Its preference can still be paid until it expires; amounts are checked exactly, so this
    row is how such a payment is recognised (and flagged for refund) instead of lost.
    """

    __tablename__ = "superseded_links"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    revision: int
    preference_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    payment_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    total_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    superseded_at: datetime = _when()


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity >= 1", name="ck_order_lines_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    variant_id: int | None = Field(default=None, foreign_key="variants.id")
    quantity: int
    unit_price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The flash sale this line was priced by (commerce.flash_sales), for its per-buyer limit;
    # NULL for the regular price. The price itself is `unit_price_minor`, kept for good.
    flash_sale_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))


class Tip(SQLModel, table=True):
    __tablename__ = "tips"
    __table_args__ = (
        UniqueConstraint("code", name="uq_tips_code"),
        UniqueConstraint("platform", "external_id", name="uq_tips_platform_external"),
        Index("ix_tips_status_expires", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(16), nullable=False))
    viewer_id: int = Field(foreign_key="viewers.id", index=True)
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    locale: str = Field(default="es", sa_column=Column(String(16), nullable=False))
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    message: str = Field(default="", sa_column=Column(Text, nullable=False))
    source: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    payment_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    preference_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    created_at: datetime = _when()
    expires_at: datetime | None = _when(nullable=True)
    paid_at: datetime | None = _when(nullable=True)
    external_id: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    paid_by_payment_id: int | None = None


class Payment(SQLModel, table=True):
    """The latest known state of one provider payment, and what it already did to the store.

    `effect` makes every transition happen once per payment: "" (nothing yet), "paid",
    "refund_needed" (paid an order that could no longer be served), "refunded".
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id", name="uq_payments_provider_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    provider_payment_id: str = Field(sa_column=Column(String(128), nullable=False))
    status: str = Field(sa_column=Column(String(32), nullable=False))
    amount: str = Field(sa_column=Column(String(64), nullable=False))  # exact, as reported
    currency: str = Field(sa_column=Column(String(8), nullable=False))
    reference: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    tip_id: int | None = Field(default=None, foreign_key="tips.id", index=True)
    effect: str = Field(default="", sa_column=Column(String(16), nullable=False))
    mismatch: bool = False
    created_at: datetime = _when()
    updated_at: datetime = _when()


class WebhookNotification(SQLModel, table=True):
    """A provider notification, written before the webhook is acknowledged.

    Providers stop retrying once answered, so the row is the only proof the notification
    came: it stays unprocessed (processed_at NULL) until the payment it names has been
    fetched from the API and recorded, across restarts. The body is kept for the record
    only; nothing in it is trusted. A failed attempt sets `next_attempt_at` (the row waits
    without blocking younger ones); a row that never works out is processed with outcome
    `gave_up` and kept for the owner to see.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_pending", "processed_at", "id"),
        Index("ix_notifications_due", "processed_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(sa_column=Column(String(32), nullable=False))
    topic: str = Field(sa_column=Column(String(64), nullable=False))
    resource_id: str = Field(sa_column=Column(String(128), nullable=False))
    verified: bool = False
    raw: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    received_at: datetime = _when()
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_attempt_at: datetime | None = _when(nullable=True)
    processed_at: datetime | None = _when(nullable=True)
    outcome: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))


class ProcessedMessage(SQLModel, table=True):
    __tablename__ = "processed_messages"
    __table_args__ = (
        UniqueConstraint("platform", "message_id", name="uq_processed_platform_message"),
        Index("ix_processed_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    message_id: str = Field(sa_column=Column(String(255), nullable=False))
    created_at: datetime = _when()


class ClaimedOwner(SQLModel, table=True):
    """A chat account that proved it is the store's owner (`!soy-dueño CODE`).

    Honoured next to `[bot.owners]` in config, so an owner never has to look up a user id.
    """

    __tablename__ = "owners"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_owners_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: str = Field(sa_column=Column(String(255), nullable=False))
    display_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    claimed_at: datetime = _when()


class StoreState(SQLModel, table=True):
    """A single row (id 1): whether viewers may buy right now."""

    __tablename__ = "store_state"

    id: int = Field(default=1, primary_key=True)
    open: bool = True


# The Core tables, for the Store's conditional UPDATEs (SQLModel does not type `__table__`).
PRODUCTS: Table = Product.__table__  # type: ignore[attr-defined]
VARIANTS: Table = Variant.__table__  # type: ignore[attr-defined]
VIEWERS: Table = Viewer.__table__  # type: ignore[attr-defined]
ORDERS: Table = Order.__table__  # type: ignore[attr-defined]
ORDER_LINES: Table = OrderLine.__table__  # type: ignore[attr-defined]
SUPERSEDED_LINKS: Table = SupersededLink.__table__  # type: ignore[attr-defined]
TIPS: Table = Tip.__table__  # type: ignore[attr-defined]
PAYMENTS: Table = Payment.__table__  # type: ignore[attr-defined]
PROCESSED_MESSAGES: Table = ProcessedMessage.__table__  # type: ignore[attr-defined]
NOTIFICATIONS: Table = WebhookNotification.__table__  # type: ignore[attr-defined]
STORE_STATE: Table = StoreState.__table__  # type: ignore[attr-defined]
OWNERS: Table = ClaimedOwner.__table__  # type: ignore[attr-defined]
DELIVERY_DETAILS: Table = DeliveryDetails.__table__  # type: ignore[attr-defined]

TABLES: tuple[Table, ...] = (
    PRODUCTS,
    VARIANTS,
    VIEWERS,
    ORDERS,
    ORDER_LINES,
    SUPERSEDED_LINKS,
    TIPS,
    PAYMENTS,
    PROCESSED_MESSAGES,
    STORE_STATE,
    NOTIFICATIONS,
    OWNERS,
    DELIVERY_DETAILS,
)


# --- panel: the owner's sign-in links and sessions, and the history of owner actions ---


class PanelLink(SQLModel, table=True):
    """A one-time sign-in link: only the token's SHA-256 is kept, so the table leaks none."""

    __tablename__ = "panel_links"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_panel_links_token"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = _when()
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)


class PanelSession(SQLModel, table=True):
    """A signed-in browser; its cookie holds the token, the row only the token's hash."""

    __tablename__ = "panel_sessions"
    __table_args__ = (UniqueConstraint("token_hash", name="uq_panel_sessions_token"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = _when()
    expires_at: datetime = _when()
    last_seen_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)
    user_agent: str = Field(default="", sa_column=Column(String(200), nullable=False))


class OrderEvent(SQLModel, table=True):
    """A transition made from the panel (who, when, why), for the order's history."""

    __tablename__ = "order_events"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    at: datetime = _when()
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    actor: str = Field(sa_column=Column(String(32), nullable=False))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False))


PANEL_LINKS: Table = PanelLink.__table__  # type: ignore[attr-defined]
PANEL_SESSIONS: Table = PanelSession.__table__  # type: ignore[attr-defined]
ORDER_EVENTS: Table = OrderEvent.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, PANEL_LINKS, PANEL_SESSIONS, ORDER_EVENTS)

# The panel's listings and summaries sort and filter by creation time (100,000 orders
# stay fast, benchmarks/panel.py). Every index is paid again by each reservation
# (benchmarks/flash_sale.py): a platform filter walks the time index instead of its own.
Index("ix_orders_created", ORDERS.c.created_at, ORDERS.c.id)
Index("ix_orders_status_created", ORDERS.c.status, ORDERS.c.created_at)
Index("ix_tips_created", TIPS.c.created_at)


# --- owner settings: what the owner sets in the panel and a restart must keep ---


class OwnerSetting(SQLModel, table=True):
    """One of the owner's panel settings (the overlay's alerts, ...) as a JSON document.

    A key per feature rather than a column per option: the panel adds options without a
    migration, and a document the code no longer understands falls back to defaults.
    """

    __tablename__ = "owner_settings"

    key: str = Field(sa_column=Column(String(64), primary_key=True))
    value: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = _when()


OWNER_SETTINGS: Table = OwnerSetting.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, OWNER_SETTINGS)

# --- moderation: the owner's filter settings and words, and alerts held for approval ---


class ModerationSettings(SQLModel, table=True):
    """One row (id 1) once the owner saves; until then the defaults in bots.moderation."""

    __tablename__ = "moderation_settings"

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(sa_column=Column(String(16), nullable=False))
    hold: str = Field(sa_column=Column(String(16), nullable=False))
    # A decimal in the store's currency, as text: exact on every database.
    hold_above: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    updated_at: datetime = _when()


class ModerationWord(SQLModel, table=True):
    """A word the owner blocks on top of Vivo's lists, or allows out of them."""

    __tablename__ = "moderation_words"
    __table_args__ = (UniqueConstraint("word", name="uq_moderation_words_word"),)

    id: int | None = Field(default=None, primary_key=True)
    word: str = Field(sa_column=Column(String(64), nullable=False))
    kind: str = Field(sa_column=Column(String(8), nullable=False))  # "block" | "allow"
    created_at: datetime = _when()


class HeldAlert(SQLModel, table=True):
    """An alert waiting for the owner's or a moderator's decision; kept across restarts."""

    __tablename__ = "held_alerts"
    __table_args__ = (
        UniqueConstraint("kind", "code", name="uq_held_alerts_kind_code"),
        Index("ix_held_alerts_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # "order" | "tip"
    code: str = Field(sa_column=Column(String(32), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the alert, as JSON
    reason: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)
    decided_by: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))


MODERATION_SETTINGS: Table = ModerationSettings.__table__  # type: ignore[attr-defined]
MODERATION_WORDS: Table = ModerationWord.__table__  # type: ignore[attr-defined]
HELD_ALERTS: Table = HeldAlert.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, MODERATION_SETTINGS, MODERATION_WORDS, HELD_ALERTS)


class WebhookDelivery(SQLModel, table=True):
    """One event on its way to one of the owner's webhooks (bots/runtime/webhooks.py).

    Written when the event happens, so a restart resumes the retries: the body is fixed then
    (every retry sends the same bytes, signed anew) and the row is done once `state` leaves
    `pending`: `delivered`, or `gave_up` a day after it was made. `next_attempt_at` is also
    a lease: a sender moves it forward before it sends, so two processes never send at once.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint", name="uq_webhook_deliveries_event_endpoint"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=Column(String(40), nullable=False))
    event_type: str = Field(sa_column=Column(String(40), nullable=False))
    endpoint: str = Field(sa_column=Column(String(64), nullable=False))
    url: str = Field(sa_column=Column(Text, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    created_at: datetime = _when()
    next_attempt_at: datetime = _when()
    attempts: int = 0
    finished_at: datetime | None = _when(nullable=True)


class WebhookAttempt(SQLModel, table=True):
    """One try at a delivery: what the receiver answered, or why nothing came back."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_deliveries.id", index=True)
    at: datetime = _when()
    status_code: int | None = None
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_ms: int = 0


WEBHOOK_DELIVERIES: Table = WebhookDelivery.__table__  # type: ignore[attr-defined]
WEBHOOK_ATTEMPTS: Table = WebhookAttempt.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, WEBHOOK_DELIVERIES, WEBHOOK_ATTEMPTS)


class WebhookEndpoint(SQLModel, table=True):
    """A webhook the owner added in the panel (commerce.webhook_endpoints). `[[webhooks]]`
    in config.toml stay in the config; these live here so every `vivo run` on the database
    sends to them. `events` is a comma-separated list of event names; `secret` signs each
    delivery and is shown to the owner once, when it is made."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("name", name="uq_webhook_endpoints_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(64), nullable=False))
    url: str = Field(sa_column=Column(Text, nullable=False))
    events: str = Field(sa_column=Column(Text, nullable=False))
    secret: str = Field(sa_column=Column(String(128), nullable=False))
    enabled: bool = True
    created_at: datetime = _when()
    updated_at: datetime = _when()


WEBHOOK_ENDPOINTS: Table = WebhookEndpoint.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, WEBHOOK_ENDPOINTS)
# --- several processes: events written with the change they report, and who read them ---


class OutboxEvent(SQLModel, table=True):
    """One event, written in the transaction of the change it reports. `kind` names the
    event's class and `body` is its JSON; the store does not read either."""

    __tablename__ = "events_outbox"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    kind: str = Field(sa_column=Column(String(200), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _when()


class EventCursor(SQLModel, table=True):
    """How far one role (say "chat:twitch") has read the outbox; its row is locked while
    one process delivers, so each event reaches each role once."""

    __tablename__ = "event_cursors"

    consumer: str = Field(sa_column=Column(String(100), primary_key=True))
    last_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = _when()


EVENTS_OUTBOX: Table = OutboxEvent.__table__  # type: ignore[attr-defined]
EVENT_CURSORS: Table = EventCursor.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, EVENTS_OUTBOX, EVENT_CURSORS)
Index("ix_events_outbox_created", EVENTS_OUTBOX.c.created_at)
# --- owner alerts: what the owner is told of, kept so nothing is lost across restarts ---


class OwnerAlert(SQLModel, table=True):
    """One thing the owner should know (a paid order, a tip, a refund to make, an order still
    without delivery details). `dedupe_key` makes recording it idempotent: a repeated webhook,
    or two processes hearing the same event, records it once. Holds no personal data beyond
    the buyer's display name."""

    __tablename__ = "owner_alerts"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_owner_alerts_dedupe"),
        Index("ix_owner_alerts_created", "created_at", "id"),
        Index("ix_owner_alerts_unread", "read_at", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    dedupe_key: str = Field(sa_column=Column(String(160), nullable=False))
    code: str = Field(sa_column=Column(String(16), nullable=False))
    platform: str = Field(default="", sa_column=Column(String(32), nullable=False))
    buyer: str = Field(default="", sa_column=Column(String(200), nullable=False))
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str | None = Field(default=None, sa_column=Column(String(3), nullable=True))
    reason: str = Field(default="", sa_column=Column(String(32), nullable=False))
    created_at: datetime = _when()
    read_at: datetime | None = _when(nullable=True)


class OwnerAlertDelivery(SQLModel, table=True):
    """One alert on its way to one owner's private chat (Telegram) or DM (Discord).

    Unsent rows are retried from `next_try_at` on; a row is taken for an attempt by one
    conditional UPDATE, so two processes never send it at once."""

    __tablename__ = "owner_alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "platform", "user_id", name="uq_owner_alert_deliveries"),
        Index("ix_owner_alert_deliveries_due", "sent_at", "next_try_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="owner_alerts.id", index=True)
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: str = Field(sa_column=Column(String(255), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_try_at: datetime = _when()
    sent_at: datetime | None = _when(nullable=True)


class AlertPreferences(SQLModel, table=True):
    """What the owner chose for alerts in the panel (one row): once saved it wins over
    `[alerts]` in config, so a restart never changes it."""

    __tablename__ = "alert_preferences"

    id: int = Field(default=1, primary_key=True)
    routes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    digest: bool = False
    digest_minutes: int = 15
    missing_details_hours: int = 6
    updated_at: datetime = _when()


OWNER_ALERTS: Table = OwnerAlert.__table__  # type: ignore[attr-defined]
OWNER_ALERT_DELIVERIES: Table = OwnerAlertDelivery.__table__  # type: ignore[attr-defined]
ALERT_PREFERENCES: Table = AlertPreferences.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, OWNER_ALERTS, OWNER_ALERT_DELIVERIES, ALERT_PREFERENCES)
# --- waitlist: viewers in line for a sold-out product or variant (commerce.waitlist) ---


class WaitlistEntry(SQLModel, table=True):
    """One viewer's place in line for a product (or one of its variants).

    `status` moves waiting -> offered (a unit freed up and was reserved for them as the
    pending order `order_id`) -> bought | passed (paid, or let the hold expire); waiting or
    offered -> left (`!avisame cancelar`). The line's order is `id`: first come, first held.
    `announced_at` is set by the one process that tells the viewer of their hold."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        Index("ix_waitlist_line", "status", "product_id", "variant_id", "id"),
        Index("ix_waitlist_viewer", "viewer_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id")
    variant_id: int | None = Field(default=None, foreign_key="variants.id")
    viewer_id: int = Field(foreign_key="viewers.id")
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    locale: str = Field(default="es", sa_column=Column(String(16), nullable=False))
    quantity: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    # How long the hold lasts once offered (the reservation time when they joined).
    hold_seconds: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    created_at: datetime = _when()
    offered_at: datetime | None = _when(nullable=True)
    announced_at: datetime | None = _when(nullable=True)


WAITLIST_ENTRIES: Table = WaitlistEntry.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, WAITLIST_ENTRIES)


# --- promotions: flash sales and coupons (commerce.flash_sales, commerce.coupons) ---------


class FlashSale(SQLModel, table=True):
    """`!oferta remera 20% 5m`: a product's price drops from `starts_at` until `ends_at`
    (or `ended_at`, when the owner ends it early). It lives here, not in a process's memory,
    so every `vivo run` prices a reservation the same way."""

    __tablename__ = "flash_sales"
    __table_args__ = (Index("ix_flash_sales_ends", "ended_at", "ends_at"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="products.id", index=True)
    # Exactly one of the two: a percent off every variant's price, or one price for all.
    percent: int | None = None
    price_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    max_per_buyer: int | None = None
    starts_at: datetime = _when()
    ends_at: datetime = _when()
    ended_at: datetime | None = _when(nullable=True)


class Coupon(SQLModel, table=True):
    """An owner's discount code. Seeded from `[[coupons]]` in config when its code is new,
    then the owner's (panel): a restart never changes it. `uses` only grows through one
    conditional UPDATE, so `max_uses` is never exceeded under any concurrency."""

    __tablename__ = "coupons"
    __table_args__ = (UniqueConstraint("code", name="uq_coupons_code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String(32), nullable=False))  # upper case
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # "percent" | "amount"
    percent: int | None = None
    amount_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    min_total_minor: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0")
    )
    max_uses: int | None = None
    uses: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    once_per_viewer: bool = True
    live_only: bool = False
    expires_at: datetime | None = _when(nullable=True)
    active: bool = True
    source: str = Field(default="panel", sa_column=Column(String(16), nullable=False))
    created_at: datetime = _when()


class CouponUse(SQLModel, table=True):
    """A coupon on one order: one per order, and (for `once_per_viewer`) one per viewer.
    `discount_minor` is inside the order's total already."""

    __tablename__ = "coupon_uses"
    __table_args__ = (UniqueConstraint("order_id", name="uq_coupon_uses_order"),)

    id: int | None = Field(default=None, primary_key=True)
    coupon_id: int = Field(foreign_key="coupons.id", index=True)
    order_id: int = Field(foreign_key="orders.id")
    viewer_id: int = Field(foreign_key="viewers.id", index=True)
    discount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    used_at: datetime = _when()


FLASH_SALES: Table = FlashSale.__table__  # type: ignore[attr-defined]
COUPONS: Table = Coupon.__table__  # type: ignore[attr-defined]
COUPON_USES: Table = CouponUse.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, FLASH_SALES, COUPONS, COUPON_USES)


# --- auctions (commerce.auctions) -------------------------------------------------------


class Auction(SQLModel, table=True):
    """One auctioned unit, from `!subasta` to a paid order (or nobody's).

    `running` is 1 while the auction is open or its unit is offered to a bidder, NULL
    after: the unique constraint keeps one auction at a time per store, whatever races.
    `holds_unit` says the auction itself holds the unit reserved (while bidding, or between
    offers); once offered, the offered order's line holds it instead."""

    __tablename__ = "auctions"
    __table_args__ = (UniqueConstraint("running", name="uq_auctions_running"),)

    id: int | None = Field(default=None, primary_key=True)
    running: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    product_id: int = Field(foreign_key="products.id")
    variant_id: int | None = Field(default=None, foreign_key="variants.id")
    currency: str = Field(sa_column=Column(String(3), nullable=False))
    base_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    increment_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    current_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    leader_bid_id: int | None = None
    extend_seconds: int = 0
    pay_seconds: int = 600
    holds_unit: bool = True
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    started_at: datetime = _when()
    ends_at: datetime = _when()
    closed_at: datetime | None = _when(nullable=True)
    # The order offered now (to the winner, then the runner-up...), and to which bid.
    order_id: int | None = None
    offered_bid_id: int | None = None
    offers: int = 0


class AuctionBid(SQLModel, table=True):
    """Every bid our process received, accepted or not, in the order it was received.

    `reason` is NULL for an accepted bid, else why it was refused ("below_base",
    "below_needed", "ended"). `offered_at` is set when this bidder was offered the unit."""

    __tablename__ = "auction_bids"
    __table_args__ = (Index("ix_auction_bids_auction", "auction_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    auction_id: int = Field(foreign_key="auctions.id")
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: str = Field(sa_column=Column(String(255), nullable=False))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    locale: str = Field(default="es", sa_column=Column(String(16), nullable=False))
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    received_at: datetime = _when()
    reason: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    offered_at: datetime | None = _when(nullable=True)


AUCTIONS: Table = Auction.__table__  # type: ignore[attr-defined]
AUCTION_BIDS: Table = AuctionBid.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, AUCTIONS, AUCTION_BIDS)


# --- giveaways (commerce.giveaways) -----------------------------------------------------


class Giveaway(SQLModel, table=True):
    """One prize given away, from `!sorteo` to the winner's zero-price order (or nobody's).

    `running` is 1 while entries are taken, NULL after: the unique constraint keeps one
    giveaway at a time per store. `holds_unit` says the giveaway holds the prize's unit
    reserved (while open); at the draw the winner's order takes it as sold. `seed_hex` is
    secret until the draw; `commitment` (its SHA-256) is published at the start."""

    __tablename__ = "giveaways"
    __table_args__ = (UniqueConstraint("running", name="uq_giveaways_running"),)

    id: int | None = Field(default=None, primary_key=True)
    running: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    product_id: int = Field(foreign_key="products.id")
    variant_id: int | None = Field(default=None, foreign_key="variants.id")
    holds_unit: bool = True
    seed_hex: str = Field(sa_column=Column(String(64), nullable=False))
    commitment: str = Field(sa_column=Column(String(64), nullable=False))
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    started_at: datetime = _when()
    ends_at: datetime = _when()
    closed_at: datetime | None = _when(nullable=True)
    winner_entry_id: int | None = None
    order_id: int | None = None


class GiveawayEntry(SQLModel, table=True):
    """One viewer's entry (`!participo`): once per giveaway per (platform, user id). The
    draw orders entries by `id`, the order the store recorded them."""

    __tablename__ = "giveaway_entries"
    __table_args__ = (
        UniqueConstraint("giveaway_id", "platform", "user_id", name="uq_giveaway_entries_viewer"),
        Index("ix_giveaway_entries_giveaway", "giveaway_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    giveaway_id: int = Field(foreign_key="giveaways.id")
    platform: str = Field(sa_column=Column(String(32), nullable=False))
    user_id: str = Field(sa_column=Column(String(255), nullable=False))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    channel_id: str = Field(sa_column=Column(String(128), nullable=False))
    locale: str = Field(default="es", sa_column=Column(String(16), nullable=False))
    entered_at: datetime = _when()


GIVEAWAYS: Table = Giveaway.__table__  # type: ignore[attr-defined]
GIVEAWAY_ENTRIES: Table = GiveawayEntry.__table__  # type: ignore[attr-defined]
TABLES = (*TABLES, GIVEAWAYS, GIVEAWAY_ENTRIES)
