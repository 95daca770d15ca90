"""vivo_envios: shipping quotes in chat, and paid orders sent to a spreadsheet.

    [plugins]
    enabled = ["vivo_envios"]

    [plugins.vivo_envios]
    rates = { "1" = 2500, "50" = 3900 }   # postal code prefix → price, the longest wins
    default = 5500                        # anywhere else (leave it out: "we don't ship there")
    sheet_url = "https://script.google.com/macros/s/…/exec"   # optional: paid orders as CSV

Only names from `bots.plugin`, Vivo's public API, are imported: this is how any plugin
is written.
"""

from __future__ import annotations

from pathlib import Path

from bots.plugin import Command, Context, OrderPaid, Plugin, Registry
from vivo_envios.quote import Settings, quote
from vivo_envios.sheet import post_paid_order


def register(registry: Registry[Settings]) -> None:
    async def envio(ctx: Context) -> None:
        await quote(ctx, registry.settings)

    async def paid(event: object) -> None:
        if isinstance(event, OrderPaid) and registry.settings.sheet_url:
            await post_paid_order(registry.settings.sheet_url, event.order)

    registry.add(Command(names={"envio": "es", "shipping": "en", "frete": "pt"}, handler=envio))
    registry.listen(paid, OrderPaid)


plugin: Plugin[Settings] = Plugin(
    name="vivo_envios",
    register=register,
    settings=Settings,
    locales=Path(__file__).with_name("locales"),
    description="!envio <postal code> quotes shipping; paid orders go to a spreadsheet",
)

__all__ = ["Settings", "plugin"]
