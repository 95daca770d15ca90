"""Ajustes (owner only): the store's settings as the bot runs with them, the browsers signed
in to the panel, and signing them all out. No secret is shown: tokens and keys stay in
config.toml and the environment."""

from __future__ import annotations

from aiohttp import web

from bots.web.panel.auth import COOKIE
from bots.web.panel.core import Routes, page, panel, url


async def show(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    sessions = await ctx.run(ctx.store.panel_sessions)
    s = ctx.settings
    minutes = int(s.reservation_ttl.total_seconds() // 60)
    rows = [
        ("store_name", s.store_name),
        ("currency", s.currency),
        ("locale", s.locale),
        ("prefix", s.prefix),
        ("reservation", ctx.fmt.t("minutes", n=minutes)),
        ("tips", f"{ctx.fmt.number(s.tip_min)} – {ctx.fmt.number(s.tip_max)}"),
        ("low_stock", str(ctx.panel.low_stock)),
        ("stream_gap", ctx.fmt.t("minutes", n=ctx.panel.stream_gap_minutes)),
        ("timezone", str(ctx.fmt.zone)),
    ]
    return page(
        request,
        "settings.html",
        {"nav": "settings", "rows": rows, "sessions": sessions},
    )


async def sign_out_all(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    await ctx.run(ctx.store.panel_sign_out_all)
    response = web.HTTPSeeOther(url(request, "signin"))
    response.del_cookie(COOKIE, path="/panel")
    raise response


def setup(routes: Routes) -> None:
    routes.add("GET", "/ajustes", show, "settings")
    routes.add("POST", "/ajustes/cerrar-sesiones", sign_out_all, "settings_signout_all")
