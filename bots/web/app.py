"""The bot's own web app: the payment provider's webhooks, short payment links, health.

Kept small and typed in the spirit of Starlette: each handler is a function of the request
and the objects it needs, stored on the app under typed keys.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from aiohttp import web

from bots.runtime.metrics import Metrics
from bots.runtime.notifications import NotificationInbox
from bots.runtime.payments import PaymentRecorder
from bots.web import giveaways as giveaway_pages
from bots.web import security
from bots.web.checkout import CHECKOUT as CHECKOUT_KEY
from commerce.errors import OrderNotFound
from commerce.payments.base import InvalidSignature, MalformedNotification, PaymentProvider
from commerce.store import Store
from commerce.views import OrderStatus, OrderView, TipStatus, TipView

log = logging.getLogger(__name__)

STORE = web.AppKey("store", Store)
PROVIDER = web.AppKey("provider", PaymentProvider)
RECORDER = web.AppKey("recorder", PaymentRecorder)
INBOX = web.AppKey("inbox", NotificationInbox)
METRICS = web.AppKey("metrics", Metrics)


class Page(Protocol):
    """More routes on the same app: the overlay, the QR code's checkout page."""

    def setup(self, app: web.Application) -> None: ...


def build_app(
    store: Store,
    provider: PaymentProvider,
    recorder: PaymentRecorder,
    pages: Sequence[Page] = (),
    *,
    inbox: NotificationInbox | None = None,
    metrics: Metrics | None = None,
) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    security.install(app)
    app[STORE] = store
    app[PROVIDER] = provider
    app[RECORDER] = recorder
    if metrics is not None:
        app[METRICS] = metrics
    _own_inbox(app, inbox or NotificationInbox(store, provider, recorder))
    # `/webhooks/mercadopago` for MercadoPago; a plugin's provider gets its own name's.
    app.router.add_post("/webhooks/{provider}", provider_webhook)
    app.router.add_get("/p/{code}", short_link)
    app.router.add_get("/healthz", health)
    giveaway_pages.setup(app, store)  # public, read-only: anyone may check a draw
    for page in pages:
        page.setup(app)
    return app


def _own_inbox(app: web.Application, inbox: NotificationInbox) -> None:
    """The app runs the inbox while it serves: started with it (resuming what a previous
    process left), stopped with it."""
    app[INBOX] = inbox

    async def start(_app: web.Application) -> None:
        inbox.start()

    async def stop(_app: web.Application) -> None:
        await inbox.stop()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)


async def provider_webhook(request: web.Request) -> web.Response:
    """Verify, persist, acknowledge; the payment is fetched and recorded afterwards.

    `/webhooks/<provider>` answers for the provider this bot was started with (its `name`:
    `mercadopago`, or a plugin's); any other name is 404, nothing read or written. The
    provider's `verify_notification` decides the rest, the same for every provider.

    401 (nothing written) for a missing or bad signature, 400 (nothing written) for what
    the provider never sends (MercadoPago: a body that is not a UTF-8 JSON object, a payment
    id that is not a number). A verified notification, or an unverifiable legacy IPN
    (`?topic=payment&id=123`), is only a hint to ask the API about that payment id, so
    storing it is safe. Topics other than `payment` are answered 200 and dropped, so
    the provider does not retry them. Only a store that cannot write answers 5xx.
    """
    if request.match_info["provider"] != request.app[PROVIDER].name:
        raise web.HTTPNotFound()
    outcome, response = await _webhook(request)
    metrics = request.app.get(METRICS)
    if metrics is not None:
        metrics.webhook(outcome)
    return response


async def _webhook(request: web.Request) -> tuple[str, web.Response]:
    """The webhook's answer, and its outcome for `/metrics`."""
    body = await request.read()
    provider = request.app[PROVIDER]
    try:
        notification = provider.verify_notification(request.headers, request.query, body)
    except MalformedNotification as exc:
        log.warning("refused a malformed %s notification: %s", _named(provider), exc)
        return "malformed", web.json_response({"error": "malformed notification"}, status=400)
    except InvalidSignature as exc:
        log.warning("rejected a %s notification: %s", _named(provider), exc)
        return "invalid_signature", web.json_response({"error": "invalid signature"}, status=401)
    inbox = request.app[INBOX]
    if not inbox.wants(notification):
        return "ignored", web.json_response({"ignored": notification.topic})
    try:
        row_id = await inbox.accept(notification)
    except Exception:
        log.exception(
            "could not store notification for %s",
            notification.resource_id,
            extra={"payment": notification.resource_id},
        )
        return "store_error", web.json_response({"error": "retry later"}, status=503)
    return "accepted", web.json_response({"received": row_id})


def _named(provider: PaymentProvider) -> str:
    return "MercadoPago" if provider.name == "mercadopago" else provider.name


async def short_link(request: web.Request) -> web.StreamResponse:
    """A short, secret-free address for an order's checkout (for QR codes and small chats)."""
    code = request.match_info["code"]
    store = request.app[STORE]
    try:
        order: OrderView | TipView = await asyncio.to_thread(store.get_order, code)
    except OrderNotFound:
        try:
            order = await asyncio.to_thread(store.get_tip, code)
        except OrderNotFound:
            raise web.HTTPNotFound(text="No encontramos ese pedido.") from None
    if order.status not in (OrderStatus.PENDING, TipStatus.PENDING):
        raise web.HTTPGone(text=f"Ese pedido ya no espera un pago (está {order.status.value}).")
    checkout = request.app.get(CHECKOUT_KEY)
    if checkout is not None and isinstance(order, OrderView):
        return await checkout.show(request, order)  # delivery details first (bots.web.checkout)
    if not order.payment_url:
        raise web.HTTPNotFound(
            text="Ese pedido todavía no tiene link de pago; probá en un momento."
        )
    raise web.HTTPFound(order.payment_url)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
