"""Auctions: one unit of a product goes to the highest bidder, who gets a pay window.

`!subasta remera M 5000 2m` takes one unit off sale (reserved, with the usual conditional
UPDATE) and opens the bidding; `!oferto 6000` from any platform is a bid. Bids are decided
one at a time under a lock on the auction's row (FOR UPDATE on PostgreSQL; SQLite admits
one writer at a time), so of two bids at the same instant exactly one leads and the other
is measured against it. A bid must reach the base, then the current bid plus the minimum
increment; an accepted bid in the last `extend_seconds` puts that many seconds back on the
clock (anti-sniping). Every bid received is recorded, refused ones with their reason.

When the clock runs out (or the owner ends it), the unit is offered to the leader as an
ordinary pending order at the winning price that expires after the pay window: the order's
line takes over the auction's reservation, so the unit is reserved once. Unpaid in time,
the order expires and the unit is offered to the next bidder (their highest bid), and so on;
when nobody is left, or the unit went elsewhere meanwhile (the expiry duty released it and a
buyer took it), the auction ends unsold and nothing stays reserved.

"Now" is always the caller's `at`: the time our process received the bid, not the time the
viewer typed it (docs/live-selling.md, Auctions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce import errors, rows
from commerce.codes import new_code
from commerce.models import (
    AUCTION_BIDS,
    AUCTIONS,
    ORDERS,
    PRODUCTS,
    VARIANTS,
    Auction,
    AuctionBid,
    Order,
    OrderLine,
)
from commerce.money import Money
from commerce.view_builders import order_view
from commerce.views import OrderStatus, OrderView, ViewerRef

OPEN = "open"  # taking bids
OFFERED = "offered"  # the unit is offered to a bidder as a pending order
SOLD = "sold"  # the offered order was paid
UNSOLD = "unsold"  # no bids, nobody paid, or the unit was lost meanwhile

# Why a bid was refused (AuctionBid.reason, BidOutcome.reason).
NO_AUCTION = "no_auction"
BELOW_BASE = "below_base"
BELOW_NEEDED = "below_needed"
ENDED = "ended"


class AuctionError(errors.CommerceError):
    code = "auction"


class AuctionRunning(AuctionError):
    """Another auction is open, or its unit still offered: one at a time per store."""

    code = "auction_running"

    def __init__(self, sku: str) -> None:
        super().__init__(f"an auction of {sku} is still running")
        self.sku = sku


class NoAuction(AuctionError):
    code = "auction_none"

    def __init__(self) -> None:
        super().__init__("no auction is running")


@dataclass(frozen=True, slots=True)
class AuctionRules:
    """The owner's knobs (`[auctions]` in config)."""

    increment: Money
    extend_seconds: int = 15
    pay_window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class BidView:
    platform: str
    user_id: str
    name: str
    amount: Money
    received_at: datetime
    channel_id: str = ""
    locale: str = "es"


@dataclass(frozen=True, slots=True)
class AuctionView:
    """An auction as chat and the overlay show it. `needed` is what the next bid must reach;
    `channels` every (platform, channel) that took part, where chat hears of it."""

    id: int
    status: str
    sku: str
    product: str
    variant_key: str | None
    image_url: str | None
    base: Money
    increment: Money
    current: Money | None
    needed: Money
    leader: BidView | None
    started_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    bids: int
    channels: tuple[tuple[str, str], ...] = ()
    offered_to: BidView | None = None
    order_code: str | None = None
    offers: int = 0

    @property
    def running(self) -> bool:
        return self.status in (OPEN, OFFERED)


