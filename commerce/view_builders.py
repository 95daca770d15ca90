"""Builders of the frozen views the Store hands out, read from rows in an open transaction.

commerce.views holds the snapshot types; this module fills them from the database, so no
caller ever holds a live ORM row and every entry point builds a view the same way.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commerce import coupons, delivery, rows
from commerce.models import (
    ORDER_LINES,
    PRODUCTS,
    VARIANTS,
    VIEWERS,
    Order,
    Payment,
    Tip,
    WebhookNotification,
)
from commerce.money import Money
from commerce.views import (
    NotificationView,
    OrderLineView,
    OrderStatus,
    OrderView,
    PaymentView,
    ProductView,
    TipSource,
    TipStatus,
    TipView,
    VariantView,
    ViewerRef,
)


def product_view(s: Session, product_id: int) -> ProductView:
    p = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == product_id)).one()
    return product_view_of(p, rows.active_variants(s, product_id))


def product_views(s: Session, include_inactive: bool) -> list[ProductView]:
    """Every product in two queries, not one per product: `!comprar` reads the catalog to
    parse its arguments, so this is on every purchase's path."""
    query = select(PRODUCTS).order_by(PRODUCTS.c.id)
    if not include_inactive:
        query = query.where(PRODUCTS.c.active.is_(True))
    products = s.execute(query).all()
    variants: dict[int, list[Any]] = {}
    for v in s.execute(select(VARIANTS).where(VARIANTS.c.active.is_(True)).order_by(VARIANTS.c.id)):
        variants.setdefault(int(v.product_id), []).append(v)
    return [product_view_of(p, variants.get(int(p.id), [])) for p in products]


def product_view_of(p: Any, variant_rows: list[Any]) -> ProductView:
    """The view of one product row and its active variant rows."""
    price = Money.from_minor(p.price_minor, p.currency)
    variants = tuple(
        VariantView(
            id=int(v.id),
            key=v.key,
            options=dict(v.options),
            price=price if v.price_minor is None else Money.from_minor(v.price_minor, p.currency),
            stock=int(v.stock),
            available=int(v.stock - v.reserved - v.sold),
        )
        for v in variant_rows
    )
    if variants:
        available = sum(v.available for v in variants)
    else:
        available = int(p.stock - p.reserved - p.sold)
    return ProductView(
        id=int(p.id),
        sku=p.sku,
        name=p.name,
        aliases=tuple(p.aliases or ()),
        description=p.description,
        price=price,
        stock=int(p.stock),
        available=available,
        active=bool(p.active),
        max_per_viewer=p.max_per_viewer,
        image_url=p.image_url,
        digital=bool(p.digital),
        variants=variants,
        delivery=p.delivery,
        queue=bool(p.queue),
        deliver_text=p.deliver_text,
    )


def viewer_ref(s: Session, viewer_id: int) -> ViewerRef:
    v = s.execute(select(VIEWERS).where(VIEWERS.c.id == viewer_id)).one()
    return ViewerRef(v.platform, v.platform_user_id, v.display_name)


def order_view(s: Session, order: Order) -> OrderView:
    found = s.execute(
        select(
            ORDER_LINES.c.quantity,
            ORDER_LINES.c.unit_price_minor,
            PRODUCTS.c.sku,
            PRODUCTS.c.name,
            VARIANTS.c.key,
        )
        .select_from(
            ORDER_LINES.join(PRODUCTS, PRODUCTS.c.id == ORDER_LINES.c.product_id).outerjoin(
                VARIANTS, VARIANTS.c.id == ORDER_LINES.c.variant_id
            )
        )
        .where(ORDER_LINES.c.order_id == order.id)
        .order_by(ORDER_LINES.c.id)
    )
    lines = tuple(
        OrderLineView(
            sku=r.sku,
            product_name=r.name,
            variant_key=r.key,
            quantity=int(r.quantity),
            unit_price=Money.from_minor(r.unit_price_minor, order.currency),
        )
        for r in found
    )
    return OrderView(
        code=order.code,
        status=OrderStatus(order.status),
        viewer=viewer_ref(s, order.viewer_id),
        platform=order.platform,
        channel_id=order.channel_id,
        lines=lines,
        total=Money.from_minor(order.total_minor, order.currency),
        created_at=order.created_at,
        expires_at=order.expires_at,
        payment_url=order.payment_url,
        preference_id=order.preference_id,
        paid_at=order.paid_at,
        needs_refund=bool(order.needs_refund),
        locale=order.locale,
        link_sent_at=order.link_sent_at,
        revision=int(order.revision),
        **delivery.order_fields(s, order),
        **coupons.order_fields(s, int(order.id or 0), order.currency),
    )


def tip_view(s: Session, tip: Tip) -> TipView:
    return TipView(
        code=tip.code,
        status=TipStatus(tip.status),
        viewer=viewer_ref(s, tip.viewer_id),
        platform=tip.platform,
        channel_id=tip.channel_id,
        amount=Money.from_minor(tip.amount_minor, tip.currency),
        message=tip.message,
        source=TipSource(tip.source),
        created_at=tip.created_at,
        payment_url=tip.payment_url,
        preference_id=tip.preference_id,
        paid_at=tip.paid_at,
        locale=tip.locale,
    )


def payment_view(p: Payment) -> PaymentView:
    return PaymentView(
        provider=p.provider,
        provider_payment_id=p.provider_payment_id,
        status=p.status,
        amount=Decimal(p.amount),
        currency=p.currency,
        reference=p.reference,
        effect=p.effect,
        mismatch=p.mismatch,
        created_at=p.created_at,
    )


def notification_view(n: WebhookNotification) -> NotificationView:
    assert n.id is not None
    return NotificationView(
        id=n.id,
        provider=n.provider,
        topic=n.topic,
        resource_id=n.resource_id,
        verified=n.verified,
        received_at=n.received_at,
        attempts=n.attempts,
        processed_at=n.processed_at,
        outcome=n.outcome,
        last_error=n.last_error,
        next_attempt_at=n.next_attempt_at,
    )
