"""`!subasta` (the owner) and `!oferto` (anyone, on any platform): an auction from chat.

`!subasta remera M 5000 2m` auctions one unit of the black M shirt from 5000 for two
minutes; `!subasta fin` ends it now; `!subasta` alone says how it stands. `!oferto 6000` bids.
The rules (base, increment, anti-sniping, the winner's order) are commerce.auctions'; this
module only speaks them. An accepted bid gets no reply of its own: chat hears of new
leaders from bots.runtime.auctions, folded so a rush of bids is one line, not fifty.
A refused bid is answered at once, saying what it must reach.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TypeVar

from adapters.base import Role
from bots.chat.converters import find_variant, resolve_product
from bots.chat.router import BadArgument, Command, Commands, Context, MissingArgument
from bots.chat.text import fold, words
from bots.commands import catalog
from bots.runtime.auctions import item_name, progress_events, typed
from bots.runtime.events import AuctionChanged, Event, EventRows
from bots.runtime.services import AuctionSettings
from commerce import auctions
from commerce.auctions import AuctionRules, AuctionView, BidOutcome
from commerce.money import Money, exponent, parse_amount

# Words that end the running auction instead of naming a product.
END_WORDS = frozenset({"fin", "terminar", "cerrar", "end", "stop", "close", "fim", "encerrar"})
MAX_DURATION = timedelta(hours=24)
_DURATION = re.compile(
    r"^(\d{1,4})\s*(s|seg|segs|segundos?|sec|secs|seconds?"
    r"|m|min|mins|minutos?|minutes?|h|hs|horas?|hours?)?$"
)
_UNITS = {"s": 1, "m": 60, "h": 3600}
T = TypeVar("T")


def parse_duration(word: str) -> timedelta | None:
    """How long an auction runs, as typed: `2m`, `90s`, `1h`, `2min`, `3 minutos`, or a bare
    number of minutes (`2`). None for "not a duration" (so the caller can say how to write
    one); BadArgument for zero or longer than a day."""
    match = _DURATION.match(fold(word).strip())
    if match is None:
        return None
    number, unit = int(match.group(1)), (match.group(2) or "m")
    seconds = number * _UNITS["s" if unit.startswith("s") else unit[0]]
    if seconds <= 0 or seconds > MAX_DURATION.total_seconds():
        raise BadArgument("auction_bad_duration", value=word)
    return timedelta(seconds=seconds)


def increment_for(base: Money, settings: AuctionSettings) -> Money:
    """The configured minimum increment, or 5% of the base rounded up to a whole unit of
    the currency (at least one): 5000 pesos go up by 250, R$ 80 by R$ 4."""
    if settings.min_increment is not None:
        return Money(settings.min_increment, base.currency)
    step = (base.amount * Decimal("0.05")).quantize(Decimal(1), rounding=ROUND_CEILING)
    return Money(max(step, Decimal(1)), base.currency)


def rules_for(base: Money, settings: AuctionSettings) -> AuctionRules:
    return AuctionRules(
        increment=increment_for(base, settings),
        extend_seconds=settings.extend_seconds,
        pay_window=timedelta(minutes=settings.pay_minutes),
    )


def _seconds_left(auction: AuctionView) -> int:
    return max(0, math.ceil((auction.ends_at - datetime.now(UTC)).total_seconds()))


def _money(ctx: Context, money: Money) -> str:
    return ctx.services.messages.money(money, ctx.locale)


def _time_text(seconds: int) -> str:
    """`1:30`, `0:05`: the clock as the overlay shows it."""
    return f"{seconds // 60}:{seconds % 60:02d}"


async def auction(ctx: Context) -> None:
    """`!subasta <producto> [variante] <base> <duración>`, `!subasta fin`, `!subasta`."""
    parts = words(ctx.args)
    if not parts:
        await _show(ctx)
        return
    if len(parts) == 1 and fold(parts[0]) in END_WORDS:
        await _end(ctx)
        return
    if len(parts) < 3:
        raise MissingArgument("auction_usage")
    duration = parse_duration(parts[-1])
    if duration is None:
        raise BadArgument("auction_usage")
    settings = ctx.services.auctions
    if duration > timedelta(minutes=settings.max_minutes):
        raise BadArgument("auction_too_long", max=settings.max_minutes)
    products = await catalog(ctx, include_inactive=True)
    product, rest = resolve_product(" ".join(parts[:-2]), products)
    variant = find_variant(product, rest, ctx.services.messages.synonyms())
    currency = product.price.currency
    base = Money(parse_amount(parts[-2], currency, ctx.locale), currency)
    if exponent(currency) == 0 and base.amount != base.amount.to_integral_value():
        raise BadArgument("auction_usage")
    rules = rules_for(base, settings)
    store = ctx.services.store
    message = ctx.message

    def start(rows: EventRows[AuctionView] | None) -> AuctionView:
        return store.auction_start(
            product.sku,
            variant.key if variant is not None else None,
            base,
            duration,
            rules,
            platform=message.platform,
            channel_id=message.channel,
            events=rows,
        )

    try:
        shown = await _record(ctx, start, lambda a: [AuctionChanged(a, "started")])
    except auctions.AuctionRunning:
        await ctx.reply("auction_already_running")
        return
    await ctx.reply(
        "auction_started",
        product=item_name(shown),
        base=_money(ctx, shown.base),
        increment=_money(ctx, shown.increment),
        time=_time_text(int(duration.total_seconds())),
        amount=typed(shown.base),
    )


async def _record(
    ctx: Context,
    change: Callable[[EventRows[T] | None], T],
    events: Callable[[T], Sequence[Event]],
) -> T:
    """Run a Store call whose events go through the bus (in its transaction on PostgreSQL);
    without a bus (a bare command-layer test) the call alone."""
    bus = ctx.services.bus
    if bus is None:
        return await ctx.run(change, None)
    return await bus.record(change, events)


async def _end(ctx: Context) -> None:
    """Close the bidding now. Who won (or that nobody bid) is said by bots.runtime.auctions,
    in every chat that took part, this one included."""
    store = ctx.services.store
    try:
        await _record(ctx, lambda rows: store.auction_end(events=rows), progress_events)
    except auctions.NoAuction:
        await ctx.reply("auction_none_running")


async def _show(ctx: Context) -> None:
    shown = await ctx.run(ctx.services.store.current_auction)
    if shown is None or not shown.running:
        await ctx.reply("auction_none_running")
        return
    if shown.status != auctions.OPEN:
        who = shown.offered_to.name if shown.offered_to else ""
        await ctx.reply("auction_status_offered", product=item_name(shown), name=who)
        return
    key = "auction_status" if shown.leader else "auction_status_no_bids"
    await ctx.reply(
        key,
        product=item_name(shown),
        amount=_money(ctx, shown.current or shown.base),
        name=shown.leader.name if shown.leader else "",
        needed=_money(ctx, shown.needed),
        time=_time_text(_seconds_left(shown)),
    )


async def bid(ctx: Context) -> None:
    """`!oferto 6000`: a bid on the running auction, as our process receives it now."""
    if ctx.role >= Role.OWNER:
        # Not a Command check: a refused check reads "not for you", and the owner should
        # hear why (their own bid would drive the price up on their buyers).
        await ctx.reply("auction_owner_bid")
        return
    parts = words(ctx.args)
    if not parts:
        raise MissingArgument("auction_bid_usage")
    store = ctx.services.store
    currency = ctx.services.settings.currency
    amount = Money(parse_amount(" ".join(parts), currency, ctx.locale), currency)
    viewer, channel, locale = ctx.viewer, ctx.message.channel, ctx.locale

    def place(rows: EventRows[BidOutcome] | None) -> BidOutcome:
        return store.auction_bid(
            viewer,
            channel,
            amount,
            locale=locale,
            events=rows,
        )

    def reported(outcome: BidOutcome) -> Sequence[Event]:
        if outcome.accepted and outcome.auction is not None:
            return [AuctionChanged(outcome.auction, "bid", outcome.extended)]
        return []

    outcome: BidOutcome = await _record(ctx, place, reported)
    if outcome.accepted:
        return  # chat hears of the new leader, folded (bots.runtime.auctions)
    await _refused(ctx, outcome)


async def _refused(ctx: Context, outcome: BidOutcome) -> None:
    shown = outcome.auction
    if shown is None or outcome.reason == auctions.NO_AUCTION:
        await ctx.reply("auction_bid_none")
        return
    if outcome.reason == auctions.ENDED:
        await ctx.reply("auction_bid_ended", product=item_name(shown))
        return
    needed = outcome.needed or shown.needed
    params = {
        "product": item_name(shown),
        "needed": _money(ctx, needed),
        "amount": typed(needed),
    }
    if outcome.reason == auctions.BELOW_BASE:
        await ctx.reply("auction_bid_below_base", **params)
        return
    leader = shown.leader
    # Outbid at the same instant: someone else's bid got in first.
    await ctx.reply(
        "auction_bid_below_needed",
        **params,
        current=_money(ctx, shown.current or shown.base),
        name=leader.name if leader else "",
    )


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"subasta": "es", "auction": "en", "leilao": "pt", "leiloar": "pt"},
            handler=auction,
            role=Role.MODERATOR,
        )
    )
    router.add(
        Command(
            names={"oferto": "es", "pujo": "es", "bid": "en", "lance": "pt"},
            handler=bid,
            # Raising one's own bid a second later is bidding, not spam; the same bid again is.
            cooldown_per_line=True,
        )
    )
