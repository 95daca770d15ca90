"""`/c/{sku}`: where the overlay's QR code leads, a one-product checkout for phones.

A viewer who scans the spotlight's QR is not in chat, so the page asks only for a name and
a variant, reserves one unit like `!comprar` would (same Store call, same expiry), and
sends them to the payment link. Reserving happens on POST only: link previews and crawlers
that GET the page reserve nothing.

Nobody here is signed in, so the page guards the stock itself:
- The GET sets a buyer cookie and embeds a token derived from it; a POST must bring both,
  and must not come from another site (`Sec-Fetch-Site`, `Origin`). A form on someone
  else's page, or a script that skips the page, reserves nothing.
- The cookie makes repeated purchases one viewer's, so `max_per_viewer` applies.
- Each visitor's address (read through trusted proxies only, see bots.web.client) may
  reserve only a few times per window.
- Web buyers together may hold only a share of a product's stock unpaid: the rest stays
  for chat, whatever a script does with fresh cookies and addresses.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import math
import re
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

from aiohttp import web

from bots.chat.i18n import Messages
from bots.runtime.events import EventBus, OrderReserved
from bots.runtime.services import PaymentLinks, Settings
from bots.web import client, security
from commerce.errors import CommerceError
from commerce.store import Store
from commerce.views import LineRequest, ProductView, ViewerRef

PLATFORM = "web"
MAX_NAME = 40
COOKIE = "vivo_buyer"
TOKEN_FIELD = "token"
NEW_BUYER = web.RequestKey("new_buyer", str)
RESERVATIONS_PER_WINDOW = 5
WINDOW_SECONDS = 600.0
WEB_SHARE = 0.5  # of a product's stock that web buyers may hold unpaid at once
STYLESHEET = "/c/static/buy.css"


class BuyPage:
    def __init__(
        self,
        store: Store,
        links: PaymentLinks,
        settings: Settings,
        messages: Messages,
        *,
        clock: Callable[[], float] = time.monotonic,
        trusted_proxies: Sequence[str] = ("127.0.0.1", "::1"),
        public_url: str | None = None,
        secret: bytes | None = None,
        bus: EventBus | None = None,
    ) -> None:
        self.store = store
        self.bus = bus  # OrderReserved for outgoing webhooks, published without waiting
        self.links = links
        self.settings = settings
        self.messages = messages
        self.clock = clock
        self.trusted = client.networks(trusted_proxies)
        self.public_host = urlsplit(public_url).netloc if public_url else None
        # Several processes behind one address need the same secret; one process may
        # make its own (a restart then only asks open pages to reload).
        self.secret = secret or secrets.token_bytes(32)
        self._recent: OrderedDict[str, deque[float]] = OrderedDict()
        self._reserving = asyncio.Lock()

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/c/{sku}", self._show)
        app.router.add_post("/c/{sku}", self._buy)
        app.router.add_get(STYLESHEET, _stylesheet)

    async def _product(self, request: web.Request) -> ProductView:
        try:
            product = await asyncio.to_thread(self.store.get_product, request.match_info["sku"])
        except CommerceError:
            raise web.HTTPNotFound(text="No encontramos ese producto.") from None
        if not product.active:
            raise web.HTTPNotFound(text="Ese producto no está a la venta ahora.")
        return product

    async def _show(self, request: web.Request) -> web.StreamResponse:
        product = await self._product(request)
        return _with_buyer(request, _page(product, self._form(request, product)))

    def _allow(self, address: str) -> bool:
        """At most RESERVATIONS_PER_WINDOW reservations per address per window."""
        now = self.clock()
        stamps = self._recent.setdefault(address, deque())
        self._recent.move_to_end(address)
        while stamps and now - stamps[0] >= WINDOW_SECONDS:
            stamps.popleft()
        if len(stamps) >= RESERVATIONS_PER_WINDOW:
            return False
        stamps.append(now)
        while len(self._recent) > 10_000:
            self._recent.popitem(last=False)
        return True

    async def _buy(self, request: web.Request) -> web.StreamResponse:
        product = await self._product(request)
        form = await request.post()
        if not self._same_site(request) or not self._token_ok(request, form.get(TOKEN_FIELD)):
            return _refused(product)
        if not self._allow(client.client_address(request, self.trusted)):
            problem = "<p class=error>Demasiados intentos: espera unos minutos.</p>"
            return _page(product, problem, status=429)
        name = str(form.get("name") or "").strip()[:MAX_NAME] or "web"
        variant = str(form.get("variant") or "") or None
        viewer = ViewerRef(PLATFORM, _buyer_id(request), name)
        async with self._reserving:  # one process counts and reserves one buyer at a time
            held = await asyncio.to_thread(self.store.held_units, product.sku, PLATFORM)
            if held + 1 > _web_limit(product):
                problem = (
                    "<p class=error>Las unidades para comprar por aquí están reservadas ahora. "
                    "Prueba en unos minutos, o compra desde el chat del stream.</p>"
                )
                page = _page(product, problem + self._form(request, product), status=409)
                return _with_buyer(request, page)
            try:
                order = await asyncio.to_thread(
                    self.store.reserve,
                    viewer,
                    PLATFORM,
                    [LineRequest(product.sku, 1, variant)],
                    ttl=self.settings.reservation_ttl,
                    locale=self.settings.locale,
                )
            except CommerceError as error:
                problem = f"<p class=error>No se pudo reservar ({html.escape(error.code)}).</p>"
                page = _page(product, problem + self._form(request, product), status=409)
                return _with_buyer(request, page)
        url = await self.links.for_order(order)
        if self.bus is not None:
            self.bus.publish_soon(OrderReserved(order))
        response = web.HTTPSeeOther(url or f"/p/{order.code}")
        _with_buyer(request, response)
        raise response

    def _same_site(self, request: web.Request) -> bool:
        """False for a form posted from another site. Browsers that send neither header
        are left to the token check."""
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None:
            return fetch_site in ("same-origin", "none")
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        host = urlsplit(origin).netloc
        return bool(host) and host in (request.host, self.public_host)

    def _token(self, buyer: str) -> str:
        return hmac.new(self.secret, f"buy:{buyer}".encode(), hashlib.sha256).hexdigest()

    def _token_ok(self, request: web.Request, sent: object) -> bool:
        buyer = request.cookies.get(COOKIE)
        if not buyer or not _valid_buyer(buyer) or not isinstance(sent, str):
            return False
        return hmac.compare_digest(sent, self._token(buyer))

    def _form(self, request: web.Request, product: ProductView) -> str:
        locale = self.settings.locale
        price = self.messages.money(product.price, locale)
        options = "".join(
            f'<option value="{html.escape(v.key)}">'
            f"{html.escape(' '.join(v.options.values()))} · "
            f"{html.escape(self.messages.money(v.price, locale))}</option>"
            for v in product.variants
            if v.available > 0
        )
        choose = f"<label>Opción <select name=variant>{options}</select></label>" if options else ""
        sold_out = product.available <= 0
        button = "Agotado" if sold_out else "Reservar y pagar"
        token = html.escape(self._token(_buyer_id(request)))
        return (
            f"<p class=price>{html.escape(price)}</p>"
            f"<p class=description>{html.escape(product.description)}</p>"
            f"<p class=muted>Quedan {product.available}.</p>"
            f'<form method=post><input type=hidden name={TOKEN_FIELD} value="{token}">'
            '<label>Tu nombre <input name=name maxlength=40 autocomplete=name value=""></label>'
            f"{choose}<button {'disabled' if sold_out else ''}>{button}</button></form>"
        )


def _web_limit(product: ProductView) -> int:
    stock = sum(v.stock for v in product.variants) if product.variants else product.stock
    return max(1, math.ceil(stock * WEB_SHARE))


def _refused(product: ProductView) -> web.Response:
    """Nothing reserved: the form came from elsewhere, or the page is older than its cookie."""
    sku = html.escape(product.sku)
    body = (
        "<p class=error>No pudimos confirmar que la compra viene de esta página.</p>"
        "<p>No se reservó nada. Abre la página del producto otra vez y compra desde ahí.</p>"
        f'<p><a class=button href="/c/{sku}">Volver a {html.escape(product.name)}</a></p>'
    )
    return _page(product, body, status=403)


_BUYER = re.compile(r"[A-Za-z0-9_-]{8,64}")


def _valid_buyer(token: str) -> bool:
    return _BUYER.fullmatch(token) is not None


def _buyer_id(request: web.Request) -> str:
    """The browser's buyer token: from its cookie, or a new one remembered on the request."""
    token = request.cookies.get(COOKIE) or request.get(NEW_BUYER)
    if not isinstance(token, str) or not _valid_buyer(token):
        token = secrets.token_urlsafe(16)
        request[NEW_BUYER] = token
    return token


def _with_buyer(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    response.set_cookie(
        COOKIE, _buyer_id(request), max_age=86_400, httponly=True, samesite="Lax", path="/c/"
    )
    return response


def _page(product: ProductView, body: str, status: int = 200) -> web.Response:
    title = html.escape(product.name)
    image = (
        f'<img class=photo src="{html.escape(product.image_url)}" alt="{title}">'
        if product.image_url
        else ""
    )
    document = (
        "<!doctype html><html lang=es><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f'<title>{title}</title><link rel=stylesheet href="{STYLESHEET}"></head>'
        f"<body><main>{image}<h1>{title}</h1>{body}</main></body></html>"
    )
    response = web.Response(text=document, status=status, content_type="text/html")
    response.headers[security.CSP] = security.CHECKOUT
    return response


async def _stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=_static_text("buy.css"), content_type="text/css")


@lru_cache(maxsize=2)
def _static_text(name: str) -> str:
    return (resources.files("bots.web") / "static" / name).read_text("utf-8")
