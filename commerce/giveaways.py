"""Giveaways: one unit of a product given to one viewer, drawn so anyone can check it.

`!sorteo remera M 5m` takes one unit off sale (reserved, with the usual conditional UPDATE,
so stock never goes negative) and opens the entries; `!participo` from any platform is one
entry per viewer (platform and user id, a unique constraint: a second one is refused, never
counted). Entries are taken under a shared lock on the giveaway's row (FOR SHARE on
PostgreSQL; SQLite admits one writer at a time) and the draw takes it exclusively, so an
entry is either in before the draw sees the list or refused as late: none is half-counted.
An entry at or after the closing instant (`ends_at <= at`) is refused.

The draw is verifiable (commit-reveal). At the start a 32-byte seed comes from `secrets`
and only its commitment, `sha256(seed).hexdigest()`, is published. At the draw:

    entries  = the entries in the order the store recorded them (by entry id)
    text     = "\\n".join(f"{platform}:{user_id}" for each entry)   (UTF-8, no final newline)
    digest   = sha256(seed + sha256(text).digest()).hexdigest()
    winner   = entries[int(digest, 16) % len(entries)]

and the seed is revealed (hex). Anyone holding the entry list and the seed can check that
the seed matches the commitment published before any entry, and recompute the winner
(docs/live-selling.md, Giveaways, has the snippet; `vivo giveaways show <id>` does it too).

The winner gets a zero-price order for the prize, paid at once (no payment): the unit
moves from the giveaway's reservation to sold, and the order goes through the normal
delivery flow (details, fulfilment states). Nobody entered, or `!sorteo cancelar`: the unit
goes back on sale and nobody wins.

"Now" is always the caller's `at`: the time our process received the entry.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from commerce import errors, rows
from commerce.codes import new_code
from commerce.models import (
    GIVEAWAY_ENTRIES,
    GIVEAWAYS,
    ORDERS,
    PRODUCTS,
    VARIANTS,
    Giveaway,
    GiveawayEntry,
    Order,
    OrderLine,
)
from commerce.view_builders import order_view
from commerce.views import OrderStatus, OrderView, ViewerRef

OPEN = "open"  # taking entries
DRAWN = "drawn"  # a winner was drawn; their order holds the prize
CANCELLED = "cancelled"  # the owner called it off: nobody wins, the unit is back on sale
EMPTY = "empty"  # the time ran out with nobody entered: the unit is back on sale

# Why an entry was refused (EntryOutcome.reason).
NO_GIVEAWAY = "no_giveaway"
ALREADY = "already"
CLOSED = "closed"

SEED_BYTES = 32
#: How long after a giveaway closed `!participo` is answered "too late" (not "none running").
LATE = timedelta(minutes=5)


class GiveawayError(errors.CommerceError):
    code = "giveaway"


class GiveawayRunning(GiveawayError):
    """Another giveaway is taking entries: one at a time per store."""

    code = "giveaway_running"

    def __init__(self, sku: str) -> None:
        super().__init__(f"a giveaway of {sku} is still running")
        self.sku = sku


class NoGiveaway(GiveawayError):
    code = "giveaway_none"

    def __init__(self) -> None:
        super().__init__("no giveaway is running")


class GiveawayNotFound(GiveawayError):
    code = "giveaway_not_found"

    def __init__(self, giveaway_id: int) -> None:
        super().__init__(f"no giveaway {giveaway_id}")
        self.giveaway_id = giveaway_id


# -- the recipe (pure: what docs/live-selling.md shows) ------------------------------------


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def commitment_of(seed: bytes) -> str:
    """What is published at the start: the seed's SHA-256, hex."""
    return hashlib.sha256(seed).hexdigest()


def entry_list_text(entries: Sequence[tuple[str, str]]) -> str:
    """The entry list as drawn: `platform:user_id`, one per line, in the recorded order."""
    return "\n".join(f"{platform}:{user_id}" for platform, user_id in entries)


