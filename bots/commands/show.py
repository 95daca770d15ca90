"""`!destacar <producto>` and `!meta <monto>`: the owner drives the stream overlay from chat.

The commands announce (SpotlightChanged, GoalChanged on the bot's EventBus); the overlay
keeps its own state. The spotlight is also kept in the store (commerce.live_state), for
claim words in every chat process (bots.chat.claim_words). That way the overlay can be
replaced or run twice, and a test of the command layer needs no web app.
"""

from __future__ import annotations

from adapters.base import Role
from bots.chat.converters import resolve_product
from bots.chat.router import Command, Commands, Context, MissingArgument
from bots.chat.text import fold, words
from bots.commands import catalog
from bots.runtime.events import GoalChanged, SpotlightChanged
from commerce.money import Money, parse_amount
from commerce.views import ProductView

# Words that clear the spotlight or the goal instead of naming a product or an amount.
_OFF = frozenset({"off", "no", "nada", "quitar", "sacar", "borrar", "clear", "none", "0"})
# A first word that makes `!meta` a tips goal; anything else is a sales goal.
_TIPS = frozenset({"propinas", "propina", "tips", "tip", "gorjetas", "gorjeta"})
_SALES = frozenset({"ventas", "venta", "sales", "vendas"})


async def set_spotlight(ctx: Context, product: ProductView | None) -> None:
    """Keep the spotlight in the store (every process, and the next start, knows it: claim
    words buy it), follow it here at once, and tell the overlay and the other processes."""
    await ctx.run(ctx.services.store.set_spotlight, None if product is None else product.sku)
    ctx.router.set_spotlight(product)
    await ctx.publish(SpotlightChanged(product))


async def spotlight(ctx: Context) -> None:
    """`!destacar remera`: show that product, its price, stock and QR on the overlay."""
    parts = words(ctx.args)
    if not parts:
        raise MissingArgument("spotlight_usage")
    if len(parts) == 1 and fold(parts[0]) in _OFF:
        await set_spotlight(ctx, None)
        await ctx.reply("spotlight_cleared")
        return
    products = await catalog(ctx)
    product, _ = resolve_product(ctx.args, products)
    await set_spotlight(ctx, product)
    price = ctx.services.messages.money(product.price, ctx.locale)
    await ctx.reply("spotlight_set", product=product.name, price=price)


async def goal(ctx: Context) -> None:
    """`!meta 50000` (sales) or `!meta propinas 20000` (tips); `!meta off` hides the bar."""
    parts = words(ctx.args)
    if not parts:
        raise MissingArgument("goal_usage")
    kind = "sales"
    if fold(parts[0]) in _TIPS | _SALES:
        kind = "tips" if fold(parts[0]) in _TIPS else "sales"
        parts = parts[1:]
    if not parts:
        raise MissingArgument("goal_usage")
    if len(parts) == 1 and fold(parts[0]) in _OFF:
        await ctx.publish(GoalChanged(None, kind))
        await ctx.reply("goal_cleared")
        return
    currency = ctx.services.settings.currency
    amount = parse_amount(" ".join(parts), currency, ctx.locale)
    target = Money(amount, currency)
    await ctx.publish(GoalChanged(target, kind))
    key = "goal_set_tips" if kind == "tips" else "goal_set_sales"
    await ctx.reply(key, amount=ctx.services.messages.money(target, ctx.locale))


def register(router: Commands) -> None:
    router.add(
        Command(
            names={"destacar": None, "spotlight": "en", "destaque": "pt"},
            handler=spotlight,
            role=Role.MODERATOR,
        )
    )
    router.add(Command(names={"meta": None, "goal": "en"}, handler=goal, role=Role.MODERATOR))
