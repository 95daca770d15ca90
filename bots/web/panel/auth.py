"""Signing in to the panel: one-time links, session cookies, CSRF, and who may do what.

`vivo panel` (and `vivo run` / `vivo demo` at start) prints a link with a random token. The
link's page posts the token back (a link preview that only GETs it burns nothing); the
store redeems it once, before it expires, and opens a session whose token goes into an
HttpOnly, SameSite=Strict cookie (Secure over https). Only hashes are stored.

The middleware guards every route of the panel but the sign-in page and the static files:
no session means a redirect to sign in (GET) or 401 (anything else); a state-changing
request must come from the panel's own pages (Origin and Sec-Fetch-Site) and carry the
session's CSRF token; staff get 403 outside the routes marked for them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from aiohttp import web

from bots.web import client
from bots.web.panel.core import (
    PUBLIC_ROUTES,
    SESSION,
    SESSION_TOKEN,
    STAFF_ROUTES,
    Handler,
    Routes,
    page,
    panel,
    url,
)
from commerce.sessions import PanelRole
from commerce.store import Store

COOKIE = "vivo_panel"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
ATTEMPTS_PER_WINDOW = 10  # sign-in attempts per address
ATTEMPTS_TOTAL = 60  # from everywhere together
WINDOW_SECONDS = 600.0


def csrf_token(session_token: str) -> str:
    """Derived from the session's secret: only a page the session rendered can know it."""
    digest = hmac.new(session_token.encode(), b"vivo-panel-csrf", hashlib.sha256)
    return digest.hexdigest()


class Attempts:
    """Sign-in attempts per address and in total, in a sliding window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._by_address: OrderedDict[str, deque[float]] = OrderedDict()
        self._all: deque[float] = deque()

    def allow(self, address: str) -> bool:
        now = self.clock()
        stamps = self._by_address.setdefault(address, deque())
        self._by_address.move_to_end(address)
        for queue in (stamps, self._all):
            while queue and now - queue[0] >= WINDOW_SECONDS:
                queue.popleft()
        if len(stamps) >= ATTEMPTS_PER_WINDOW or len(self._all) >= ATTEMPTS_TOTAL:
            return False
        stamps.append(now)
        self._all.append(now)
        while len(self._by_address) > 10_000:
            self._by_address.popitem(last=False)
        return True


ATTEMPTS = web.AppKey("panel_attempts", Attempts)


def same_site(request: web.Request) -> bool:
    """The request comes from the panel's own pages, as far as the browser tells."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser's cross-site form (those send Origin); CSRF still applies
    allowed = {request.host}
    public = panel(request).public_url
    if public:
        allowed.add(urlsplit(public).netloc)
    return urlsplit(origin).netloc in allowed


def _secure(request: web.Request) -> bool:
    """https here, or at a trusted reverse proxy in front (X-Forwarded-Proto)."""
    if request.secure:
        return True
    proxied = client.is_trusted(request.remote or "", panel(request).trusted)
    return proxied and request.headers.get("X-Forwarded-Proto", "") == "https"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = request.match_info.route
    name = route.name or ""
    if name in PUBLIC_ROUTES:
        if request.method not in SAFE_METHODS and not same_site(request):
            raise web.HTTPForbidden(text="cross-site request refused")
        return await handler(request)
    ctx = panel(request)
    token = request.cookies.get(COOKIE, "")
    session = await ctx.run(ctx.store.panel_session, token) if token else None
    if session is None:
        if request.method in SAFE_METHODS:
            raise web.HTTPSeeOther(url(request, "signin"))
        raise web.HTTPUnauthorized(text="sign in first")
    if request.method not in SAFE_METHODS:
        if not same_site(request):
            raise web.HTTPForbidden(text="cross-site request refused")
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            form = await request.post()
            sent = str(form.get(CSRF_FIELD, ""))
        if not hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
            raise web.HTTPForbidden(text="missing or wrong CSRF token")
    request[SESSION] = session
    request[SESSION_TOKEN] = token
    if session.role != PanelRole.OWNER and name not in request.app[STAFF_ROUTES]:
        if request.method in SAFE_METHODS:
            return page(request, "forbidden.html", {}, status=403)
        raise web.HTTPForbidden(text="the owner's only")
    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


async def signin(request: web.Request) -> web.StreamResponse:
    """The link's page: a form that posts the token (a script submits it at once)."""
    token = request.query.get("t", "")
    return page(request, "signin.html", {"token": token[:100]})


async def signin_post(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    if not request.app[ATTEMPTS].allow(client.client_address(request, ctx.trusted)):
        return page(request, "signin.html", {"token": "", "problem": "too_many"}, status=429)
    form = await request.post()
    link = str(form.get("t", ""))[:100]
    found = None
    if link:
        found = await ctx.run(
            ctx.store.panel_sign_in,
            link,
            ctx.panel.session_ttl,
            request.headers.get("User-Agent", ""),
        )
    if found is None:
        return page(request, "signin.html", {"token": "", "problem": "bad_link"}, status=403)
    token, _session = found
    response = web.HTTPSeeOther(url(request, "home"))
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ctx.panel.session_ttl.total_seconds()),
        path="/panel",
        httponly=True,
        samesite="Strict",
        secure=_secure(request),
    )
    raise response


async def signout(request: web.Request) -> web.StreamResponse:
    ctx = panel(request)
    await ctx.run(ctx.store.panel_sign_out, request[SESSION_TOKEN])
    response = web.HTTPSeeOther(url(request, "signin"))
    response.del_cookie(COOKIE, path="/panel")
    raise response


def setup(routes: Routes) -> None:
    routes.app[ATTEMPTS] = Attempts()
    routes.add("GET", "/entrar", signin, "signin")
    routes.add("POST", "/entrar", signin_post, "signin_post")
    routes.add("POST", "/salir", signout, "signout", staff=True)


def sign_in_link(
    store: Store, base_url: str, ttl: timedelta, role: PanelRole = PanelRole.OWNER
) -> str:
    """A new one-time link to the panel (what `vivo panel` and start-up print)."""
    token = store.panel_link(role, ttl)
    return f"{base_url.rstrip('/')}/panel/entrar?t={token}"
