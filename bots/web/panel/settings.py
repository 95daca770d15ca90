"""Ajustes (owner only): the store's settings as the bot runs with them, where owner alerts
go (editable: saved in the store, it then wins over `[alerts]`), the browsers signed in to
the panel, and signing them all out. No secret is shown: tokens and keys stay in
config.toml and the environment."""

from __future__ import annotations

from aiohttp import web

from bots.config import ALERT_DESTINATIONS, ALERT_EVENTS
from bots.runtime.alerts import effective
from bots.web.panel.auth import COOKIE
from bots.web.panel.core import Routes, page, panel, url
from commerce.alerts import Preferences

#: The ranges `[alerts]` accepts (bots/config.py), so the panel and config agree.
DIGEST_MINUTES = (1, 24 * 60)
MISSING_HOURS = (1, 24 * 30)


async def show(request: web.Request, *, error: str = "", status: int = 200) -> web.StreamResponse:
    ctx = panel(request)
    sessions = await ctx.run(ctx.store.panel_sessions)
    saved = await ctx.run(ctx.store.alert_preferences)
    alerts = effective(ctx.alerts, saved)
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
        {
            "nav": "settings",
            "rows": rows,
            "sessions": sessions,
            "alerts": alerts,
            "alert_events": ALERT_EVENTS,
            "alert_places": ALERT_DESTINATIONS,
            "alerts_saved": saved is not None,
            "error": error,
        },
        status=status,
    )


async def save_alerts(request: web.Request) -> web.StreamResponse:
    """The owner's alert choices; kept in the store, so they outlive restarts and config."""
    ctx = panel(request)
    form = await request.post()
    routes = {
        event: tuple(p for p in ALERT_DESTINATIONS if form.get(f"route.{event}.{p}") == "on")
        for event in ALERT_EVENTS
    }
    minutes = _whole(str(form.get("digest_minutes", "")), DIGEST_MINUTES)
    hours = _whole(str(form.get("missing_details_hours", "")), MISSING_HOURS)
    if minutes is None or hours is None:
        low, high = DIGEST_MINUTES if minutes is None else MISSING_HOURS
        message = ctx.fmt.t("alerts_bad_number", low=low, high=high)
        return await show(request, error=message, status=400)
    chosen = Preferences(routes, form.get("digest") == "on", minutes, hours)
    await ctx.run(ctx.store.save_alert_preferences, chosen)
    raise web.HTTPSeeOther(url(request, "settings", {"ok": "alerts_saved"}))


def _whole(text: str, bounds: tuple[int, int]) -> int | None:
    text = text.strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if bounds[0] <= value <= bounds[1] else None


async def sign_out_all(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    await ctx.run(ctx.store.panel_sign_out_all)
    response = web.HTTPSeeOther(url(request, "signin"))
    response.del_cookie(COOKIE, path="/panel")
    raise response


def setup(routes: Routes) -> None:
    routes.add("GET", "/ajustes", show, "settings")
    routes.add("POST", "/ajustes/cerrar-sesiones", sign_out_all, "settings_signout_all")
    routes.add("POST", "/ajustes/avisos", save_alerts, "settings_alerts")
