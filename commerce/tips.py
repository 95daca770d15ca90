"""Tips: creating them (link tips wait for payment, bits and Super Chats arrive paid),
their payment links and the tip listing.

A tip is deduplicated by its platform's external id, so a redelivered bits or Super Chat
event always yields the same tip. Paying a tip by link is commerce.ledger's.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce import rows
from commerce.codes import TIP_CODE_LENGTH, new_code
from commerce.models import TIPS, Tip
from commerce.money import Money
from commerce.view_builders import tip_view
from commerce.views import TipSource, TipStatus, TipView, ViewerRef


def _existing(s: Session, platform: str, external_id: str | None) -> Tip | None:
    if external_id is None:
        return None
    return s.scalars(
        select(Tip).where(TIPS.c.platform == platform, TIPS.c.external_id == external_id)
    ).first()


def create_tip(
    s: Session,
    viewer: ViewerRef,
    channel_id: str,
    amount: Money,
    message: str,
    source: TipSource,
    *,
    ttl: timedelta,
    locale: str,
    external_id: str | None,
    at: datetime,
) -> TipView:
    """The tip for `external_id` if there is one, else a new one (see `Store.create_tip`)."""
    found = _existing(s, viewer.platform, external_id)
    if found is not None:
        return tip_view(s, found)
    paid = source is not TipSource.LINK
    tip = Tip(
        code=new_code(TIP_CODE_LENGTH),
        viewer_id=rows.viewer_id(s, viewer),
        platform=viewer.platform,
        channel_id=channel_id,
        locale=locale,
        amount_minor=amount.minor,
        currency=amount.currency,
        message=message,
        source=source.value,
        status=(TipStatus.PAID if paid else TipStatus.PENDING).value,
        created_at=at,
        expires_at=None if paid else at + ttl,
        paid_at=at if paid else None,
        external_id=external_id,
    )
    try:
        with s.begin_nested():
            s.add(tip)
    except IntegrityError:
        found = _existing(s, viewer.platform, external_id)
        if found is None:
            raise
        return tip_view(s, found)
    return tip_view(s, tip)


def set_tip_link(s: Session, code: str, payment_url: str, preference_id: str) -> TipView:
    tip = rows.lock_tip(s, code)
    tip.payment_url = payment_url
    tip.preference_id = preference_id
    s.flush()
    return tip_view(s, tip)


def list_tips(s: Session, limit: int) -> list[TipView]:
    tips = s.scalars(
        select(Tip).order_by(TIPS.c.created_at.desc(), TIPS.c.id.desc()).limit(limit)
    ).all()
    return [tip_view(s, t) for t in tips]
