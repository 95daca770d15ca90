"""`!comprar`, `!pedido` and `!cancelar`: a viewer's own orders, from reservation to status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.base import neutralize
from bots.chat.converters import Item, parse_purchase, split_shoutout
from bots.chat.router import Command, CommandError, Commands, Context, variant_label
from bots.chat.text import words
from bots.commands import catalog, delivery, minutes, order_items, promos, send_link, waitlist
from bots.runtime.events import OrderReserved
from commerce.errors import CommerceError, InvalidTransition, OrderNotFound, OutOfStock
from commerce.shoutouts import MAX_MESSAGE
from commerce.views import LineRequest, OrderStatus, OrderView


async def buy(ctx: Context) -> None:
    services = ctx.services
    settings = services.settings
    synonyms = services.messages.synonyms()
    products = await catalog(ctx, include_inactive=True, recent=True)
    # `!comprar saludo ¡feliz cumple Ana!`: after a queue item, the rest is its message.
    wanted, message = split_shoutout(ctx.args, products)
    coupon: str | None = None
    try:
        items = parse_purchase(wanted, products, settings.max_line_items, synonyms)
    except (CommandError, CommerceError):
        # The answer may name what is in stock: say it from a fresh reading. Or the last
        # word is a coupon (`!comprar remera M CUPON10`: bots.commands.promos).
        products = await catalog(ctx, include_inactive=True)
        items, coupon = await promos.parse_with_coupon(
            ctx, wanted, products, settings.max_line_items
        )
    try:
        order = await _reserve(ctx, [item.line() for item in items])
    except OutOfStock as exc:
        if exc.available > 0 or len(items) != 1:
            raise
        raise waitlist.offer_place(ctx, items[0]) from exc  # sold out: a place in line
    if message is not None:
        await ctx.run(
            services.store.set_shoutout_message, order.code, neutralize(message)[:MAX_MESSAGE]
        )
    coupon_reply: tuple[str, dict[str, object]] | None = None
    if coupon is not None:  # said after the reservation (bots.commands.promos)
        applied, key, params = await promos.try_coupon(ctx, order, coupon)
        order, coupon_reply = applied or order, (key, params)
    total = services.messages.money(order.total, ctx.locale)
    if order.revision:
        # It joined the viewer's pending order: one cart, one link (a new one, new total).
        ttl = max(order.expires_at - datetime.now(UTC), timedelta(0))
        await ctx.reply(
            "order_added",
            added=_items_text(items),
            items=order_items(order),
            total=total,
            code=order.code,
            minutes=minutes(ttl),
        )
    else:
        ttl = order.expires_at - order.created_at
        await ctx.reply(
            "order_reserved",
            items=order_items(order),
            total=total,
            code=order.code,
            minutes=minutes(ttl),
        )
    if coupon_reply is not None:
        await ctx.reply(coupon_reply[0], **coupon_reply[1])
    await promos.tell_flash_prices(ctx, order)
    if await delivery.after_purchase(ctx, order):
        return  # the link follows the delivery questions (bots.commands.delivery)
    if order.revision and services.conversations is not None:
        order = await ctx.run(services.store.get_order, order.code)  # shipping re-priced
    url = await services.links.for_order(order)
    await send_link(ctx, url, order.code, ttl)
    await ctx.publish(OrderReserved(order))  # after the buyer has their answer


# How long `_reserve` waits, in steps, for the database to be free again before it hands
# the reservation to a worker thread instead.
_RETRY_NOW = (0.0005, 0.001, 0.002, 0.004, 0.008)


async def _reserve(ctx: Context, lines: list[LineRequest]) -> OrderView:
    """The reservation, at once on this thread when the Store can take it (SQLite, nothing
    else holding the database: Store.reserve_now), else off the loop.

    The Store's own connection is busy now and then (the catalog read again every few
    seconds): waiting a few milliseconds for it keeps the reservations here, where a hop
    to a worker thread would hold that connection in its turn and send the next command,
    and the next, to a thread too. PostgreSQL (None at once, and always) goes straight
    to the thread."""
    store, settings = ctx.services.store, ctx.services.settings
    ttl, viewer, channel = settings.reservation_ttl, ctx.viewer, ctx.message.channel
    order = store.reserve_now(viewer, channel, lines, ttl=ttl, locale=ctx.locale)
    if order is None and store.reserves_now:
        for delay in _RETRY_NOW:
            await asyncio.sleep(delay)
            order = store.reserve_now(viewer, channel, lines, ttl=ttl, locale=ctx.locale)
            if order is not None:
                break
    if order is None:
        order = await ctx.run(store.reserve, viewer, channel, lines, ttl=ttl, locale=ctx.locale)
    return order


def _items_text(items: list[Item]) -> str:
    """What this `!comprar` added, as `line_text` writes an order's lines."""
    parts = []
    for item in items:
        label = variant_label(item.variant.key if item.variant is not None else None)
        name = f"{item.product.name} ({label})" if label else item.product.name
        parts.append(f"{item.quantity}× {name}")
    return " + ".join(parts)


