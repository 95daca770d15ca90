"""What every panel handler shares: its settings, the objects it drives, and page rendering.

The panel is an aiohttp sub-application mounted at `/panel`. Each route is registered
through `Routes.add` with a name (templates build addresses with `url(name, ...)`), and
with who may use it: owner only unless marked for staff, so a new route is closed to
helpers until someone decides otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from aiohttp import web

from bots.chat.i18n import Messages
from bots.config import AlertSettings, PanelSettings
from bots.moderation.service import Moderation
from bots.runtime.events import Event, EventBus
from bots.runtime.services import Settings
from bots.web import client, security
from bots.web.alert_media import MediaStore
from bots.web.panel.templating import Formatter, TemplateResponse, render
from commerce.payments.base import PaymentProvider
from commerce.sessions import PanelRole, PanelSessionView
from commerce.store import Store

if TYPE_CHECKING:
    from bots.runtime.webhooks import WebhookSender

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SESSION = web.RequestKey("panel_session", PanelSessionView)
SESSION_TOKEN = web.RequestKey("panel_session_token", str)


def zone_of(settings: PanelSettings) -> tzinfo:
    if settings.timezone:
        return ZoneInfo(settings.timezone)
    return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


class LiveSources:
    """What the running bot can tell about its platforms: connection state, replies queued
    in its outbox, and (YouTube) quota units left today. Empty outside a bot."""

    def __init__(self, outboxes: Mapping[str, Any] | None = None) -> None:
        self.outboxes = outboxes or {}

    def platforms(self) -> list[dict[str, Any]]:
        found = []
        for name, outbox in self.outboxes.items():
            adapter = outbox.adapter
            state = getattr(adapter, "state", "running")
            units = None
            quota = getattr(adapter, "quota", None)
            if callable(quota):
                units = quota().get("remaining")
            found.append(
                {
                    "name": name,
                    "state": state if state in ("live", "waiting", "stopped") else "running",
                    "queue": outbox.depth,
                    "units_left": units,
                }
            )
        return found


@dataclass
class PanelContext:
    store: Store
    provider: PaymentProvider
    settings: Settings
    messages: Messages
    panel: PanelSettings = field(default_factory=PanelSettings)
    bus: EventBus | None = None
    sources: LiveSources = field(default_factory=LiveSources)
    public_url: str | None = None
    # Reverse proxies whose forwarded headers name the visitor (see bots.web.client).
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # The address chat shows for an order's link (the bot's LinkService.shown): the panel
    # resends exactly what the purchase sent.
    shown_link: Callable[[str, str | None], str | None] | None = None
    # Where the owner's alert images and sounds are kept (None: uploads are off).
    media: MediaStore | None = None

    # The bot's filter and approval queue, shared with the overlay (made here when absent).
    moderation: Moderation | None = None
    # The bot's outgoing webhooks (the Webhooks page lists them and sends test events).
    webhooks: WebhookSender | None = None
    alerts: AlertSettings = field(default_factory=AlertSettings)  # [alerts], for the wording

    def link_for(self, code: str, url: str | None) -> str | None:
        if self.shown_link is not None:
            return self.shown_link(code, url)
        base = (self.public_url or "").rstrip("/")
        return f"{base}/p/{code}" if base and url else url

    def __post_init__(self) -> None:
        if self.moderation is None:
            self.moderation = Moderation(self.store, self.settings.currency)
        self.fmt = Formatter(self.messages, self.settings.locale, zone_of(self.panel))
        self.trusted = client.networks(self.trusted_proxies)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A store call off the event loop (the Store is synchronous by design)."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def publish(self, event: Event) -> None:
        if self.bus is not None:
            await self.bus.publish(event)


PANEL = web.AppKey("panel", PanelContext)
STAFF_ROUTES = web.AppKey("panel_staff_routes", set[str])
PUBLIC_ROUTES = frozenset({"panel.signin", "panel.signin_post", "panel.static"})


def panel(request: web.Request) -> PanelContext:
    return request.config_dict[PANEL]


class Routes:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        app[STAFF_ROUTES] = set()

    def add(
        self, method: str, path: str, handler: Handler, name: str, *, staff: bool = False
    ) -> None:
        self.app.router.add_route(method, path, handler, name=f"panel.{name}")
        if staff:
            self.app[STAFF_ROUTES].add(f"panel.{name}")


def url(
    request: web.Request, route: str, query: Mapping[str, str] | None = None, **parts: str
) -> str:
    found = request.app.router[f"panel.{route}"].url_for(**parts)
    if query:
        found = found.with_query({k: v for k, v in query.items() if v})
    return str(found)


def csrf_for(request: web.Request) -> str:
    from bots.web.panel.auth import csrf_token

    token = request.get(SESSION_TOKEN)
    return csrf_token(token) if token else ""


def page(
    request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> TemplateResponse:
    ctx = panel(request)
    session = request.get(SESSION)
    role = session.role if session is not None else None
    staff = request.app[STAFF_ROUTES]

    def allowed(name: str) -> bool:
        return role == PanelRole.OWNER or (role == PanelRole.STAFF and f"panel.{name}" in staff)

    notice = request.query.get("ok", "")
    base = {
        "t": ctx.fmt.t,
        "fmt": ctx.fmt,
        "lang": ctx.fmt.locale,
        "url": lambda route, query=None, **parts: url(request, route, query, **parts),
        "static": lambda name: url(request, "static", name=name),
        "csrf": csrf_for(request),
        "role": role.value if role else "",
        "allowed": allowed,
        "store_name": ctx.settings.store_name,
        "notice": ctx.fmt.t(f"ok_{notice}") if ctx.messages.has(f"panel_ok_{notice}") else "",
        "error": "",
        "nav": "",
    }
    response = render(request, template, context, status=status, base=base)
    response.headers[security.CSP] = security.PANEL
    return response
