"""`!avisame` and `!fila`: a place in line for what is sold out, and the owner's view of it.

`!avisame remera M` puts the viewer in line for that variant; when a unit comes back the
store holds it for the first in line and the bot sends them its link privately
(bots.runtime.bot). `!avisame cancelar` leaves every line (`!avisame cancelar remera`, one).
`!comprar` on something sold out offers the same with a button (bots.commands.orders).
`!fila remera` shows the owner who waits, in order.
"""

from __future__ import annotations

from adapters.base import Button, Role
from bots.chat.converters import Item, find_variant, resolve_product
from bots.chat.router import (
    Command,
    CommandError,
    Commands,
    Context,
    MissingArgument,
    variant_label,
)
from bots.chat.text import words
from bots.commands import catalog
from commerce.waitlist import Place

# `!avisame cancelar`: the first word that leaves the line, in each language.
LEAVE_WORDS = frozenset({"cancelar", "cancel", "salir", "leave", "sair", "stop", "basta"})
# How many names `!fila` lists before "and N more" (chat lines are short on Twitch).
SHOWN = 8


def offer_button(ctx: Context, sku: str, variant_key: str | None) -> Button:
    """The tap that joins the line for `sku` (and its variant), where buttons exist."""
    label = variant_label(variant_key)
    command = f"/avisame {sku} {label}".strip()
    return Button(ctx.t("waitlist_button"), command)


def place_text(ctx: Context, place: Place) -> str:
    label = variant_label(place.variant_key)
    item = f"{place.product_name} {label}".strip()
    if place.position == 0 and place.order_code:
        return ctx.t("waitlist_place_held", product=item, code=place.order_code)
    return ctx.t("waitlist_place", product=item, position=place.position)


class SoldOut(CommandError):
    """`!comprar` found it sold out and offers the line instead: still counted as out of
    stock (`/metrics`), and forgiven by the cooldown like any refusal."""

    key = "out_of_stock"


def offer_place(ctx: Context, item: Item) -> CommandError:
    """`!comprar` found it sold out: say so and offer a place in line (a button where the
    platform has them, the `!avisame` command in words everywhere)."""
    key = item.variant.key if item.variant is not None else None
    label = variant_label(key)
    name = f"{item.product.name} {label}".strip()
    command = f"{ctx.prefix}avisame {item.product.sku} {label}".strip()
    offer = SoldOut("waitlist_offer", name=ctx.author.name, product=name, command=command)
    return offer.with_buttons(offer_button(ctx, item.product.sku, key))


async def show_places(ctx: Context) -> bool:
    """`!pedido` also says where the viewer stands in each line; False when in none."""
    found = await ctx.run(ctx.services.store.waitlist_places, ctx.author.platform, ctx.author.id)
    if not found:
        return False
    await ctx.reply("waitlist_places", places=" · ".join(place_text(ctx, p) for p in found))
    return True


async def notify_me(ctx: Context) -> None:
    parts = words(ctx.args)
    if not parts:
        raise MissingArgument("waitlist_usage")
    store = ctx.services.store
    if parts[0].casefold() in LEAVE_WORDS:
        sku = None
        if len(parts) > 1:
            products = await catalog(ctx, include_inactive=True)
            sku = resolve_product(" ".join(parts[1:]), products)[0].sku
        left = await ctx.run(store.waitlist_leave, ctx.viewer, sku)
        await ctx.reply("waitlist_left" if left else "waitlist_not_in_line", name=ctx.author.name)
        return
    products = await catalog(ctx, include_inactive=True)
    product, rest = resolve_product(ctx.args, products)
    variant = find_variant(product, rest, ctx.services.messages.synonyms())
    place = await ctx.run(
        store.waitlist_join,
        ctx.viewer,
        ctx.message.channel,
        product.sku,
        variant.key if variant is not None else None,
        hold=ctx.services.settings.reservation_ttl,
        locale=ctx.locale,
    )
    label = variant_label(place.variant_key)
    item = f"{place.product_name} {label}".strip()
    if place.outcome == "in_stock":
        buy = f"/comprar {product.sku} {label}".strip()
        await ctx.respond(
            "waitlist_in_stock",
            {"product": item, "command": buy.replace("/", ctx.prefix, 1)},
            buttons=(Button(ctx.t("buy_button", product=product.name), buy),),
        )
        return
    if place.position == 0 and place.order_code:
        await ctx.reply("waitlist_place_held", product=item, code=place.order_code)
        return
    key = "waitlist_joined" if place.outcome == "joined" else "waitlist_already"
    await ctx.reply(key, name=ctx.author.name, product=item, position=place.position)


async def show_line(ctx: Context) -> None:
    if not ctx.args.strip():
        raise MissingArgument("waitlist_line_usage")
    products = await catalog(ctx, include_inactive=True)
    product, _ = resolve_product(ctx.args, products)
    entries = await ctx.run(ctx.services.store.waitlist_line, product.sku)
    if not entries:
        await ctx.reply("waitlist_line_empty", product=product.name)
        return
    shown = []
    for entry in entries[:SHOWN]:
        label = variant_label(entry.variant_key)
        who = f"{entry.viewer.display_name} ({entry.viewer.platform}{' ' + label if label else ''})"
        shown.append(
            ctx.t("waitlist_line_held", who=who)
            if entry.position == 0
            else f"{entry.position}. {who}"
        )
    more = len(entries) - SHOWN
    await ctx.reply(
        "waitlist_line",
        product=product.name,
        count=len(entries),
        entries=" · ".join(shown)
        + (" " + ctx.t("waitlist_line_more", count=more) if more > 0 else ""),
    )


def register(router: Commands) -> None:
    router.add(
        Command(
            names={
                "avisame": "es",
                "notifyme": "en",
                "waitlist": "en",
                "avise-me": "pt",
                "aviseme": "pt",
            },
            handler=notify_me,
        )
    )
    router.add(Command(names={"fila": None, "line": "en"}, handler=show_line, role=Role.MODERATOR))
