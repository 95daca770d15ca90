"""The bot's own web app: MercadoPago webhooks, short payment links, health.

Kept small and typed in the spirit of Starlette: each handler is a function of the request
and the objects it needs, stored on the app under typed keys.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bots.payments import PaymentRecorder
from commerce.errors import OrderNotFound
from commerce.payments.base import InvalidSignature, PaymentError, PaymentProvider
from commerce.store import Store
from commerce.views import OrderStatus, OrderView, TipStatus, TipView

log = logging.getLogger(__name__)

STORE = web.AppKey("store", Store)
PROVIDER = web.AppKey("provider", PaymentProvider)
RECORDER = web.AppKey("recorder", PaymentRecorder)


def build_app(
    store: Store, provider: PaymentProvider, recorder: PaymentRecorder
) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[STORE] = store
    app[PROVIDER] = provider
    app[RECORDER] = recorder
    app.router.add_post("/webhooks/mercadopago", mercadopago_webhook)
    app.router.add_get("/p/{code}", short_link)
    app.router.add_get("/healthz", health)
    return app


async def mercadopago_webhook(request: web.Request) -> web.Response:
    body = await request.read()
    provider = request.app[PROVIDER]
    try:
        notification = provider.verify_notification(request.headers, request.query, body)
    except InvalidSignature as exc:
        log.warning("rejected a MercadoPago notification: %s", exc)
        return web.json_response({"error": "invalid signature"}, status=401)
    if notification.topic != "payment":
        return web.json_response({"ignored": notification.topic})
    try:
        outcome = await request.app[RECORDER].record_id(notification.resource_id)
    except PaymentError as exc:
        log.warning("could not fetch payment %s yet: %s", notification.resource_id, exc)
        return web.json_response({"error": "retry later"}, status=503)
    return web.json_response({"outcome": outcome.kind.value})


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
    if not order.payment_url:
        raise web.HTTPNotFound(
            text="Ese pedido todavía no tiene link de pago; probá en un momento."
        )
    raise web.HTTPFound(order.payment_url)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})
