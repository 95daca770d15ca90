"""`/p/{code}` with a public URL: our small checkout page before MercadoPago.

An order that needs delivery and lacks details shows the order, the delivery choices with
their costs, and the buyer's name, contact and address. A returning buyer (same platform
identity) is offered what they typed last time: the page shows it masked ("A••• P•••",
"a•••@example.com") with "keep my saved details" ticked, and a field left empty takes
the saved value on the server. The short link is posted in public chats (Twitch,
YouTube), so whoever opens it must never read a buyer's details in clear. The POST
records them through the Store (which puts the shipping into the total and bumps the
revision, superseding the old link), and the buyer goes on to a payment link made for
the new total. A digital order, or one whose details are complete, goes straight on to
pay (`?cambiar` shows the page again while the order is unpaid).

There is no session here, and the short link is public (it is posted in chat), so:
- CSRF: the form carries a per-order token, an HMAC of the order's code under the app's
  secret (the buy page's, shared by every process of one store). Another site can know
  the code but not the token, and cannot read our page to copy it; a POST must also not
  come from another site (`Sec-Fetch-Site`, else `Origin`).
- Each visitor's address (through trusted proxies only, bots.web.client) may post only a
  few times per window.
- Nothing the buyer typed is logged; a refused or invalid form is answered in the order's
  language with what was typed kept in the fields.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

from bots.chat.i18n import Messages
from bots.runtime.services import PaymentLinks, Settings
from bots.web import client, security
from commerce.delivery import DIGITAL, DeliveryChoice, DeliveryRules
from commerce.errors import CommerceError, InvalidDeliveryDetails
from commerce.money import Money
from commerce.store import Store
from commerce.views import DeliveryDetails, OrderStatus, OrderView

TOKEN_FIELD = "token"
FIELDS = ("name", "contact", "street", "city", "province", "postal_code", "notes")
MAX_FIELD = 1000
POSTS_PER_WINDOW = 10
WINDOW_SECONDS = 600.0
LANGUAGES = ("es", "en", "pt")
STYLESHEET = "/p/static/buy.css"  # the buy page's sheet, served here too


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Like the panel's (bots.web.panel.templating): autoescaped, strict, our templates."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bots.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class CheckoutPage:
    """A `Page` for bots.web.app.build_app; the app's `/p/{code}` hands orders to `show`."""

    def __init__(
        self,
        store: Store,
        links: PaymentLinks,
        rules: DeliveryRules,
        settings: Settings,
        messages: Messages,
        *,
        clock: Callable[[], float] = time.monotonic,
        trusted_proxies: Sequence[str] = ("127.0.0.1", "::1"),
        public_url: str | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.store = store
        self.links = links
        self.rules = rules
        self.settings = settings
        self.messages = messages
        self.clock = clock
        self.trusted = client.networks(trusted_proxies)
        self.public_host = urlsplit(public_url).netloc if public_url else None
        self.secret = secret or secrets.token_bytes(32)
        self._recent: OrderedDict[str, deque[float]] = OrderedDict()

    def setup(self, app: web.Application) -> None:
        app[CHECKOUT] = self
        app.router.add_post("/p/{code}", self._post)
        app.router.add_get(STYLESHEET, _stylesheet)

    # --- GET -------------------------------------------------------------------------

    async def show(self, request: web.Request, order: OrderView) -> web.StreamResponse:
        """The page when the order still needs the buyer's details, else on to pay."""
        if order.needs == DIGITAL or (order.details_complete and "cambiar" not in request.query):
            return await self._pay(order)
        typed = {name: "" for name in FIELDS}
        typed["choice"] = order.delivery_option or ""
        return await self._form(order, typed, keep=True)

    async def _saved(self, order: OrderView) -> DeliveryDetails | None:
        """This order's details so far, else what the same buyer typed last time."""
        found = await asyncio.to_thread(self.store.delivery_details, order.code)
        if found is None:
            found = await asyncio.to_thread(
                self.store.last_details_for, order.platform, order.viewer.user_id
            )
        return found

    # --- POST ------------------------------------------------------------------------

    async def _post(self, request: web.Request) -> web.StreamResponse:
        code = request.match_info["code"]
        try:
            order = await asyncio.to_thread(self.store.get_order, code)
        except CommerceError:
            raise web.HTTPNotFound(text="No encontramos ese pedido.") from None
        locale = self._locale(order)
        form = await request.post()
        if not self._same_site(request) or not self._token_ok(code, form.get(TOKEN_FIELD)):
            return self._notice(locale, "checkout_refused", order, status=403)
        if not self._allow(client.client_address(request, self.trusted)):
            return self._notice(locale, "checkout_too_many", order, status=429)
        if order.status is not OrderStatus.PENDING:
            return self._notice(locale, "checkout_not_pending", order, status=409)
        if order.needs == DIGITAL:
            return await self._pay(order)
        typed = {name: str(form.get(name) or "")[:MAX_FIELD] for name in FIELDS}
        typed["choice"] = str(form.get("choice") or "")[:80]
        keep = form.get("keep") == "1"
        saved = await self._saved(order) if keep else None
        given = {
            name: typed[name].strip() or (getattr(saved, name) if saved else "") for name in FIELDS
        }
        details = DeliveryDetails(**given)
        try:
            order = await asyncio.to_thread(
                self.store.set_delivery_details, code, self.rules, typed["choice"], details
            )
        except InvalidDeliveryDetails as problem:
            return await self._form(order, typed, problem=problem.field, status=422, keep=keep)
        except CommerceError:
            return self._notice(locale, "checkout_not_pending", order, status=409)
        return await self._pay(order, see_other=True)

    # --- on to pay -------------------------------------------------------------------

    async def _pay(self, order: OrderView, *, see_other: bool = False) -> web.StreamResponse:
        """MercadoPago's checkout for the order as it is now (a new link after a change)."""
        url = order.payment_url
        if not url:
            made = await self.links.for_order(order)
            current = await asyncio.to_thread(self.store.get_order, order.code)
            # The link service answers with our short link when it has one: not this page.
            url = current.payment_url or (made if made and "/p/" not in made else None)
        if not url:
            return self._notice(self._locale(order), "checkout_waiting", order, refresh=True)
        raise (web.HTTPSeeOther if see_other else web.HTTPFound)(url)

    # --- rendering -------------------------------------------------------------------

    def _locale(self, order: OrderView) -> str:
        language = order.locale[:2]
        return language if language in LANGUAGES else self.settings.locale[:2]

    async def _form(
        self,
        order: OrderView,
        typed: Mapping[str, str],
        *,
        problem: str | None = None,
        status: int = 200,
        keep: bool = False,
    ) -> web.Response:
        options = await asyncio.to_thread(self.store.delivery_options, order.code, self.rules)
        saved = await self._saved(order)
        locale = self._locale(order)
        chosen = typed.get("choice") or (options.choices[0].id if options.choices else "")
        choices = [self._choice(c, options.subtotal, locale) for c in options.choices]
        error = ""
        if problem is not None:
            field = self.messages.t(locale, f"delivery_field_{problem}")
            error = self.messages.t(locale, "error_invalid_delivery", field=field)
        context = {
            "order": order,
            "lines": [
                {
                    "name": line.product_name,
                    "variant": line.variant_key or "",
                    "quantity": line.quantity,
                    "subtotal": self.messages.money(line.subtotal, locale),
                }
                for line in order.lines
            ],
            "subtotal": self.messages.money(options.subtotal, locale),
            "choices": choices,
            "chosen": chosen,
            "typed": typed,
            "saved": {name: masked(name, getattr(saved, name)) for name in FIELDS}
            if saved
            else None,
            "keep": keep,
            "problem": problem or "",
            "error": error,
            "token": self._token(order.code),
            "ship": any(c["method"] == "ship" for c in choices),
        }
        return self._render(locale, "checkout.html", context, status=status)

    def _choice(self, choice: DeliveryChoice, subtotal: Money, locale: str) -> dict[str, Any]:
        money = self.messages.money
        if choice.ship_with:
            label = self.messages.t(locale, "checkout_with", code=choice.ship_with)
        else:
            label = choice.name
        return {
            "id": choice.id,
            "method": choice.method,
            "label": label,
            "cost": money(choice.cost, locale)
            if choice.cost.amount
            else self.messages.t(locale, "checkout_free"),
            "total": money(subtotal + choice.cost, locale),
            "address": _mask_words(choice.address) if choice.ship_with else choice.address,
            "hours": choice.hours,
        }

    def _notice(
        self,
        locale: str,
        key: str,
        order: OrderView,
        *,
        status: int = 200,
        refresh: bool = False,
    ) -> web.Response:
        context = {"order": order, "message": self.messages.t(locale, key), "refresh": refresh}
        return self._render(locale, "checkout_notice.html", context, status=status)

    def _render(
        self, locale: str, template: str, context: Mapping[str, Any], *, status: int
    ) -> web.Response:
        def t(key: str, **params: object) -> str:
            return self.messages.t(locale, f"checkout_{key}", **params)

        full = {
            **context,
            "t": t,
            "lang": locale,
            "stylesheet": STYLESHEET,
            "store_name": self.settings.store_name,
        }
        text = environment().get_template(template).render(full)
        response = web.Response(text=text, status=status, content_type="text/html")
        response.headers[security.CSP] = security.CHECKOUT
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- guards ----------------------------------------------------------------------

    def _token(self, code: str) -> str:
        return hmac.new(self.secret, f"checkout:{code}".encode(), hashlib.sha256).hexdigest()

    def _token_ok(self, code: str, sent: object) -> bool:
        return isinstance(sent, str) and hmac.compare_digest(sent, self._token(code))

    def _same_site(self, request: web.Request) -> bool:
        """False for a form posted from another site (see bots.web.buy)."""
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None:
            return fetch_site in ("same-origin", "none")
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        host = urlsplit(origin).netloc
        return bool(host) and host in (request.host, self.public_host)

    def _allow(self, address: str) -> bool:
        """At most POSTS_PER_WINDOW posts per visitor address per window."""
        now = self.clock()
        stamps = self._recent.setdefault(address, deque())
        self._recent.move_to_end(address)
        while stamps and now - stamps[0] >= WINDOW_SECONDS:
            stamps.popleft()
        if len(stamps) >= POSTS_PER_WINDOW:
            return False
        stamps.append(now)
        while len(self._recent) > 10_000:
            self._recent.popitem(last=False)
        return True


def masked(field: str, value: str) -> str:
    """A saved detail as a hint its owner recognises and a stranger cannot use: the short
    link is public in some chats, so saved details are never put on the page in clear."""
    if not value:
        return ""
    if field == "contact":
        if "@" in value:
            user, _, domain = value.partition("@")
            return f"{user[:1]}•••@{domain}"
        return f"{value[:3]}•••{value[-4:]}"
    if field == "province":
        return value
    return _mask_words(value)


def _mask_words(text: str) -> str:
    """Each word's first character, then dots: "Av. Siempreviva 742" -> "A••• S••• 7•••"."""
    return " ".join(f"{word[:1]}•••" for word in text.split())


async def _stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=_sheet(), content_type="text/css")


@lru_cache(maxsize=1)
def _sheet() -> str:
    return (resources.files("bots.web") / "static" / "buy.css").read_text("utf-8")


CHECKOUT = web.AppKey("checkout", CheckoutPage)
