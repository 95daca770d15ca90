"""Saludos: the paid shout-outs still to do, oldest first, each with a "Hecho" button.

"Hecho" is `!hecho <código>` from the panel: the same Store call (the order's delivery,
recorded in its history with who did it), and the same events, so the buyer is thanked in
the chat the order came from and the overlay's queue drops it. Pressing it twice, or after
a moderator's `!hecho`, changes nothing and thanks nobody again. The list is a fragment the
page fetches again whenever a shout-out is paid or done (its event stream) and every few
seconds anyway. Owner and staff both see and use it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bots.runtime.events import Event, OrderDelivered, OrderPaid, ShoutoutDone
from bots.web.panel.core import SESSION, Routes, page, panel, url
from commerce.errors import OrderNotFound

RETRY_MS = 2000


async def show(request: web.Request) -> web.StreamResponse:
    return page(request, "shoutouts.html", {**await _queue(request), "nav": "shoutouts"})


async def fragment(request: web.Request) -> web.StreamResponse:
    return page(request, "_shoutouts.html", await _queue(request))


async def _queue(request: web.Request) -> dict[str, Any]:
    ctx = panel(request)
    return {"shoutouts": await ctx.run(ctx.store.shoutout_queue)}


async def done(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    code = request.match_info["code"]
    try:
        step = await ctx.run(ctx.store.shoutout_done, code, request[SESSION].role.value)
    except OrderNotFound:
        raise web.HTTPNotFound() from None
    changed = step is not None and step.changed
    if step is not None and changed:
        await ctx.publish(OrderDelivered(step.order))
        await ctx.publish(ShoutoutDone(step.order))
    raise web.HTTPSeeOther(
        url(request, "shoutouts", {"ok": "shoutout_done" if changed else "shoutout_already"})
    )


async def events(request: web.Request) -> web.StreamResponse:
    """`changed` whenever a shout-out is paid or done, for the page to fetch the list again."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    changed = asyncio.Event()
    streams = request.config_dict[STREAMS]
    streams.listeners.add(changed.set)
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
        streams.listeners.discard(changed.set)
    with contextlib.suppress(Exception):
        await response.write_eof()
    return response


class Streams:
    """The page's open event streams; `closing` ends them when the web app stops."""

    def __init__(self) -> None:
        self.listeners: set[Callable[[], None]] = set()
        self.closing = False

    async def on_event(self, event: Event) -> None:
        if isinstance(event, (OrderPaid, OrderDelivered)):
            for listener in list(self.listeners):
                listener()


STREAMS = web.AppKey("panel_shoutout_streams", Streams)


def setup(routes: Routes) -> None:
    from bots.web.panel.core import PANEL

    streams = Streams()
    routes.app[STREAMS] = streams
    bus = routes.app[PANEL].bus
    if bus is not None:
        bus.subscribe(streams.on_event)

    async def close(_app: web.Application) -> None:
        streams.closing = True

    routes.app.on_shutdown.append(close)
    routes.add("GET", "/saludos", show, "shoutouts", staff=True)
    routes.add("GET", "/saludos/lista", fragment, "shoutouts_list", staff=True)
    routes.add("GET", "/saludos/eventos", events, "shoutouts_events", staff=True)
    routes.add("POST", "/saludos/{code}/hecho", done, "shoutout_done", staff=True)
