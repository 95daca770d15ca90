"""Avisos: the panel's notification list, the one place every owner alert always reaches.

The owner sees every alert; staff see the ones about orders to pack (paid, missing
delivery details), not the refunds, which are the owner's money. Read state is the
store's, so every browser and every process agrees on what is still unread. The bell in
the header asks for the unread count (`alerts_badge`) after the page loads, so no page
waits on it.
"""

from __future__ import annotations

from aiohttp import web

from bots.runtime.alert_text import alert_line
from bots.runtime.alerts import STAFF_KINDS
from bots.web.panel.core import SESSION, Routes, page, panel, url
from commerce.alerts import AlertKind
from commerce.sessions import PanelRole

SHOWN = 200


def kinds_for(request: web.Request) -> list[AlertKind] | None:
    """The alert kinds this visitor may see (None: all of them, for the owner)."""
    session = request.get(SESSION)
    if session is not None and session.role == PanelRole.OWNER:
        return None
    return list(STAFF_KINDS)


async def show(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    kinds = kinds_for(request)
    found = await ctx.run(ctx.store.list_alerts, kinds, SHOWN)
    unread = await ctx.run(ctx.store.unread_alerts, kinds)
    locale = ctx.settings.locale
    after = ctx.alerts.missing_details_after
    items = [
        {
            "id": a.id,
            "kind": a.kind.value,
            "text": alert_line(ctx.messages, locale, a, after),
            "when": ctx.fmt.when(a.created_at),
            "unread": a.read_at is None,
            "code": a.code,
            "sent_to": ", ".join(ctx.fmt.platform(p) for p in a.sent_to),
            "waiting_for": ", ".join(ctx.fmt.platform(p) for p in a.waiting_for),
        }
        for a in found
    ]
    return page(request, "alerts.html", {"nav": "alerts", "items": items, "unread": unread})


async def badge(request: web.Request) -> web.StreamResponse:
    """The bell's unread count, as a fragment htmx puts in the header."""
    ctx = panel(request)
    unread = await ctx.run(ctx.store.unread_alerts, kinds_for(request))
    label = ctx.fmt.t("alerts_unread", count=unread)
    text = f'<span class="bell-count" title="{label}">{unread}</span>' if unread else ""
    return web.Response(text=text, content_type="text/html", charset="utf-8")


async def mark_read(request: web.Request) -> web.StreamResponse:
    """One alert (`id`), or every unread one this visitor can see."""
    ctx = panel(request)
    form = await request.post()
    raw = str(form.get("id", "")).strip()
    ids = [int(raw)] if raw.isdigit() else None
    await ctx.run(ctx.store.mark_alerts_read, ids, kinds_for(request))
    raise web.HTTPSeeOther(url(request, "alerts"))


def setup(routes: Routes) -> None:
    routes.add("GET", "/avisos", show, "alerts", staff=True)
    routes.add("GET", "/avisos/sin-leer", badge, "alerts_badge", staff=True)
    routes.add("POST", "/avisos/leidos", mark_read, "alerts_read", staff=True)
