"""Webhooks (owner only): where the store's events go, and how the last deliveries went.

Webhooks are set in config.toml (`[[webhooks]]`, docs/webhooks.md) and shown here read-only:
the URL and the events, never the secret. Each recent delivery shows its state and every
attempt (the receiver's status code, or why nothing came back, and how long it took). A
button sends a signed test event to one webhook now, like `vivo webhooks test`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bots.web.panel.core import Routes, page, panel, url

RECENT = 50


async def show(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    sender = ctx.webhooks
    hooks = list(sender.hooks.values()) if sender is not None else []
    recent = await ctx.run(ctx.store.recent_webhooks, RECENT)
    rows: list[dict[str, Any]] = []
    for delivery, attempts in recent:
        last = attempts[-1] if attempts else None
        rows.append({"delivery": delivery, "attempts": attempts, "last": last})
    listed = [
        {"name": h.name, "url": h.url, "events": sorted(h.events)}
        for h in sorted(hooks, key=lambda h: h.name)
    ]
    return page(request, "webhooks.html", {"nav": "webhooks", "hooks": listed, "rows": rows})


async def send_test(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    sender = ctx.webhooks
    hook = sender.hooks.get(request.match_info["name"]) if sender is not None else None
    if sender is None or hook is None:
        raise web.HTTPNotFound()
    _, attempt = await sender.send_test(hook)
    notice = "webhook_test" if attempt.error is None else "webhook_test_failed"
    raise web.HTTPSeeOther(url(request, "webhooks", {"ok": notice}))


def setup(routes: Routes) -> None:
    routes.add("GET", "/webhooks", show, "webhooks")
    routes.add("POST", "/webhooks/{name}/probar", send_test, "webhook_test")
