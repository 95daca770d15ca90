"""The panel on a real aiohttp server, and a browser-like client that signs in to it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bots.chat.i18n import Messages
from bots.config import PanelSettings
from bots.runtime.events import Event, EventBus
from bots.runtime.services import Settings
from bots.web.panel import Panel, PanelContext
from commerce.sessions import PanelRole

CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')


class NoProvider:
    """The panel's tests that do not refund never reach the provider."""

    name = "none"

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the provider was not expected to be used ({name})")


@dataclass
class Served:
    url: str
    store: Any
    panel: Panel
    bus: EventBus
    events: list[Event] = field(default_factory=list)


@asynccontextmanager
async def serve_panel(
    store: Any, settings: Settings, provider: Any = None, *, webhooks: Any = None, **panel: Any
) -> AsyncIterator[Served]:
    bus = EventBus()
    served_events: list[Event] = []

    async def record(event: Event) -> None:
        served_events.append(event)

    bus.subscribe(record)
    context = PanelContext(
        store,
        provider or NoProvider(),
        settings,
        Messages(),
        PanelSettings(**panel),
        bus=bus,
        webhooks=webhooks,
    )
    the_panel = Panel(context)
    app = web.Application()
    the_panel.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield Served(url, store, the_panel, bus, served_events)
    finally:
        await runner.cleanup()


class Browser:
    """Keeps cookies like a browser, and sends Origin on POST like one."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def sign_in(self, role: PanelRole = PanelRole.OWNER) -> aiohttp.ClientResponse:
        token = self.served.store.panel_link(role, timedelta(minutes=5))
        response = await self.post("/panel/entrar", {"t": token}, csrf=False)
        await self.refresh_csrf()
        return response

    async def refresh_csrf(self) -> None:
        async with self.http.get(f"{self.served.url}/panel/productos") as page:
            found = CSRF.search(await page.text())
            self.csrf = found.group(1) if found else ""

    async def get(self, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        response = await self.http.get(f"{self.served.url}{path}", allow_redirects=False, **kwargs)
        if response.content_type == "text/event-stream":
            response.close()  # a live feed never ends; its status is what a test wants
        else:
            await response.read()
        return response

    async def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        *,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        form = dict(data or {})
        if csrf:
            form["_csrf"] = self.csrf
        sent = {"Origin": self.served.url, **(headers or {})}
        response = await self.http.post(
            f"{self.served.url}{path}", data=form, headers=sent, allow_redirects=False
        )
        await response.read()
        return response
