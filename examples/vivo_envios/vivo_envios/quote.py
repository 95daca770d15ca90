"""`!envio <postal code>`: the shipping price for that code, from the owner's table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from bots.plugin import BadArgument, Context, MissingArgument, Money

_CODE = re.compile(r"[A-Z0-9]{3,10}")


@dataclass(frozen=True, slots=True)
class Settings:
    """`[plugins.vivo_envios]`, read and checked by `vivo check`."""

    rates: dict[str, Decimal] = field(metadata={"example": '{ "1" = 2500, "50" = 3900 }'})
    default: Decimal | None = field(default=None, metadata={"example": "5500"})
    sheet_url: str | None = field(
        default=None, metadata={"example": '"https://script.google.com/macros/s/…/exec"'}
    )


def parse_postal_code(text: str) -> str:
    """A postal code as people type it: `1425`, `C1425ABC`, `01310-100`, `x5000 `.

    Spaces and hyphens are dropped and letters upper-cased; anything else that is not
    3 to 10 letters and digits is `BadArgument`.
    """
    code = re.sub(r"[\s-]", "", text).upper()
    if not _CODE.fullmatch(code):
        raise BadArgument("vivo_envios.bad_postal_code", code=text[:20])
    return code


def price_for(code: str, settings: Settings) -> Decimal | None:
    """The longest prefix in `rates` that starts the code (or its digits, for `C1425ABC`)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    matches = [
        prefix
        for prefix in settings.rates
        if code.startswith(prefix.upper()) or (digits and digits.startswith(prefix))
    ]
    if not matches:
        return settings.default
    return settings.rates[max(matches, key=len)]


async def quote(ctx: Context, settings: Settings) -> None:
    if not ctx.args:
        raise MissingArgument("vivo_envios.missing_postal_code")
    code = parse_postal_code(ctx.args)
    price = price_for(code, settings)
    if price is None:
        await ctx.reply("vivo_envios.no_shipping", code=code)
        return
    amount = Money(price, ctx.services.settings.currency)
    await ctx.reply(
        "vivo_envios.quote", code=code, price=ctx.services.messages.money(amount, ctx.locale)
    )