def winner_index(seed: bytes, entries: Sequence[tuple[str, str]]) -> int:
    """Which entry wins: sha256(seed + sha256(list text)) as a number, modulo the count."""
    if not entries:
        raise ValueError("nobody entered")
    listed = hashlib.sha256(entry_list_text(entries).encode("utf-8")).digest()
    return int(hashlib.sha256(seed + listed).hexdigest(), 16) % len(entries)


# -- views -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryView:
    # 1-based, in the recorded order (the draw's). Read at entry time it counts the entries
    # committed so far: entries side by side on PostgreSQL may read the same number.
    number: int
    platform: str
    user_id: str
    name: str
    entered_at: datetime
    channel_id: str = ""
    locale: str = "es"


@dataclass(frozen=True, slots=True)
class GiveawayView:
    """A giveaway as chat and the overlay show it. `seed_hex` is None until the draw (the
    commitment is public from the start); `channels` every (platform, channel) that took
    part, where chat hears of it, the one it was opened in first."""

    id: int
    status: str
    sku: str
    product: str
    variant_key: str | None
    image_url: str | None
    commitment: str
    started_at: datetime
    ends_at: datetime
    closed_at: datetime | None
    entries: int
    channels: tuple[tuple[str, str], ...] = ()
    seed_hex: str | None = None
    winner: EntryView | None = None
    order_code: str | None = None

    @property
    def running(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """What became of one `!participo`: `reason` None when it counts; `entry` is the
    viewer's entry (their earlier one when `reason` is ALREADY)."""

    giveaway: GiveawayView | None
    reason: str | None
    entry: EntryView | None = None

    @property
    def accepted(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class Drawn:
    """What a draw (or a tick, or a cancel) changed: the giveaway, and the winner's order."""

    changed: tuple[GiveawayView, ...] = ()
    order: OrderView | None = None


@dataclass(frozen=True, slots=True)
class Proof:
    """Everything needed to check a finished draw by hand."""

    giveaway: GiveawayView
    entries: tuple[EntryView, ...]
    text: str  # the entry list as hashed
    seed_hex: str | None
    commitment_ok: bool | None  # sha256(seed) == commitment; None before the draw
    recomputed: int | None  # the winner's 0-based index, recomputed here


def _entry_view(row: Any, number: int) -> EntryView:
    return EntryView(
        number=number,
        platform=row.platform,
        user_id=row.user_id,
        name=row.display_name,
        entered_at=row.entered_at,
        channel_id=row.channel_id,
        locale=row.locale,
    )


def _count(s: Session, giveaway_id: int) -> int:
    """How many entered (counted, not kept on the giveaway's row: entries run side by side
    under a shared lock, and an UPDATE of that row from each would deadlock them)."""
    found = s.scalar(
        select(func.count())
        .select_from(GIVEAWAY_ENTRIES)
        .where(GIVEAWAY_ENTRIES.c.giveaway_id == giveaway_id)
    )
    return int(found or 0)


def _number(s: Session, giveaway_id: int, entry_id: int) -> int:
    found = s.scalar(
        select(func.count())
        .select_from(GIVEAWAY_ENTRIES)
        .where(GIVEAWAY_ENTRIES.c.giveaway_id == giveaway_id, GIVEAWAY_ENTRIES.c.id <= entry_id)
    )
    return int(found or 0)


def _entry(s: Session, giveaway_id: int, entry_id: int | None) -> EntryView | None:
    if entry_id is None:
        return None
    row = s.execute(select(GIVEAWAY_ENTRIES).where(GIVEAWAY_ENTRIES.c.id == entry_id)).first()
    return None if row is None else _entry_view(row, _number(s, giveaway_id, entry_id))


def view(s: Session, giveaway: Giveaway) -> GiveawayView:
    assert giveaway.id is not None
    product = s.execute(
        select(PRODUCTS.c.sku, PRODUCTS.c.name, PRODUCTS.c.image_url).where(
            PRODUCTS.c.id == giveaway.product_id
        )
    ).one()
    key = None
    if giveaway.variant_id is not None:
        key = s.scalar(select(VARIANTS.c.key).where(VARIANTS.c.id == giveaway.variant_id))
    taking = s.execute(
        select(GIVEAWAY_ENTRIES.c.platform, GIVEAWAY_ENTRIES.c.channel_id)
        .where(GIVEAWAY_ENTRIES.c.giveaway_id == giveaway.id)
        .distinct()
    ).all()
    channels = dict.fromkeys(
        [
            (giveaway.platform, giveaway.channel_id),
            *sorted((r.platform, r.channel_id) for r in taking),
        ]
    )
    code = None
    if giveaway.order_id is not None:
        code = s.scalar(select(ORDERS.c.code).where(ORDERS.c.id == giveaway.order_id))
    revealed = giveaway.status != OPEN
    return GiveawayView(
        id=giveaway.id,
        status=giveaway.status,
        sku=product.sku,
        product=product.name,
        variant_key=key,
        image_url=product.image_url,
        commitment=giveaway.commitment,
        started_at=giveaway.started_at,
        ends_at=giveaway.ends_at,
        closed_at=giveaway.closed_at,
        entries=_count(s, giveaway.id),
        channels=tuple(channels),
        seed_hex=giveaway.seed_hex if revealed else None,
        winner=_entry(s, giveaway.id, giveaway.winner_entry_id),
        order_code=code,
    )


def _running(s: Session, *, lock: bool, shared: bool = False) -> Giveaway | None:
    query = select(Giveaway).where(GIVEAWAYS.c.running == 1)
    if lock:
        query = query.with_for_update(read=shared).execution_options(populate_existing=True)
    return s.scalars(query).first()


def current(s: Session) -> GiveawayView | None:
    """The running giveaway, else the latest one (the overlay shows how it ended)."""
    giveaway = _running(s, lock=False)
    if giveaway is None:
        giveaway = s.scalars(select(Giveaway).order_by(GIVEAWAYS.c.id.desc()).limit(1)).first()
    return None if giveaway is None else view(s, giveaway)


def _get(s: Session, giveaway_id: int) -> Giveaway:
    giveaway = s.get(Giveaway, giveaway_id)
    if giveaway is None:
        raise GiveawayNotFound(giveaway_id)
    return giveaway


def get(s: Session, giveaway_id: int) -> GiveawayView:
    return view(s, _get(s, giveaway_id))


def _entry_rows(s: Session, giveaway_id: int) -> list[Any]:
    return list(
        s.execute(
            select(GIVEAWAY_ENTRIES)
            .where(GIVEAWAY_ENTRIES.c.giveaway_id == giveaway_id)
            .order_by(GIVEAWAY_ENTRIES.c.id)
        ).all()
    )


def entries(s: Session, giveaway_id: int) -> list[EntryView]:
    """Every entry, in the recorded order (the draw's)."""
    return [_entry_view(r, i) for i, r in enumerate(_entry_rows(s, giveaway_id), start=1)]


def proof(s: Session, giveaway_id: int) -> Proof:
    """The giveaway, its entries and the draw recomputed from them (after the draw)."""
    giveaway = _get(s, giveaway_id)
    shown = view(s, giveaway)
    listed = tuple(entries(s, giveaway_id))
    pairs = [(e.platform, e.user_id) for e in listed]
    seed_hex = shown.seed_hex
    ok: bool | None = None
    index: int | None = None
    if seed_hex is not None:
        seed = bytes.fromhex(seed_hex)
        ok = commitment_of(seed) == giveaway.commitment
        index = winner_index(seed, pairs) if pairs else None
    return Proof(shown, listed, entry_list_text(pairs), seed_hex, ok, index)


def viewer_entry(s: Session, platform: str, user_id: str) -> EntryView | None:
    """The viewer's entry in the running giveaway, if any."""
    giveaway = _running(s, lock=False)
    if giveaway is None or giveaway.id is None:
        return None
    row = s.execute(
        select(GIVEAWAY_ENTRIES).where(
            GIVEAWAY_ENTRIES.c.giveaway_id == giveaway.id,
            GIVEAWAY_ENTRIES.c.platform == platform,
            GIVEAWAY_ENTRIES.c.user_id == user_id,
        )
    ).first()
    return None if row is None else _entry_view(row, _number(s, giveaway.id, row.id))


# -- the unit ---------------------------------------------------------------------------------


def _target(giveaway: Giveaway, sku: str) -> rows.Target:
    if giveaway.variant_id is not None:
        return rows.Target(VARIANTS, giveaway.variant_id, sku)
    return rows.Target(PRODUCTS, giveaway.product_id, sku)


def _sku(s: Session, giveaway: Giveaway) -> str:
    return str(s.scalar(select(PRODUCTS.c.sku).where(PRODUCTS.c.id == giveaway.product_id)))


# -- start / enter -----------------------------------------------------------------------------


def start(
    s: Session,
    sku: str,
    variant_key: str | None,
    duration: timedelta,
    *,
    platform: str,
    channel_id: str,
    at: datetime,
    seed: bytes | None = None,
) -> GiveawayView:
    """Open a giveaway of one unit of `sku` (its variant `variant_key`), taking the unit off
    sale now. GiveawayRunning while another one runs; OutOfStock when no unit is free."""
    running = _running(s, lock=True)
    if running is not None:
        raise GiveawayRunning(_sku(s, running))
    unit = rows.single_unit(s, sku, variant_key)
    product = unit.product
    seed = seed if seed is not None else new_seed()
    if len(seed) != SEED_BYTES:
        raise ValueError("a giveaway's seed is 32 bytes")
    giveaway = Giveaway(
        running=1,
        status=OPEN,
        product_id=product.id,
        variant_id=unit.variant_id,
        holds_unit=True,
        seed_hex=seed.hex(),
        commitment=commitment_of(seed),
        platform=platform,
        channel_id=channel_id,
        started_at=at,
        ends_at=at + duration,
    )
    rows.take_one(s, unit.target)
    try:
        with s.begin_nested():  # two `!sorteo` at once: uq_giveaways_running admits one
            s.add(giveaway)
            s.flush()
    except IntegrityError:
        raise GiveawayRunning(product.sku) from None
    return view(s, giveaway)


def enter(
    s: Session, viewer: ViewerRef, channel_id: str, *, locale: str, at: datetime
) -> EntryOutcome:
    """One viewer's entry in the running giveaway, under a shared lock on its row (the
    draw waits for it, or it sees the draw done)."""
    giveaway = _running(s, lock=True, shared=True)
    if giveaway is None or giveaway.id is None:
        latest = s.scalars(select(Giveaway).order_by(GIVEAWAYS.c.id.desc()).limit(1)).first()
        if latest is not None and latest.closed_at is not None and at - latest.closed_at < LATE:
            return EntryOutcome(view(s, latest), CLOSED)  # drawn a moment ago: too late
        return EntryOutcome(None, NO_GIVEAWAY)
    if giveaway.status != OPEN or giveaway.ends_at <= at:
        return EntryOutcome(view(s, giveaway), CLOSED)
    try:
        with s.begin_nested():  # the same viewer twice at once: the constraint admits one
            record = GiveawayEntry(
                giveaway_id=giveaway.id,
                platform=viewer.platform,
                user_id=viewer.user_id,
                display_name=viewer.display_name,
                channel_id=channel_id,
                locale=locale,
                entered_at=at,
            )
            s.add(record)
            s.flush()
    except IntegrityError:
        earlier = viewer_entry(s, viewer.platform, viewer.user_id)
        return EntryOutcome(view(s, giveaway), ALREADY, earlier)
    assert record.id is not None
    number = _number(s, giveaway.id, record.id)
    entry = EntryView(
        number, viewer.platform, viewer.user_id, viewer.display_name, at, channel_id, locale
    )
    return EntryOutcome(view(s, giveaway), None, entry)


# -- the draw ---------------------------------------------------------------------------------


def draw(s: Session, at: datetime) -> Drawn:
    """`!sorteo fin`: draw now. NoGiveaway when none is open."""
    giveaway = _running(s, lock=True)
    if giveaway is None:
        raise NoGiveaway()
    return _draw(s, giveaway, at)


def cancel(s: Session, at: datetime) -> Drawn:
    """`!sorteo cancelar`: nobody wins and the unit goes back on sale. NoGiveaway when none
    is open. The seed is revealed all the same: the entries were never drawn."""
    giveaway = _running(s, lock=True)
    if giveaway is None:
        raise NoGiveaway()
    _give_back(s, giveaway, at, CANCELLED)
    return Drawn(changed=(view(s, giveaway),))


def tick(s: Session, at: datetime) -> Drawn:
    """The clock duty: draw a giveaway whose time is up."""
    giveaway = _running(s, lock=True)
    if giveaway is None or giveaway.ends_at > at:
        return Drawn()
    return _draw(s, giveaway, at)


def next_due(s: Session) -> datetime | None:
    giveaway = _running(s, lock=False)
    return None if giveaway is None else giveaway.ends_at


def _give_back(s: Session, giveaway: Giveaway, at: datetime, status: str) -> None:
    if giveaway.holds_unit:
        rows.move(s, {_target(giveaway, _sku(s, giveaway)): 1}, reserved=-1)
    giveaway.holds_unit = False
    giveaway.status = status
    giveaway.running = None
    giveaway.closed_at = at
    giveaway.ends_at = min(giveaway.ends_at, at)
    s.flush()


def _draw(s: Session, giveaway: Giveaway, at: datetime) -> Drawn:
    assert giveaway.id is not None
    found = _entry_rows(s, giveaway.id)
    if not found:
        _give_back(s, giveaway, at, EMPTY)
        return Drawn(changed=(view(s, giveaway),))
    seed = bytes.fromhex(giveaway.seed_hex)
    chosen = found[winner_index(seed, [(r.platform, r.user_id) for r in found])]
    product = s.execute(select(PRODUCTS).where(PRODUCTS.c.id == giveaway.product_id)).one()
    viewer = ViewerRef(chosen.platform, chosen.user_id, chosen.display_name)
    order = Order(
        code=new_code(),
        viewer_id=rows.viewer_id(s, viewer),
        platform=chosen.platform,
        channel_id=chosen.channel_id,
        locale=chosen.locale,
        status=OrderStatus.PAID.value,
        total_minor=0,
        currency=product.currency,
        created_at=at,
        expires_at=at,
        paid_at=at,
    )
    s.add(order)
    s.flush()
    assert order.id is not None
    s.add(
        OrderLine(
            order_id=order.id,
            product_id=giveaway.product_id,
            variant_id=giveaway.variant_id,
            quantity=1,
            unit_price_minor=0,
        )
    )
    # The giveaway's reserved unit is the winner's, sold (at nothing).
    rows.move(s, {_target(giveaway, product.sku): 1}, reserved=-1, sold=1)
    giveaway.holds_unit = False
    giveaway.status = DRAWN
    giveaway.running = None
    giveaway.closed_at = at
    giveaway.ends_at = min(giveaway.ends_at, at)
    giveaway.winner_entry_id = int(chosen.id)
    giveaway.order_id = order.id
    s.flush()
    return Drawn(changed=(view(s, giveaway),), order=order_view(s, order))


def prize_of(s: Session, order_id: int) -> int | None:
    """The giveaway whose prize this order is, if any (a paid order at no price)."""
    found = s.scalar(select(GIVEAWAYS.c.id).where(GIVEAWAYS.c.order_id == order_id))
    return None if found is None else int(found)


__all__ = [
    "ALREADY",
    "CANCELLED",
    "CLOSED",
    "DRAWN",
    "EMPTY",
    "NO_GIVEAWAY",
    "OPEN",
    "SEED_BYTES",
    "Drawn",
    "EntryOutcome",
    "EntryView",
    "GiveawayError",
    "GiveawayNotFound",
    "GiveawayRunning",
    "GiveawayView",
    "NoGiveaway",
    "Proof",
    "cancel",
    "commitment_of",
    "current",
    "draw",
    "enter",
    "entries",
    "entry_list_text",
    "get",
    "new_seed",
    "next_due",
    "prize_of",
    "proof",
    "start",
    "tick",
    "viewer_entry",
    "winner_index",
]