def _status(ctx: Context, order: OrderView) -> str:
    return ctx.t(f"status_{order.status.value}")


async def _own_order(ctx: Context, code: str) -> OrderView:
    """The order with `code`, only if it is the author's: others' look like no order at all."""
    order = await ctx.run(ctx.services.store.get_order, code)
    if (order.viewer.platform, order.viewer.user_id) != (ctx.author.platform, ctx.author.id):
        raise OrderNotFound(code)
    return order


async def _show_order(ctx: Context, order: OrderView) -> None:
    await ctx.reply(
        "order_status",
        code=order.code,
        items=order_items(order),
        total=ctx.services.messages.money(order.total, ctx.locale),
        status=_status(ctx, order),
    )
    if order.status is OrderStatus.PENDING and order.payment_url:
        left = max(order.expires_at - datetime.now(UTC), timedelta(0))
        url = ctx.services.links.shown(order.code, order.payment_url)
        await send_link(ctx, url, order.code, left)


async def my_orders(ctx: Context) -> None:
    codes = words(ctx.args)
    if codes:
        await _show_order(ctx, await _own_order(ctx, codes[0]))
        return
    orders = await ctx.run(
        ctx.services.store.viewer_orders, ctx.author.platform, ctx.author.id, limit=5
    )
    in_line = await waitlist.show_places(ctx)  # their places in line, if any
    if not orders:
        if not in_line:
            await ctx.reply("no_orders")
        return
    cart = _cart(ctx, orders)
    if cart is not None:
        await _show_order(ctx, cart)  # what they are buying now, its total and its link
        return
    summary = " · ".join(
        ctx.t("order_line", code=o.code, items=order_items(o), status=_status(ctx, o))
        for o in orders
    )
    await ctx.reply("order_list", orders=summary)


def _cart(ctx: Context, orders: list[OrderView]) -> OrderView | None:
    """The viewer's latest pending order in this chat (their cart), else their latest
    pending one anywhere."""
    pending = [o for o in orders if o.status is OrderStatus.PENDING]
    here = [o for o in pending if o.channel_id == ctx.message.channel]
    return max(here or pending, key=lambda o: o.created_at, default=None)


async def cancel(ctx: Context) -> None:
    store = ctx.services.store
    codes = words(ctx.args)
    if codes:
        order = await _own_order(ctx, codes[0])
    else:
        orders = await ctx.run(store.viewer_orders, ctx.author.platform, ctx.author.id, limit=20)
        cart = _cart(ctx, orders)
        if cart is None:
            await ctx.reply("no_pending_orders")
            return
        order = cart  # the whole cart
    if order.status is not OrderStatus.PENDING:
        raise InvalidTransition("order", order.status.value, OrderStatus.CANCELLED.value)
    await ctx.run(store.cancel_order, order.code, viewer=ctx.viewer)
    await ctx.reply("order_cancelled", code=order.code, items=order_items(order))


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"comprar": None, "buy": "en", "quiero": "es"},
            handler=buy,
            cooldown_per_line=True,
        ),
    )
    router.add(
        Command(names={"pedido": None, "mispedidos": "es", "order": "en"}, handler=my_orders),
    )
    router.add(Command(names={"cancelar": None, "cancel": "en"}, handler=cancel))
