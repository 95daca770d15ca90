"""The bot's chat commands, one module per area, plus the helpers they share."""

from __future__ import annotations

from datetime import timedelta

from adapters.base import Priority
from bots.chat.i18n import Verbatim
from bots.chat.labels import Lines
from bots.chat.router import Commands, Context, Router
from commerce.views import OrderView, ProductView


def register(registry: Commands) -> None:
    """Add every built-in command to `registry`: what a plugin's `register` does too."""
    from bots.commands import (
        auctions,
        claim,
        claim_words,
        delivery,
        giveaways,
        orders,
        owner,
        promos,
        shop,
        shoutouts,
        show,
        tips,
        waitlist,
    )
    from bots.commands import help as help_

    modules = (shop, orders, delivery, tips, owner, shoutouts, show, claim, waitlist, promos)
    for module in (*modules, auctions, claim_words, giveaways, help_):
        module.register(registry)


def register_all(router: Router) -> None:
    """Add every built-in command to `router`, through a registry as plugins' commands go."""
    from bots.plugin import Registry

    builtin: Registry[None] = Registry("")
    register(builtin)
    for command in builtin.commands:
        router.add(command)
    from bots.commands import delivery

    delivery.answer_in(router)


async def catalog(
    ctx: Context, *, include_inactive: bool = False, recent: bool = False
) -> list[ProductView]:
    """The store's products; also teaches `ctx` their names for error replies.

    `recent` accepts a reading of the last seconds (Store.recent_products), for parsing what
    a viewer typed: no database round trip on most purchases, and one shared by the
    purchases in flight when it is read again (Router.read_catalog)."""
    store = ctx.services.store
    if recent:
        found = store.recent_products()
        products = await ctx.router.read_catalog() if found is None else found
    else:
        products = await ctx.run(store.list_products, include_inactive=True)
    if not include_inactive:
        products = [p for p in products if p.active]
    ctx.product_names.update({p.sku: p.name for p in products})
    return products


def order_items(order: OrderView) -> Lines:
    """`2× Remera Vivo (negro M)`, with the variant's words in the reader's language."""
    return Lines(tuple(order.lines))


def minutes(ttl: timedelta) -> int:
    return max(1, round(ttl.total_seconds() / 60))


async def send_link(ctx: Context, url: str | None, code: str, ttl: timedelta) -> None:
    """The payment link, privately and first in line; or word that it is on its way.

    When the provider is slow the links service delivers the link itself later, so the
    buyer only needs to know it is coming.
    """
    if url is None:
        await ctx.reply("link_delayed", name=ctx.author.name, code=code)
        return
    params = {"name": ctx.author.name, "url": Verbatim(url), "code": code, "minutes": minutes(ttl)}
    await ctx.respond("link_ready", params, private=True, priority=Priority.PAYMENT, receipt=code)
