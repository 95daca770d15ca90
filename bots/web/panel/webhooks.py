"""Webhooks (owner only): where the store's events go, and how the last deliveries went.

Two kinds are listed. `[[webhooks]]` in config.toml (docs/webhooks.md) are shown read-only,
marked as the config's: the file owns them. The ones added here live in the database
(commerce.webhook_endpoints), like the catalog after its first start, so every `vivo run`
on it sends to them; the owner changes their URL and events, pauses them, deletes them, or
rotates their secret. The secret is made here (random, server-side) and shown once, in the
answer to the form that made it; never again. Each recent delivery shows its state and
every attempt; a button sends a signed test event to one webhook now, like `vivo webhooks
test`. A refused form shows the page again with what the owner typed and, next to each
field, what is wrong; nothing changes.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bots.config import WEBHOOK_NAME, WebhookConfig
from bots.runtime.webhook_payloads import EVENT_TYPES
from bots.web.panel.core import PanelContext, Routes, page, panel, url
from commerce.webhook_endpoints import EndpointExists, EndpointNotFound

RECENT = 50
MAX_URL = 2000


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _config_hooks(ctx: PanelContext) -> dict[str, WebhookConfig]:
    return dict(ctx.webhooks.hooks) if ctx.webhooks is not None else {}


def _empty_form() -> dict[str, Any]:
    return {"name": "", "url": "", "events": [], "enabled": True}


async def show(request: web.Request) -> web.StreamResponse:
    return await _page(request)


async def _page(
    request: web.Request,
    *,
    form: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
    editing: str = "",
    secret: tuple[str, str] | None = None,
    status: int = 200,
) -> web.StreamResponse:
    ctx = panel(request)
    recent = await ctx.run(ctx.store.recent_webhooks, RECENT)
    rows: list[dict[str, Any]] = []
    for delivery, attempts in recent:
        last = attempts[-1] if attempts else None
        rows.append({"delivery": delivery, "attempts": attempts, "last": last})
    config = _config_hooks(ctx)
    listed: list[dict[str, Any]] = [
        {"name": h.name, "url": h.url, "events": sorted(h.events), "source": "config"}
        for h in sorted(config.values(), key=lambda h: h.name)
    ]
    for e in await ctx.run(ctx.store.webhook_endpoints):
        if e.name in config:
            continue
        shown = {"url": e.url, "events": sorted(e.events), "enabled": e.enabled}
        if editing == e.name and form is not None:
            shown = dict(form)
        listed.append(
            {
                "name": e.name,
                "url": e.url,
                "events": sorted(e.events),
                "enabled": e.enabled,
                "source": "panel",
                "form": shown,
                "problems": problems if editing == e.name else {},
            }
        )
    context = {
        "nav": "webhooks",
        "hooks": listed,
        "rows": rows,
        "event_types": list(EVENT_TYPES),
        "form": form if form is not None and not editing else _empty_form(),
        "problems": problems if problems is not None and not editing else {},
        "editing": editing,
        "secret": secret,
        "testable": ctx.webhooks is not None,
    }
    response = page(request, "webhooks.html", context, status=status)
    if secret is not None:
        response.headers["Cache-Control"] = "no-store"  # shown once: not kept by the browser
    return response


async def _read_form(request: web.Request) -> dict[str, Any]:
    data = await request.post()
    return {
        "name": str(data.get("name", "")).strip(),
        "url": str(data.get("url", "")).strip(),
        "events": [str(e) for e in data.getall("events", [])],
        "enabled": data.get("enabled") == "1",
    }


def _check(ctx: PanelContext, form: Mapping[str, Any], *, new: bool) -> dict[str, str]:
    """What is wrong with each field, in the panel's language (empty: nothing)."""
    problems: dict[str, str] = {}
    if new:
        name = str(form["name"])
        if not WEBHOOK_NAME.fullmatch(name):
            problems["name"] = ctx.fmt.t("webhook_bad_name")
        elif name in _config_hooks(ctx):
            problems["name"] = ctx.fmt.t("webhook_name_in_config", name=name)
    address = str(form["url"])
    parts = urlsplit(address) if address else None
    try:
        host = parts.hostname if parts is not None else None
    except ValueError:
        host = None
    if not address:
        problems["url"] = ctx.fmt.t("webhook_url_missing")
    elif parts is None or parts.scheme not in ("http", "https") or not host:
        problems["url"] = ctx.fmt.t("webhook_bad_url")
    elif parts.username or parts.password:
        problems["url"] = ctx.fmt.t("webhook_url_credentials")
    elif len(address) > MAX_URL or any(c.isspace() for c in address):
        problems["url"] = ctx.fmt.t("webhook_bad_url")
    events = list(form["events"])
    if not events:
        problems["events"] = ctx.fmt.t("webhook_no_events")
    elif any(e not in EVENT_TYPES for e in events):
        problems["events"] = ctx.fmt.t("webhook_unknown_event")
    return problems


