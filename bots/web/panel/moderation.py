"""Moderación: the approval queue, and the owner's rules for what viewers write.

Held alerts wait here, oldest first, until the owner or a moderator (staff) approves one
(the overlay plays it then) or rejects it (it never plays; the money still counts). The
queue is a fragment the page fetches again whenever the queue's event stream says it
changed (a new alert held, someone else decided), and every few seconds anyway.

The owner alone sets what a listed word does, which alerts wait, and edits the words:
blocking one of their own, or allowing one of Vivo's lists (a word their community uses
harmlessly).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from bots.moderation.screen import Action, Hold
from bots.moderation.service import Moderation, payload_of
from bots.moderation.words import LOCALES, fold, shipped
from bots.web.panel.core import SESSION, Routes, page, panel, url
from commerce.errors import CommerceError
from commerce.moderation import APPROVED, HELD, REJECTED
from commerce.money import parse_amount

KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000
MAX_WORD = 64


def moderation_of(request: web.Request) -> Moderation:
    found = panel(request).moderation
    assert found is not None  # PanelContext makes one
    return found


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "moderation.html", {**await _context(request), "nav": "moderation"})


async def queue(request: web.Request) -> web.StreamResponse:
    return page(request, "_held.html", await _queue(request))


async def _queue(request: web.Request) -> dict[str, Any]:
    ctx = panel(request)
    held = await ctx.run(ctx.store.held_alerts, HELD)
    decided = await ctx.run(ctx.store.held_alerts, APPROVED, 5) + await ctx.run(
        ctx.store.held_alerts, REJECTED, 5
    )
    decided.sort(key=lambda h: h.decided_at or h.created_at, reverse=True)

    def item(h: Any) -> dict[str, Any]:
        data = payload_of(h)
        return {"held": h, "alert": data["alert"], **{k: data[k] for k in ("name", "message")}}

    return {
        "held": [item(h) for h in held],
        "decided": [item(h) for h in decided[:5]],
    }


async def _context(request: web.Request) -> dict[str, Any]:
    ctx = panel(request)
    rules = await moderation_of(request).rules()
    owner_words = await ctx.run(ctx.store.moderation_words)
    return {
        **await _queue(request),
        "rules": rules,
        "hold_above": rules.hold_above.amount if rules.hold_above is not None else "",
        "actions": [a.value for a in Action],
        "holds": [h.value for h in Hold],
        "owner_words": owner_words,
        "shipped": [(locale, len(shipped(locale))) for locale in LOCALES],
    }


async def events(request: web.Request) -> web.StreamResponse:
    """`changed` whenever the queue changes, for the page to fetch it again."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    changed = asyncio.Event()
    listener = changed.set
    streams = request.config_dict[STREAMS]
    streams.listeners.add(listener)
    try:
        await response.write(f"retry: {RETRY_MS}\nevent: ready\ndata: {{}}\n\n".encode())
        while request.transport is not None and not request.transport.is_closing():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await changed.wait()
            if streams.closing:
                break
            if changed.is_set():
                changed.clear()
                await response.write(b"event: changed\ndata: {}\n\n")
    except ConnectionResetError:
        pass
    finally:
        streams.listeners.discard(listener)
    with contextlib.suppress(Exception):
        await response.write_eof()
    return response


async def approve(request: web.Request) -> web.StreamResponse:
    return await _decide(request, True)


async def reject(request: web.Request) -> web.StreamResponse:
    return await _decide(request, False)


async def _decide(request: web.Request, approve: bool) -> web.StreamResponse:
    """Approve or reject; deciding what someone else already decided changes nothing."""
    held_id = request.match_info["id"]
    session = request[SESSION]
    if not held_id.isdigit():
        raise web.HTTPNotFound()
    done = await moderation_of(request).decide(int(held_id), approve, session.role.value)
    ok = "taken" if done is None else ("approved" if approve else "rejected")
    raise web.HTTPSeeOther(url(request, "moderation", {"ok": ok}))


async def save_rules(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    try:
        action = Action(str(form.get("action", "")))
        hold = Hold(str(form.get("hold", "")))
    except ValueError:
        return await _problem(request, "bad_choice")
    text = str(form.get("hold_above", "")).strip()
    above: Decimal | None = None
    if text:
        try:
            above = parse_amount(text, ctx.settings.currency, ctx.settings.locale)
        except CommerceError:
            return await _problem(request, "bad_amount")
        if above <= 0:
            return await _problem(request, "bad_amount")
    if hold is Hold.ABOVE and above is None:
        return await _problem(request, "hold_needs_amount")
    await ctx.run(ctx.store.save_moderation_settings, action.value, hold.value, above)
    moderation_of(request).invalidate()
    raise _back(request, "rules")


async def add_word(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    word = _word(str(form.get("word", "")))
    kind = "allow" if form.get("kind") == "allow" else "block"
    if word is None:
        return await _problem(request, "bad_word")
    await ctx.run(ctx.store.add_moderation_word, word, kind, datetime.now(UTC))
    moderation_of(request).invalidate()
    raise _back(request, "word")


async def remove_word(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    form = await request.post()
    await ctx.run(ctx.store.remove_moderation_word, str(form.get("word", "")))
    moderation_of(request).invalidate()
    raise _back(request, "word_removed")


def _word(text: str) -> str | None:
    """One word, kept as its folded letters ("Chantá" → "chanta"), or None."""
    letters = "".join(c for c in fold(text.strip()) if c.isalpha())
    if not letters or len(letters) > MAX_WORD or " " in text.strip():
        return None
    return letters


def _back(request: web.Request, ok: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(url(request, "moderation", {"ok": ok}))


async def _problem(request: web.Request, key: str, **params: object) -> web.StreamResponse:
    error = panel(request).fmt.t(f"error_{key}", **params)
    context = {**await _context(request), "nav": "moderation", "error": error}
    return page(request, "moderation.html", context, status=400)


class Streams:
    """The queue's open event streams; `closing` ends them when the web app stops."""

    def __init__(self) -> None:
        self.listeners: set[Callable[[], None]] = set()
        self.closing = False

    def changed(self) -> None:
        for listener in list(self.listeners):
            listener()


STREAMS = web.AppKey("panel_moderation_streams", Streams)


def setup(routes: Routes) -> None:
    from bots.web.panel.core import PANEL

    app = routes.app
    streams = Streams()
    app[STREAMS] = streams
    moderation = app[PANEL].moderation
    assert moderation is not None
    moderation.on_change(streams.changed)

    async def close(_app: web.Application) -> None:
        streams.closing = True

    app.on_shutdown.append(close)
    routes.add("GET", "/moderacion", show, "moderation", staff=True)
    routes.add("GET", "/moderacion/cola", queue, "moderation_queue", staff=True)
    routes.add("GET", "/moderacion/eventos", events, "moderation_events", staff=True)
    routes.add("POST", "/moderacion/{id}/aprobar", approve, "moderation_approve", staff=True)
    routes.add("POST", "/moderacion/{id}/rechazar", reject, "moderation_reject", staff=True)
    routes.add("POST", "/moderacion/reglas", save_rules, "moderation_rules")
    routes.add("POST", "/moderacion/palabras", add_word, "moderation_word")
    routes.add("POST", "/moderacion/palabras/quitar", remove_word, "moderation_word_remove")
