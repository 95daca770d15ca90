"""`/c/{sku}`: where the overlay's QR code leads, a one-product checkout for phones.

A viewer who scans the spotlight's QR is not in chat, so the page asks only for a name and
a variant, reserves one unit like `!comprar` would (same Store call, same expiry), and
sends them to the payment link. Reserving happens on POST only: link previews and crawlers
that GET the page reserve nothing.

Nobody here is signed in, so two guards keep one phone from hoarding the stock: a buyer
cookie makes repeated purchases count as one viewer (so `max_per_viewer` applies), and
each address may reserve only a few times per window.
"""

from __future__ import annotations

import asyncio
import html
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from aiohttp import web

from bots.i18n import Messages
from bots.services import PaymentLinks, Settings
from commerce.errors import CommerceError
from commerce.store import Store
from commerce.views import LineRequest, ProductView, ViewerRef

PLATFORM = "web"
MAX_NAME = 40
COOKIE = "vivo_buyer"
NEW_BUYER = web.RequestKey("new_buyer", str)
RESERVATIONS_PER_WINDOW = 5
WINDOW_SECONDS = 600.0


class BuyPage:
    def __init__(
        self,
        store: Store,
        links: PaymentLinks,
        settings: Settings,
        messages: Messages,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.links = links
        self.settings = settings
        self.messages = messages
        self.clock = clock
        self._recent: OrderedDict[str, deque[float]] = OrderedDict()

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/c/{sku}", self._show)
        app.router.add_post("/c/{sku}", self._buy)

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
        return _with_buyer(request, _page(product.name, self._form(product)))

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
        if not self._allow(request.remote or "?"):
            problem = "<p class=error>Demasiados intentos: espera unos minutos.</p>"
            return _page(product.name, problem, status=429)
        form = await request.post()
        name = str(form.get("name") or "").strip()[:MAX_NAME] or "web"
        variant = str(form.get("variant") or "") or None
        viewer = ViewerRef(PLATFORM, _buyer_id(request), name)
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
            page = _page(product.name, problem + self._form(product), status=409)
            return _with_buyer(request, page)
        url = await self.links.for_order(order)
        response = web.HTTPSeeOther(url or f"/p/{order.code}")
        _with_buyer(request, response)
        raise response

    def _form(self, product: ProductView) -> str:
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
        return (
            f"<p class=price>{html.escape(price)}</p>"
            f"<p>{html.escape(product.description)}</p>"
            f"<p class=muted>Quedan {product.available}.</p>"
            '<form method=post><label>Tu nombre <input name=name maxlength=40 value=""></label>'
            f"{choose}<button {'disabled' if sold_out else ''}>{button}</button></form>"
        )


def _buyer_id(request: web.Request) -> str:
    """The browser's buyer token: from its cookie, or a new one remembered on the request."""
    token = request.cookies.get(COOKIE) or request.get(NEW_BUYER)
    if not isinstance(token, str) or not 8 <= len(token) <= 64 or not token.isascii():
        token = secrets.token_urlsafe(16)
        request[NEW_BUYER] = token
    return token


def _with_buyer(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    response.set_cookie(
        COOKIE, _buyer_id(request), max_age=86_400, httponly=True, samesite="Lax", path="/c/"
    )
    return response


def _page(title: str, body: str, status: int = 200) -> web.Response:
    document = (
        "<!doctype html><html lang=es><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    return web.Response(text=document, status=status, content_type="text/html")


_STYLE = """
body{font:17px/1.5 system-ui,sans-serif;background:#f4f3f8;color:#15131f;margin:0}
main{max-width:420px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 6px}.price{font-size:30px;font-weight:800;color:#7c3aed;margin:0}
.muted{color:#666}.error{color:#b00020;font-weight:600}
label{display:block;margin:12px 0}input,select{display:block;width:100%;font:inherit;padding:8px}
button{width:100%;font:inherit;font-weight:700;padding:12px;border:0;border-radius:10px;
background:#7c3aed;color:#fff;margin-top:10px}button:disabled{background:#aaa}
"""
