"""`!propina <monto> [mensaje]`: a tip paid through the same payment links as orders."""

from __future__ import annotations

from bots.chat.router import BadArgument, Command, Commands, Context, MissingArgument
from bots.commands import send_link
from commerce.money import Money, parse_amount
from commerce.views import TipSource

MAX_TIP_MESSAGE = 200
_CURRENCY_MARKS = frozenset({"$", "r$", "us$"})


def split_amount(args: str) -> tuple[str, str]:
    """(amount text, message): `$ 500 hola` keeps the lone `$` with its number."""
    parts = args.split(maxsplit=2)
    if len(parts) >= 2 and parts[0].lower() in _CURRENCY_MARKS:
        return f"{parts[0]}{parts[1]}", " ".join(parts[2:])
    head, _, rest = args.partition(" ")
    return head, rest.strip()


async def tip(ctx: Context) -> None:
    services = ctx.services
    settings = services.settings
    if not ctx.args:
        raise MissingArgument("missing_amount")
    amount_text, message = split_amount(ctx.args)
    amount = parse_amount(amount_text, settings.currency, ctx.locale)
    money = services.messages.money
    if amount < settings.tip_min:
        raise BadArgument(
            "tip_too_small", min=money(Money(settings.tip_min, settings.currency), ctx.locale)
        )
    if amount > settings.tip_max:
        raise BadArgument(
            "tip_too_large", max=money(Money(settings.tip_max, settings.currency), ctx.locale)
        )
    view = await ctx.run(
        services.store.create_tip,
        ctx.viewer,
        ctx.message.channel,
        Money(amount, settings.currency),
        message[:MAX_TIP_MESSAGE],
        TipSource.LINK,
        ttl=settings.reservation_ttl,
        locale=ctx.locale,
    )
    await ctx.reply("tip_reserved", amount=money(view.amount, ctx.locale), code=view.code)
    url = await services.links.for_tip(view)
    await send_link(ctx, url, view.code, settings.reservation_ttl)


def register(router: Commands) -> None:
    router.add(Command(names={"propina": "es", "tip": "en", "gorjeta": "pt"}, handler=tip))