async def create(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await _read_form(request)
    problems = _check(ctx, form, new=True)
    if problems:
        return await _page(request, form=form, problems=problems, status=400)
    secret = new_secret()
    try:
        await ctx.run(
            ctx.store.create_webhook_endpoint, form["name"], form["url"], form["events"], secret
        )
    except EndpointExists:
        taken = {"name": ctx.fmt.t("webhook_name_taken", name=form["name"])}
        return await _page(request, form=form, problems=taken, status=400)
    return await _page(request, secret=(form["name"], secret))


async def edit(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    name = request.match_info["name"]
    form = await _read_form(request)
    form["name"] = name
    if name in _config_hooks(ctx):
        raise web.HTTPNotFound()  # the config's: changed in config.toml only
    problems = _check(ctx, form, new=False)
    if problems:
        await _known(ctx, name)
        return await _page(request, form=form, problems=problems, editing=name, status=400)
    try:
        await ctx.run(
            ctx.store.update_webhook_endpoint, name, form["url"], form["events"], form["enabled"]
        )
    except EndpointNotFound:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(url(request, "webhooks", {"ok": "webhook_saved"}))


async def rotate(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    name = request.match_info["name"]
    if name in _config_hooks(ctx):
        raise web.HTTPNotFound()
    secret = new_secret()
    try:
        await ctx.run(ctx.store.rotate_webhook_secret, name, secret)
    except EndpointNotFound:
        raise web.HTTPNotFound() from None
    return await _page(request, secret=(name, secret))


async def remove(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    name = request.match_info["name"]
    if name in _config_hooks(ctx):
        raise web.HTTPNotFound()
    try:
        await ctx.run(ctx.store.delete_webhook_endpoint, name)
    except EndpointNotFound:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(url(request, "webhooks", {"ok": "webhook_deleted"}))


async def _known(ctx: PanelContext, name: str) -> None:
    try:
        await ctx.run(ctx.store.get_webhook_endpoint, name)
    except EndpointNotFound:
        raise web.HTTPNotFound() from None


async def send_test(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    sender = ctx.webhooks
    if sender is None:
        raise web.HTTPNotFound()
    hooks = await ctx.run(sender.current, paused=True)
    hook = hooks.get(request.match_info["name"])
    if hook is None:
        raise web.HTTPNotFound()
    _, attempt = await sender.send_test(hook)
    notice = "webhook_test" if attempt.error is None else "webhook_test_failed"
    raise web.HTTPSeeOther(url(request, "webhooks", {"ok": notice}))


def setup(routes: Routes) -> None:
    routes.add("GET", "/webhooks", show, "webhooks")
    routes.add("POST", "/webhooks", create, "webhook_create")
    routes.add("POST", "/webhooks/{name}/probar", send_test, "webhook_test")
    routes.add("POST", "/webhooks/{name}/editar", edit, "webhook_edit")
    routes.add("POST", "/webhooks/{name}/secreto", rotate, "webhook_rotate")
    routes.add("POST", "/webhooks/{name}/borrar", remove, "webhook_delete")