@dataclass(frozen=True, slots=True)
class BidOutcome:
    """What became of one bid. `reason` is None when it leads; `needed` is what it had to
    reach; `extended` when it put time back on the clock."""

    auction: AuctionView | None
    reason: str | None
    needed: Money | None = None
    extended: bool = False
    previous: BidView | None = None

    @property
    def accepted(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class Offer:
    """The unit offered to a bidder: their order (at their bid), its pay window and rank
    (1 is the winner, 2 the runner-up...)."""

    order: OrderView
    auction: AuctionView
    rank: int


@dataclass(frozen=True, slots=True)
class Progress:
    """What one tick (or `!subasta fin`) changed: auctions that closed, sold or ended
    unsold, and offers made."""

    changed: tuple[AuctionView, ...] = ()
    offers: tuple[Offer, ...] = field(default_factory=tuple)


# -- views --------------------------------------------------------------------------------


def _bid_view(row: Any, currency: str) -> BidView:
    return BidView(
        platform=row.platform,
        user_id=row.user_id,
        name=row.display_name,
        amount=Money.from_minor(int(row.amount_minor), currency),
        received_at=row.received_at,
        channel_id=row.channel_id,
        locale=row.locale,
    )


def _bid(s: Session, bid_id: int | None, currency: str) -> BidView | None:
    if bid_id is None:
        return None
    row = s.execute(select(AUCTION_BIDS).where(AUCTION_BIDS.c.id == bid_id)).first()
    return None if row is None else _bid_view(row, currency)


def view(s: Session, auction: Auction) -> AuctionView:
    assert auction.id is not None
    product = s.execute(
        select(PRODUCTS.c.sku, PRODUCTS.c.name, PRODUCTS.c.image_url).where(
            PRODUCTS.c.id == auction.product_id
        )
    ).one()
    key = None
    if auction.variant_id is not None:
        key = s.scalar(select(VARIANTS.c.key).where(VARIANTS.c.id == auction.variant_id))
    currency = auction.currency
    accepted = s.execute(
        select(AUCTION_BIDS.c.platform, AUCTION_BIDS.c.channel_id)
        .where(AUCTION_BIDS.c.auction_id == auction.id, AUCTION_BIDS.c.reason.is_(None))
        .order_by(AUCTION_BIDS.c.id)
    ).all()
    channels = dict.fromkeys(
        [(auction.platform, auction.channel_id), *((r.platform, r.channel_id) for r in accepted)]
    )
    current = (
        Money.from_minor(auction.current_minor, currency)
        if auction.current_minor is not None
        else None
    )
    base = Money.from_minor(auction.base_minor, currency)
    increment = Money.from_minor(auction.increment_minor, currency)
    code = None
    if auction.order_id is not None:
        code = s.scalar(select(ORDERS.c.code).where(ORDERS.c.id == auction.order_id))
    return AuctionView(
        id=auction.id,
        status=auction.status,
        sku=product.sku,
        product=product.name,
        variant_key=key,
        image_url=product.image_url,
        base=base,
        increment=increment,
        current=current,
        needed=base if current is None else current + increment,
        leader=_bid(s, auction.leader_bid_id, currency),
        started_at=auction.started_at,
        ends_at=auction.ends_at,
        closed_at=auction.closed_at,
        bids=len(accepted),
        channels=tuple(channels),
        offered_to=_bid(s, auction.offered_bid_id, currency),
        order_code=code,
        offers=auction.offers,
    )


def _running(s: Session, *, lock: bool) -> Auction | None:
    query = select(Auction).where(AUCTIONS.c.running == 1)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return s.scalars(query).first()


def current(s: Session) -> AuctionView | None:
    """The running auction, else the latest one (the overlay shows how it ended)."""
    auction = _running(s, lock=False)
    if auction is None:
        auction = s.scalars(select(Auction).order_by(AUCTIONS.c.id.desc()).limit(1)).first()
    return None if auction is None else view(s, auction)


def bids(s: Session, auction_id: int) -> list[tuple[BidView, str | None]]:
    """Every bid received for the auction, in the order received, with its refusal reason."""
    found = s.execute(
        select(AUCTION_BIDS, AUCTIONS.c.currency)
        .join(AUCTIONS, AUCTIONS.c.id == AUCTION_BIDS.c.auction_id)
        .where(AUCTION_BIDS.c.auction_id == auction_id)
        .order_by(AUCTION_BIDS.c.id)
    ).all()
    return [(_bid_view(r, r.currency), r.reason) for r in found]


# -- the unit -----------------------------------------------------------------------------


def _target(auction: Auction, sku: str) -> rows.Target:
    if auction.variant_id is not None:
        return rows.Target(VARIANTS, auction.variant_id, sku)
    return rows.Target(PRODUCTS, auction.product_id, sku)


def _sku(s: Session, auction: Auction) -> str:
    return str(s.scalar(select(PRODUCTS.c.sku).where(PRODUCTS.c.id == auction.product_id)))


# -- start / bid ----------------------------------------------------------------------------


def start(
    s: Session,
    sku: str,
    variant_key: str | None,
    base: Money,
    duration: timedelta,
    rules: AuctionRules,
    *,
    platform: str,
    channel_id: str,
    at: datetime,
) -> AuctionView:
    """Open an auction of one unit of `sku` (its variant `variant_key`), taking the unit off
    sale now. AuctionRunning while another one runs; OutOfStock when no unit is free."""
    running = _running(s, lock=True)
    if running is not None:
        raise AuctionRunning(_sku(s, running))
    unit = rows.single_unit(s, sku, variant_key)
    product = unit.product
    if base.currency != product.currency:
        raise errors.InvalidAmount(str(base.amount), "wrong_currency")
    increment = (
        rules.increment
        if rules.increment.currency == base.currency
        else Money(rules.increment.amount, base.currency)
    )
    auction = Auction(
        running=1,
        status=OPEN,
        product_id=product.id,
        variant_id=unit.variant_id,
        currency=base.currency,
        base_minor=base.minor,
        increment_minor=increment.minor,
        extend_seconds=rules.extend_seconds,
        pay_seconds=int(rules.pay_window.total_seconds()),
        holds_unit=True,
        platform=platform,
        channel_id=channel_id,
        started_at=at,
        ends_at=at + duration,
    )
    rows.take_one(s, unit.target)
    try:
        with s.begin_nested():  # two `!subasta` at once: uq_auctions_running admits one
            s.add(auction)
            s.flush()
    except IntegrityError:
        raise AuctionRunning(product.sku) from None
    return view(s, auction)


def bid(
    s: Session,
    viewer: ViewerRef,
    channel_id: str,
    amount: Money,
    *,
    locale: str,
    at: datetime,
) -> BidOutcome:
    """Decide one bid against the running auction, under its row lock, and record it."""
    auction = _running(s, lock=True)
    if auction is None:
        return BidOutcome(None, NO_AUCTION)
    base = Money.from_minor(auction.base_minor, auction.currency)
    currency = auction.currency
    amount = Money(amount.amount, currency)
    previous = _bid(s, auction.leader_bid_id, currency)
    if auction.current_minor is None:
        needed, refusal = base, BELOW_BASE
    else:
        needed = Money.from_minor(auction.current_minor + auction.increment_minor, currency)
        refusal = BELOW_NEEDED
    reason: str | None = None
    if auction.status != OPEN or auction.ends_at <= at:
        reason = ENDED
    elif amount < needed:
        reason = refusal
    record = AuctionBid(
        auction_id=auction.id or 0,
        platform=viewer.platform,
        user_id=viewer.user_id,
        display_name=viewer.display_name,
        channel_id=channel_id,
        locale=locale,
        amount_minor=amount.minor,
        received_at=at,
        reason=reason,
    )
    s.add(record)
    s.flush()
    extended = False
    if reason is None:
        auction.current_minor = amount.minor
        auction.leader_bid_id = record.id
        window = timedelta(seconds=auction.extend_seconds)
        if auction.extend_seconds and auction.ends_at - at < window:
            auction.ends_at = at + window
            extended = True
        s.flush()
    return BidOutcome(view(s, auction), reason, needed, extended, previous)


# -- closing and offering ---------------------------------------------------------------------


def end(s: Session, at: datetime) -> Progress:
    """`!subasta fin`: close the bidding now (as if the clock ran out). NoAuction when none
    is open."""
    auction = _running(s, lock=True)
    if auction is None or auction.status != OPEN:
        raise NoAuction()
    return _close(s, auction, at)


def tick(s: Session, at: datetime) -> Progress:
    """The clock duty: close a bidding whose time is up, and move an unpaid offer on."""
    auction = _running(s, lock=True)
    if auction is None:
        return Progress()
    if auction.status == OPEN:
        if auction.ends_at > at:
            return Progress()
        return _close(s, auction, at)
    return _follow_offer(s, auction, at)


def next_due(s: Session) -> datetime | None:
    """When the running auction next needs the duty: its clock's end, or its offer's."""
    auction = _running(s, lock=False)
    if auction is None:
        return None
    if auction.status == OPEN:
        return auction.ends_at
    if auction.order_id is not None:
        due = s.scalar(select(ORDERS.c.expires_at).where(ORDERS.c.id == auction.order_id))
        return due if isinstance(due, datetime) else None
    return None


def _close(s: Session, auction: Auction, at: datetime) -> Progress:
    auction.closed_at = at
    auction.ends_at = min(auction.ends_at, at)
    return _offer_next(s, auction, at)


def _follow_offer(s: Session, auction: Auction, at: datetime) -> Progress:
    """The offered order: paid → sold; still within its window → wait; else the next one."""
    order = s.scalars(
        select(Order)
        .where(ORDERS.c.id == auction.order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if order is None:
        return _offer_next(s, auction, at)
    if order.status in (OrderStatus.PAID.value, OrderStatus.FULFILLED.value):
        auction.status = SOLD
        auction.running = None
        s.flush()
        return Progress(changed=(view(s, auction),))
    if order.status == OrderStatus.PENDING.value:
        if order.expires_at > at:
            return Progress()
        # Unpaid in time: expire it here and keep its unit for the next bidder.
        order.status = OrderStatus.EXPIRED.value
        auction.holds_unit = True
        s.flush()
    # Expired or cancelled elsewhere: its unit was released; it is taken again if free.
    return _offer_next(s, auction, at)


def _next_bid(s: Session, auction: Auction) -> Any | None:
    """The best accepted bid of a bidder not offered the unit yet."""
    offered = select(AUCTION_BIDS.c.platform, AUCTION_BIDS.c.user_id).where(
        AUCTION_BIDS.c.auction_id == auction.id, AUCTION_BIDS.c.offered_at.is_not(None)
    )
    done = {(r.platform, r.user_id) for r in s.execute(offered)}
    candidates = s.execute(
        select(AUCTION_BIDS)
        .where(AUCTION_BIDS.c.auction_id == auction.id, AUCTION_BIDS.c.reason.is_(None))
        .order_by(AUCTION_BIDS.c.amount_minor.desc(), AUCTION_BIDS.c.id)
    ).all()
    for row in candidates:
        if (row.platform, row.user_id) not in done:
            return row
    return None


def _offer_next(s: Session, auction: Auction, at: datetime) -> Progress:
    sku = _sku(s, auction)
    target = _target(auction, sku)
    chosen = _next_bid(s, auction)
    if chosen is not None and not auction.holds_unit:
        if rows.reserve_one(s, target):
            auction.holds_unit = True
        else:
            chosen = None  # the unit went to a buyer meanwhile: nothing left to offer
    if chosen is None:
        if auction.holds_unit:
            rows.move(s, {target: 1}, reserved=-1)
        auction.holds_unit = False
        auction.status = UNSOLD
        auction.running = None
        auction.order_id = None
        auction.offered_bid_id = None
        s.flush()
        return Progress(changed=(view(s, auction),))
    viewer = ViewerRef(chosen.platform, chosen.user_id, chosen.display_name)
    order = Order(
        code=new_code(),
        viewer_id=rows.viewer_id(s, viewer),
        platform=chosen.platform,
        channel_id=chosen.channel_id,
        locale=chosen.locale,
        status=OrderStatus.PENDING.value,
        total_minor=int(chosen.amount_minor),
        currency=auction.currency,
        created_at=at,
        expires_at=at + timedelta(seconds=auction.pay_seconds),
    )
    s.add(order)
    s.flush()
    assert order.id is not None
    s.add(
        OrderLine(
            order_id=order.id,
            product_id=auction.product_id,
            variant_id=auction.variant_id,
            quantity=1,
            unit_price_minor=int(chosen.amount_minor),
        )
    )
    s.execute(update(AUCTION_BIDS).where(AUCTION_BIDS.c.id == chosen.id).values(offered_at=at))
    auction.holds_unit = False  # the order's line holds it now
    auction.status = OFFERED
    auction.order_id = order.id
    auction.offered_bid_id = int(chosen.id)
    auction.offers += 1
    s.flush()
    shown = view(s, auction)
    offer = Offer(order_view(s, order), shown, auction.offers)
    return Progress(changed=(shown,), offers=(offer,))


__all__ = [
    "BELOW_BASE",
    "BELOW_NEEDED",
    "ENDED",
    "NO_AUCTION",
    "OFFERED",
    "OPEN",
    "SOLD",
    "UNSOLD",
    "AuctionError",
    "AuctionRules",
    "AuctionRunning",
    "AuctionView",
    "BidOutcome",
    "BidView",
    "NoAuction",
    "Offer",
    "Progress",
    "bid",
    "bids",
    "current",
    "end",
    "next_due",
    "start",
    "tick",
]
