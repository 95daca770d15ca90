"""`!tienda` and `!precio`: what is on sale, for how much, and whether any is left."""

from __future__ import annotations

from adapters.base import Button
from bots.chat.converters import find_variant, resolve_product
from bots.chat.labels import Options, VariantLabel
from bots.chat.router import BadArgument, Command, Commands, Context, MissingArgument
from bots.commands import catalog
from commerce.money import Money
from commerce.views import ProductView

# At or below this many units `!tienda` says how many are left: urgency when it is true.
LOW_STOCK = 5


def lowest_price(product: ProductView) -> tuple[Money, bool]:
    """The product's price, or its cheapest variant's; True when variants differ in price."""
    prices = [v.price for v in product.variants] or [product.price]
    cheapest = min(prices, key=lambda m: m.amount)
    return cheapest, len({p.amount for p in prices}) > 1


def price_text(ctx: Context, product: ProductView) -> str:
    price, varies = lowest_price(product)
    shown = ctx.services.messages.money(price, ctx.locale)
    return ctx.t("price_from", price=shown) if varies else shown


async def show_shop(ctx: Context) -> None:
    products = await catalog(ctx)
    if not products:
        await ctx.reply("shop_empty")
        return
    items = []
    for product in products:
        key = "shop_item" if product.available > LOW_STOCK else "shop_item_low"
        if product.available <= 0:
            key = "shop_item_sold_out"
        price = price_text(ctx, product)
        items.append(ctx.t(key, product=product.name, price=price, available=product.available))
    is_open = await ctx.run(ctx.services.store.is_open)
    buttons = tuple(
        Button(ctx.t("buy_button", product=p.name), f"/comprar {p.sku}")
        for p in products
        if p.available > 0
    )
    await ctx.respond(
        "shop_list" if is_open else "shop_list_closed",
        {"store": ctx.services.settings.store_name, "items": " · ".join(items)},
        buttons=buttons if is_open else (),
    )


async def show_price(ctx: Context) -> None:
    if not ctx.args:
        raise MissingArgument("missing_product")
    products = await catalog(ctx, include_inactive=True)
    product, rest = resolve_product(ctx.args, products)
    if not product.active:
        await ctx.reply("error_product_inactive", product=product.name)
        return
    money = ctx.services.messages.money
    if product.variants and rest:
        try:
            variant = find_variant(product, rest, ctx.services.messages.synonyms())
        except BadArgument:
            variant = None
        if variant is not None:
            key = "price_variant" if variant.available > 0 else "price_variant_sold_out"
            await ctx.reply(
                key,
                product=product.name,
                variant=VariantLabel(variant.options),
                price=money(variant.price, ctx.locale),
                available=variant.available,
            )
            return
    if product.available <= 0:
        await ctx.reply("price_sold_out", product=product.name, price=price_text(ctx, product))
        return
    await ctx.reply(
        "price_info_variants" if product.variants else "price_info",
        product=product.name,
        price=price_text(ctx, product),
        available=product.available,
        options=Options(product.variants),
    )
    # During a flash sale on it, the sale price too (bots.commands.promos).
    sale = await ctx.run(ctx.services.store.active_flash_sale)
    if sale is not None and sale.sku == product.sku:
        sale_price = money(sale.price, ctx.locale)
        shown = ctx.t("price_from", price=sale_price) if sale.varies else sale_price
        await ctx.reply(
            "flash_applied",
            product=product.name,
            price=shown,
            old=money(sale.old_price, ctx.locale),
        )


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"tienda": "es", "catalogo": None, "shop": "en", "loja": "pt"},
            handler=show_shop,
        )
    )
    router.add(Command(names={"precio": "es", "price": "en", "preco": "pt"}, handler=show_price))
