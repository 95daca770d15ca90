"""The owner's panel at `/panel`: live figures during the stream, orders, products, and a
summary afterwards. See docs/panel.md for owners, bots/web/panel/auth.py for signing in.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from aiohttp import web

from bots.config import PanelSettings
from bots.web.panel import (
    alerts,
    auth,
    coupons,
    fulfilment,
    live,
    moderation,
    orders,
    products,
    shoutouts,
    stream_alerts,
    summary,
    webhooks,
)
from bots.web.panel import settings as settings_page
from bots.web.panel.core import PANEL, PanelContext, Routes, url

STATIC_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
}
# The vendored and own front-end files the panel pages load (bots/web/static/).
STATIC_FILES = frozenset(
    {"panel.css", "panel.js", "htmx.min.js", "uPlot.iife.min.js", "uPlot.min.css"}
)


class Panel:
    """A `Page` for bots.web.app.build_app: mounts the panel as a sub-application."""

    def __init__(self, context: PanelContext) -> None:
        self.context = context
        self.app = web.Application(middlewares=[auth.guard])
        self.app[PANEL] = context
        routes = Routes(self.app)
        routes.add("GET", "/", _home, "home", staff=True)
        routes.add("GET", "/static/{name}", _static, "static")
        auth.setup(routes)
        live.setup(routes)
        fulfilment.setup(routes)  # before orders: its fixed /pedidos/... addresses
        orders.setup(routes)
        products.setup(routes)
        summary.setup(routes)
        moderation.setup(routes)
        shoutouts.setup(routes)
        settings_page.setup(routes)
        stream_alerts.setup(routes)
        webhooks.setup(routes)
        alerts.setup(routes)
        coupons.setup(routes)

    def setup(self, app: web.Application) -> None:
        app.add_subapp("/panel", self.app)
        app.router.add_get("/panel", _to_panel)


async def _to_panel(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/panel/")


async def _home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(url(request, "live"))


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    suffix = name[name.rfind(".") :]
    return web.Response(
        body=_static_bytes(name),
        content_type=STATIC_TYPES[suffix],
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@lru_cache(maxsize=16)
def _static_bytes(name: str) -> bytes:
    return (resources.files("bots.web") / "static" / name).read_bytes()


__all__ = ["Panel", "PanelContext", "PanelSettings"]
