"""`!oferta` (flash sales, owner and mods) and `!cupon` (a viewer's coupon): chat wording only.

The rules are the store's (commerce.flash_sales, commerce.coupons): the sale lives in the
database, so every process prices the same way, and the reservation takes the sale price
in its own transaction. Here the words are read (bots.chat.promo_args), the store called,
and the answer said in the viewer's language: the sale price next to the old one, the
discount next to the new total, and why a code does not work when it does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from adapters.base import Role
from bots.chat.converters import Item, example_item, parse_purchase, resolve_product
from bots.chat.promo_args import (
    END_WORDS,
    duration_text,
    looks_like_code,
    parse_flash,
    split_coupon,
)
from bots.chat.router import (
    Command,
    CommandError,
    Commands,
    Context,
    MissingArgument,
    describe_commerce_error,
)
from bots.chat.text import fold, words
from bots.commands import catalog, send_link
from bots.runtime.events import FlashSaleEnded, FlashSaleStarted
from commerce.errors import CommerceError, CouponInvalid
from commerce.views import OrderStatus, OrderView, ProductView


async def flash(ctx: Context) -> None:
    """`!oferta remera 20% 5m [max 1]`, `!oferta taza 6000 10m`, `!oferta fin`."""
    parts = words(ctx.args)
    if not parts:
        raise MissingArgument("flash_usage")
    store = ctx.services.store
    money = ctx.services.messages.money
    if len(parts) == 1 and fold(parts[0]) in END_WORDS:
        ended = await ctx.run(store.end_flash_sale)
        if ended is None:
            await ctx.reply("flash_none")
            return
        await ctx.publish(FlashSaleEnded(ended))
        await ctx.reply(
            "flash_ended", product=ended.product_name, old=money(ended.old_price, ctx.locale)
        )
        return
    args = parse_flash(ctx.args, ctx.services.settings.currency, ctx.locale)
    products = await catalog(ctx)
    product, _ = resolve_product(args.product_text, products)
    sale = await ctx.run(
        lambda: store.start_flash_sale(
            product.sku,
            percent=args.percent,
            price=args.price,
            duration=args.duration,
            max_per_buyer=args.max_per_buyer,
        )
    )
    await ctx.publish(FlashSaleStarted(sale))
    price = money(sale.price, ctx.locale)
    params: dict[str, object] = {
        "product": sale.product_name,
        "price": ctx.t("price_from", price=price) if sale.varies else price,
        "old": money(sale.old_price, ctx.locale),
        "time": duration_text(sale.ends_at - sale.starts_at),
        "item": example_item(product),
    }
    if sale.max_per_buyer is not None:
        await ctx.reply("flash_started_limit", limit=sale.max_per_buyer, **params)
    else:
        await ctx.reply("flash_started", **params)


async def coupon(ctx: Context) -> None:
    """`!cupon CUPON10`: the coupon on the viewer's pending order in this chat."""
    parts = words(ctx.args)
    if not parts:
        raise MissingArgument("coupon_usage")
    code = parts[0].upper()
    store = ctx.services.store
    mine = await ctx.run(store.viewer_orders, ctx.author.platform, ctx.author.id, 10)
    pending = [
        o for o in mine if o.status is OrderStatus.PENDING and o.channel_id == ctx.message.channel
    ]
    if not pending:
        await ctx.reply("coupon_no_order", coupon=code)
        return
    order = await apply_coupon(ctx, pending[0], code)
    if order is None:
        return
    left = max(order.expires_at - datetime.now(UTC), timedelta(0))
    url = await ctx.services.links.for_order(order)
    await send_link(ctx, url, order.code, left)


# --- what `!comprar` asks of this module (bots.commands.orders) ------------------------------


async def parse_with_coupon(
    ctx: Context, text: str, products: Sequence[ProductView], max_items: int
) -> tuple[list[Item], str | None]:
    """The purchase, and a coupon code when the last word is one: `remera M CUPON10`.

    Only asked after `text` failed to parse as it is, so every purchase that parsed before
    parses the same. The last word is taken as a coupon when the rest parses and the word
    is a code the store knows, or looks like one (letters and digits: `CUPON1O`, so a typo
    hears "no such coupon"); otherwise the original refusal stands."""
    synonyms = ctx.services.messages.synonyms()
    try:
        return parse_purchase(text, products, max_items, synonyms), None
    except (CommandError, CommerceError) as refused:
        split = split_coupon(text)
        if split is None:
            raise
        rest, code = split
        try:
            items = parse_purchase(rest, products, max_items, synonyms)
        except (CommandError, CommerceError):
            raise refused from None
        if not looks_like_code(code) and not await ctx.run(ctx.services.store.coupon_exists, code):
            raise refused from None
        return items, code.upper()


async def apply_coupon(ctx: Context, order: OrderView, code: str) -> OrderView | None:
    """Put the coupon on the order and say so; on a refusal say why (in the viewer's
    language) and return None: the order stands as it was."""
    updated, key, params = await try_coupon(ctx, order, code)
    await ctx.reply(key, **params)
    return updated


async def try_coupon(
    ctx: Context, order: OrderView, code: str
) -> tuple[OrderView | None, str, dict[str, object]]:
    """`apply_coupon` without the reply: the order (None when refused) and what to say, so
    `!comprar` can say it after the reservation."""
    try:
        updated = await ctx.run(ctx.services.store.apply_coupon, order.code, code, ctx.viewer)
    except CouponInvalid as refused:
        key, params = describe_commerce_error(refused, ctx)
        return None, key, params
    money = ctx.services.messages.money
    discount = updated.discount
    return (
        updated,
        "coupon_applied",
        {
            "coupon": updated.coupon or code,
            "discount": money(discount, ctx.locale) if discount is not None else "",
            "code": updated.code,
            "total": money(updated.total, ctx.locale),
        },
    )


async def tell_flash_prices(ctx: Context, order: OrderView) -> None:
    """`⚡ Precio de oferta: Remera a $12.000 (antes $15.000)` for the lines a sale priced."""
    money = ctx.services.messages.money
    seen = set()
    for line in order.lines:
        if line.list_price is None or line.sku in seen:
            continue
        seen.add(line.sku)
        await ctx.reply(
            "flash_applied",
            product=line.product_name,
            price=money(line.unit_price, ctx.locale),
            old=money(line.list_price, ctx.locale),
        )


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"oferta": None, "sale": "en", "promo": None, "flash": "en"},
            handler=flash,
            role=Role.MODERATOR,
        )
    )
    router.add(
        Command(
            names={"cupon": "es", "coupon": "en", "cupom": "pt"},
            handler=coupon,
        )
    )
