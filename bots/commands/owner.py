"""Owner and moderator commands: `!stock`, `!abrir`, `!cerrar`, usable live from chat."""

from __future__ import annotations

from adapters.base import Role
from bots.chat.converters import find_variant, resolve_product
from bots.chat.router import BadArgument, Command, Commands, Context, MissingArgument
from bots.chat.text import words
from bots.commands import catalog
from bots.runtime.events import ClaimWordsChanged, StockChanged
from commerce.live_state import ClaimWordsState

MAX_STOCK = 1_000_000


async def set_stock(ctx: Context) -> None:
    """`!stock remera M 50`: the last word is the new stock, the rest names product and variant."""
    parts = words(ctx.args)
    if len(parts) < 2:
        raise MissingArgument("stock_usage")
    number = parts[-1]
    if not number.isascii() or not number.isdigit() or int(number) > MAX_STOCK:
        raise BadArgument("bad_stock", value=number, max=MAX_STOCK)
    stock = int(number)
    products = await catalog(ctx, include_inactive=True)
    product, rest = resolve_product(" ".join(parts[:-1]), products)
    variant = find_variant(product, rest, ctx.services.messages.synonyms())
    key = variant.key if variant is not None else None
    updated = await ctx.run(ctx.services.store.set_stock, product.sku, stock, key)
    await ctx.publish(StockChanged(updated))
    label = " ".join(variant.options[k] for k in sorted(variant.options)) if variant else ""
    await ctx.reply("stock_set", product=f"{product.name} {label}".strip(), stock=stock)


async def open_store(ctx: Context) -> None:
    await ctx.run(ctx.services.store.set_open, True)
    await ctx.reply("store_opened")


async def close_store(ctx: Context) -> None:
    await ctx.run(ctx.services.store.set_open, False)  # claim words go off with it
    if ctx.router.claim_state.enabled:
        ctx.router.set_claim_words(ClaimWordsState())
        await ctx.publish(ClaimWordsChanged(False))
    await ctx.reply("store_closed_now")


def register(router: Commands) -> None:
    router.add(
        Command(names={"stock": None, "estoque": "pt"}, handler=set_stock, role=Role.MODERATOR)
    )
    router.add(
        Command(names={"abrir": None, "open": "en"}, handler=open_store, role=Role.MODERATOR)
    )
    router.add(
        Command(
            names={"cerrar": "es", "close": "en", "fechar": "pt"},
            handler=close_store,
            role=Role.MODERATOR,
        )
    )
