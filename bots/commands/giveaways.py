"""`!sorteo` (the owner) and `!participo` (anyone, on any platform): a giveaway from chat.

`!sorteo remera M 5m` gives away one unit of the black M shirt, drawn in five minutes;
`!sorteo fin` draws now; `!sorteo cancelar` calls it off (nobody wins, the unit goes back
on sale); `!sorteo` alone, for anyone, says how it stands. `!participo` enters, once per
viewer. The rules (the unit, one entry each, the verifiable draw, the prize order) are
commerce.giveaways'; this module only speaks them. The start's reply carries the seed's
commitment; the draw (winner, seed) is said by bots.runtime.giveaways, in every chat that
took part. An entry is answered with a line that carries no name, so a rush of entries
folds into one line of mentions on Twitch (the outbox's coalescing).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from adapters.base import Reply, Role
from bots.chat.converters import find_variant, resolve_product
from bots.chat.router import BadArgument, Command, Commands, Context, MissingArgument
from bots.chat.text import fold, words
from bots.commands import catalog
from bots.commands.auctions import END_WORDS, parse_duration
from bots.runtime.events import Event, EventRows, GiveawayChanged
from bots.runtime.giveaways import drawn_events, prize_name
from commerce import giveaways
from commerce.giveaways import EntryOutcome, GiveawayView

CANCEL_WORDS = frozenset({"cancelar", "anular", "cancel", "abort"})
#: The longest giveaway `!sorteo` opens (minutes).
MAX_MINUTES = 120
T = TypeVar("T")


def _seconds_left(giveaway: GiveawayView) -> int:
    return max(0, math.ceil((giveaway.ends_at - datetime.now(UTC)).total_seconds()))


def _time_text(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


async def _record(
    ctx: Context,
    change: Callable[[EventRows[T] | None], T],
    events: Callable[[T], Sequence[Event]],
) -> T:
    """A Store call whose events go through the bus (in its transaction on PostgreSQL)."""
    bus = ctx.services.bus
    if bus is None:
        return await ctx.run(change, None)
    return await bus.record(change, events)


def _moderator_unless_asking(ctx: Context) -> bool:
    """`!sorteo` alone is for anyone (how it stands); anything more is the owner's."""
    return ctx.role >= Role.MODERATOR or not ctx.args.strip()


async def giveaway(ctx: Context) -> None:
    """`!sorteo <producto> [variante] <duración>`, `!sorteo fin|cancelar`, `!sorteo`."""
    parts = words(ctx.args)
    if not parts:
        await _show(ctx)
        return
    if len(parts) == 1 and fold(parts[0]) in END_WORDS:
        await _draw(ctx)
        return
    if len(parts) == 1 and fold(parts[0]) in CANCEL_WORDS:
        await _cancel(ctx)
        return
    if len(parts) < 2:
        raise MissingArgument("giveaway_usage")
    duration = parse_duration(parts[-1])
    if duration is None:
        raise BadArgument("giveaway_usage")
    if duration > timedelta(minutes=MAX_MINUTES):
        raise BadArgument("giveaway_too_long", max=MAX_MINUTES)
    products = await catalog(ctx, include_inactive=True)
    product, rest = resolve_product(" ".join(parts[:-1]), products)
    variant = find_variant(product, rest, ctx.services.messages.synonyms())
    store, message = ctx.services.store, ctx.message

    def start(rows: EventRows[GiveawayView] | None) -> GiveawayView:
        return store.giveaway_start(
            product.sku,
            variant.key if variant is not None else None,
            duration,
            platform=message.platform,
            channel_id=message.channel,
            events=rows,
        )

    try:
        shown = await _record(ctx, start, lambda g: [GiveawayChanged(g, "started")])
    except giveaways.GiveawayRunning:
        await ctx.reply("giveaway_already_running")
        return
    await ctx.reply(
        "giveaway_started",
        product=prize_name(shown),
        time=_time_text(int(duration.total_seconds())),
        commitment=shown.commitment,
    )


async def _draw(ctx: Context) -> None:
    """Draw now; who won is said by bots.runtime.giveaways in every chat that took part."""
    store = ctx.services.store
    try:
        await _record(ctx, lambda rows: store.giveaway_draw(events=rows), drawn_events)
    except giveaways.NoGiveaway:
        await ctx.reply("giveaway_none_running")


async def _cancel(ctx: Context) -> None:
    store = ctx.services.store
    try:
        await _record(ctx, lambda rows: store.giveaway_cancel(events=rows), drawn_events)
    except giveaways.NoGiveaway:
        await ctx.reply("giveaway_none_running")


async def _show(ctx: Context) -> None:
    shown = await ctx.run(ctx.services.store.current_giveaway)
    if shown is None or not shown.running:
        await ctx.reply("giveaway_none_running")
        return
    await ctx.reply(
        "giveaway_status",
        product=prize_name(shown),
        count=shown.entries,
        time=_time_text(_seconds_left(shown)),
        commitment=shown.commitment,
    )


async def enter(ctx: Context) -> None:
    """`!participo`: one entry in the running giveaway, as our process receives it now."""
    if ctx.role >= Role.OWNER:
        # Not a Command check: a refused check reads "not for you"; the owner should hear why.
        await ctx.reply("giveaway_owner_enter")
        return
    store = ctx.services.store
    viewer, channel, locale = ctx.viewer, ctx.message.channel, ctx.locale

    def join(rows: EventRows[EntryOutcome] | None) -> EntryOutcome:
        return store.giveaway_enter(viewer, channel, locale=locale, events=rows)

    def reported(outcome: EntryOutcome) -> Sequence[Event]:
        if outcome.accepted and outcome.giveaway is not None:
            return [GiveawayChanged(outcome.giveaway, "entry")]
        return []

    outcome = await _record(ctx, join, reported)
    shown = outcome.giveaway
    if outcome.reason == giveaways.NO_GIVEAWAY or shown is None:
        await ctx.reply("giveaway_enter_none")
    elif outcome.reason == giveaways.CLOSED:
        await ctx.reply("giveaway_enter_closed", product=prize_name(shown))
    elif outcome.reason == giveaways.ALREADY:
        await ctx.reply("giveaway_enter_already", product=prize_name(shown))
    else:
        # No name and no number: a rush of entries folds into one line of mentions.
        text = ctx.t("giveaway_entered", p=ctx.prefix, product=prize_name(shown))
        await ctx.send(
            Reply(
                channel=ctx.message.channel,
                text=text,
                mention=ctx.author,
                reply_to=ctx.message,
                coalesce_key="giveaway_entered",
            )
        )


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"sorteo": "es", "giveaway": "en", "sorteio": "pt"},
            handler=giveaway,
            checks=(_moderator_unless_asking,),
        )
    )
    router.add(
        Command(
            names={"participo": None, "enter": "en", "join": "en", "participar": "pt"},
            handler=enter,
        )
    )
