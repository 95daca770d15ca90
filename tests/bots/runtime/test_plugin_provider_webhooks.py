"""A plugin's payment provider goes through the same machinery as MercadoPago: its webhook
at `/webhooks/<its name>` is verified by its own `verify_notification`, stored in the same
inbox and turned into a paid order and a thank-you; a forged one is 401 and leaves nothing;
a payment whose webhook never came is found by the same reconciler.

`SignedPay` is written the way a plugin author would, with names from `bots.plugin` only:
an in-memory payment service that signs its notifications with HMAC-SHA256.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import aiohttp

from bots.plugin import (
    InvalidSignature,
    LinkRequest,
    Notification,
    PaymentLink,
    PaymentReport,
    Plugin,
    ProviderRejected,
    Registry,
)
from bots.testing import RecordingAdapter, Stage, open_stage, until
from commerce.views import OrderStatus

SECRET = b"signedpay-webhook-secret-0123456789"
SIGNATURE = "X-SignedPay-Signature"


def sign(body: bytes, secret: bytes = SECRET) -> str:
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


class SignedPay:
    """A payment service in memory: links by reference, payments by id, signed webhooks."""

    name = "signedpay"

    def __init__(self) -> None:
        self.links: dict[str, LinkRequest] = {}
        self.payments: dict[str, PaymentReport] = {}
        self._lock = threading.Lock()

    def create_link(self, request: LinkRequest) -> PaymentLink:
        with self._lock:
            self.links[request.reference] = request
        return PaymentLink(f"sp-{request.reference}", f"https://pay.example/{request.reference}")

    def verify_notification(
        self, headers: Mapping[str, str], query: Mapping[str, str], body: bytes
    ) -> Notification:
        sent = next((v for k, v in headers.items() if k.lower() == SIGNATURE.lower()), "")
        if not hmac.compare_digest(sent, sign(body)):
            raise InvalidSignature("the signature does not match the body")
        data = json.loads(body)
        return Notification("payment", str(data["payment_id"]), "updated", raw=data)

    def fetch_payment(self, payment_id: str) -> PaymentReport:
        try:
            return self.payments[payment_id]
        except KeyError:
            raise ProviderRejected(f"no payment {payment_id}", status=404) from None

    def search_by_reference(self, reference: str) -> list[PaymentReport]:
        return [p for p in self.payments.values() if p.external_reference == reference]

    def refund(
        self, payment_id: str, amount: Decimal | None = None, *, idempotency_key: str | None = None
    ) -> PaymentReport:
        raise ProviderRejected("refunds are not part of this test")

    def pay(self, reference: str) -> tuple[str, bytes]:
        """The buyer pays the link in full: the payment's id and the webhook body it sends."""
        link = self.links[reference]
        payment_id = str(1000 + len(self.payments))
        self.payments[payment_id] = PaymentReport(
            provider=self.name,
            provider_payment_id=payment_id,
            status="approved",
            amount=link.total.amount,
            currency=link.total.currency,
            external_reference=reference,
        )
        return payment_id, json.dumps({"payment_id": payment_id}).encode()


def plugin_for(service: SignedPay) -> Plugin[None]:
    def register(registry: Registry[None]) -> None:
        registry.provider("signedpay", lambda config: service)

    return Plugin(name="signedpay_plugin", register=register)


async def post(url: str, body: bytes, signature: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers={SIGNATURE: signature}) as answer,
    ):
        return answer.status, await answer.text()


def thanks(stage: Stage, name: str, code: str) -> str:
    return stage.bot.messages.t(
        "es", "order_paid_thanks", name=name, product="Taza del stream", code=code
    )


async def test_a_signed_webhook_pays_a_forged_one_is_refused_and_a_missed_one_is_found(
    tmp_path: Path,
) -> None:
    service = SignedPay()
    chat = RecordingAdapter()
    async with open_stage(
        tmp_path,
        lambda *_: [chat],
        plugins=[(plugin_for(service), None)],
        payment_provider="signedpay",
        poll_payments=False,  # only webhooks, until the reconciler is asked by hand below
    ) as stage:
        assert stage.bot.provider is service
        hook = f"{stage.web_url}/webhooks/signedpay"
        await chat.say("ana", "!comprar taza")
        [order] = stage.store.viewer_orders("rec", "ana")
        await until(lambda: order.code in service.links)

        _, body = service.pay(order.code)
        for url in (f"{stage.web_url}/webhooks/mercadopago", f"{stage.web_url}/webhooks/nadie"):
            status, _ = await post(url, body, sign(body))
            assert status == 404  # only the provider this bot runs has a webhook
        forged = await post(hook, body, sign(body, b"not-the-secret-0123456789"))
        assert forged[0] == 401
        unsigned = await post(hook, body, "")
        assert unsigned[0] == 401
        assert stage.store.recent_notifications() == []  # nothing stored for either
        assert stage.store.get_order(order.code).status is OrderStatus.PENDING

        status, _ = await post(hook, body, sign(body))
        assert status == 200
        await until(lambda: any(r.text == thanks(stage, "ana", order.code) for r in chat.to("ana")))
        assert stage.store.get_order(order.code).status is OrderStatus.PAID
        [stored] = stage.store.recent_notifications()
        assert stored.verified

        # A second purchase whose webhook never arrives: the reconciler finds the payment.
        await chat.say("bob", "!comprar taza")
        [second] = stage.store.viewer_orders("rec", "bob")
        await until(lambda: second.code in service.links)
        service.pay(second.code)
        found = await stage.bot.reconciler.sync_once()
        assert [o.order.code for o in found if o.order is not None] == [second.code]
        bob_thanks = thanks(stage, "bob", second.code)
        await until(lambda: any(r.text == bob_thanks for r in chat.to("bob")))
        assert stage.store.get_order(second.code).status is OrderStatus.PAID
        assert len(stage.store.recent_notifications()) == 1  # no webhook for that one
