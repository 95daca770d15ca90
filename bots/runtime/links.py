"""Payment links for orders and tips, made off the event loop and never lost to an outage.

The buyer waits at most `wait_seconds` for a link. If the provider is slow or down, the
buyer hears "your link is on its way" and a background task keeps trying with backoff and
jitter, reusing one idempotency key per order so a retry can never create a second
preference. When the link comes, `LinkReady` goes out and the announcer delivers it.

An order is a cart: lines may join it while its link is being made. Each revision of the
order gets its own preference (its own idempotency key), and the store keeps a link only
for the revision it was made for; a link that turns out to be for an earlier revision is
kept as superseded (a payment of it is still recognised) and a link for the order as it is
now is made instead, so the buyer is never sent a link for an old total.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from bots.runtime.events import EventBus, LinkReady
from commerce.coupons import spread
from commerce.money import Money
from commerce.payments.base import (
    LinkItem,
    LinkRequest,
    PaymentProvider,
    ProviderRejected,
    ProviderUnavailable,
    shipping_item,
)
from commerce.store import Store
from commerce.views import OrderStatus, OrderView, TipStatus, TipView

log = logging.getLogger(__name__)

Kind = Literal["order", "tip"]

_SHIPPING_TITLES = {"es": "Envío", "en": "Shipping", "pt": "Frete"}
_STALE_TRIES = 3  # links made for a cart that kept growing meanwhile, before giving it to retry


class _Stale(Exception):
    """Lines joined the order while its link was being made: the link is for an old total."""


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    wait_seconds: float = 4.0
    first_retry: float = 1.0
    max_retry: float = 60.0
    give_up_after: int = 200


class LinkService:
    def __init__(
        self,
        store: Store,
        provider: PaymentProvider,
        bus: EventBus,
        *,
        store_name: str,
        notification_url: str | None = None,
        back_url: str | None = None,
        policy: LinkPolicy | None = None,
        tip_ttl: timedelta = timedelta(minutes=15),
        short_base: str | None = None,
        hold: Callable[[OrderView], bool] | None = None,
    ) -> None:
        # `hold`: orders whose link waits for something else (the delivery questions,
        # bots.commands.delivery): a restart must not send them a link without shipping.
        self.hold = hold
        self.tip_ttl = tip_ttl
        self.short_base = short_base.rstrip("/") if short_base else None
        self.store = store
        self.provider = provider
        self.bus = bus
        self.store_name = store_name
        self.notification_url = notification_url
        self.back_url = back_url
        self.policy = policy or LinkPolicy()
        self._retrying: dict[str, asyncio.Task[None]] = {}

    async def for_order(self, order: OrderView) -> str | None:
        """The link for the order's current contents, or None when it comes later."""
        for _ in range(_STALE_TRIES):
            if order.payment_url:
                return self.shown(order.code, order.payment_url)
            try:
                url = await self._obtain(
                    "order", order.code, self._order_request(order), order.revision
                )
            except _Stale:
                # Lines joined the order while its link was being made: link it as it is now.
                order = await asyncio.to_thread(self.store.get_order, order.code)
                if order.status is not OrderStatus.PENDING:
                    return None
                continue
            return self.shown(order.code, url)
        self._retry_later("order", order.code, self._order_request(order), None)
        return None

    async def for_tip(self, tip: TipView) -> str | None:
        url = tip.payment_url or await self._obtain("tip", tip.code, self._tip_request(tip))
        return self.shown(tip.code, url)

    def shown(self, code: str, url: str | None) -> str | None:
        """The address to put in chat: our short page when the bot has a public address.

        Checkout URLs are long; on Twitch (500 characters) and YouTube (200) a short one
        lets several buyers share a message.
        """
        if url is None or self.short_base is None:
            return url
        return f"{self.short_base}/p/{code}"

    def _order_request(self, order: OrderView) -> LinkRequest:
        # A coupon's discount is spread over the unit prices (MercadoPago takes no negative
        # item), so the items still add up to the total: see commerce.coupons.spread.
        discount = order.discount.minor if order.discount is not None else 0
        parts = spread([(line.quantity, line.unit_price.minor) for line in order.lines], discount)
        items = tuple(
            LinkItem(
                id=line.sku,
                title=line.product_name
                + (f" ({_variant_label(line.variant_key)})" if line.variant_key else ""),
                quantity=quantity,
                unit_price=Money.from_minor(unit, line.unit_price.currency).amount,
                currency=line.unit_price.currency,
            )
            for line, pieces in zip(order.lines, parts, strict=True)
            for quantity, unit in pieces
        )
        goods = sum((line.subtotal.amount for line in order.lines), Decimal(0))
        if order.discount is not None:
            goods -= order.discount.amount
        if order.total.amount > goods:  # the buyer's shipping (commerce.delivery)
            title = _SHIPPING_TITLES.get(order.locale[:2], _SHIPPING_TITLES["es"])
            items += (shipping_item(order.total.amount - goods, order.total.currency, title),)
        return LinkRequest(
            reference=order.code,
            title=f"{self.store_name} — {order.code}",
            items=items,
            total=order.total,
            expires_at=order.expires_at,
            # One preference per revision: a retry of the same revision reuses it.
            idempotency_key=f"vivo-order-{order.code}"
            + (f"-r{order.revision}" if order.revision else ""),
            notification_url=self.notification_url,
            back_url=self.back_url,
            payer_name=order.viewer.display_name,
        )

    def _tip_request(self, tip: TipView) -> LinkRequest:
        title = f"Propina para {self.store_name}"
        item = LinkItem(
            id="tip",
            title=title,
            quantity=1,
            unit_price=tip.amount.amount,
            currency=tip.amount.currency,
        )
        return LinkRequest(
            reference=tip.code,
            title=title,
            items=(item,),
            total=tip.amount,
            expires_at=tip.created_at + self.tip_ttl,
            idempotency_key=f"vivo-tip-{tip.code}",
            notification_url=self.notification_url,
            back_url=self.back_url,
            payer_name=tip.viewer.display_name,
        )

    async def _obtain(
        self, kind: Kind, code: str, request: LinkRequest, revision: int = 0
    ) -> str | None:
        """The URL, or None with a retry scheduled; raises _Stale (see `_create`)."""
        attempt = asyncio.ensure_future(self._create(kind, code, request, revision))
        try:
            async with asyncio.timeout(self.policy.wait_seconds):
                return await asyncio.shield(attempt)
        except (ProviderUnavailable, TimeoutError) as exc:
            log.warning(
                "payment link for %s delayed: %s", code, exc or "timeout", extra={"order": code}
            )
            self._retry_later(kind, code, request, attempt)
            return None
        except ProviderRejected:
            log.exception(
                "MercadoPago refused the link for %s; check the credentials",
                code,
                extra={"order": code},
            )
            self._retry_later(kind, code, request, None)
            return None

    async def _create(self, kind: Kind, code: str, request: LinkRequest, revision: int = 0) -> str:
        """The new link's URL; raises _Stale when the order changed while it was made (the
        store then keeps the link only as superseded)."""
        link = await asyncio.to_thread(self.provider.create_link, request)
        if kind == "tip":
            await asyncio.to_thread(self.store.set_tip_link, code, link.url, link.preference_id)
            return link.url
        order = await asyncio.to_thread(
            functools.partial(
                self.store.set_order_link,
                code,
                link.url,
                link.preference_id,
                revision=revision,
                total=request.total,
            )
        )
        if order.preference_id != link.preference_id:
            raise _Stale(code)
        return link.url

    def _retry_later(
        self,
        kind: Kind,
        code: str,
        request: LinkRequest,
        first: asyncio.Future[str] | None,
    ) -> None:
        if code not in self._retrying:
            task = asyncio.get_running_loop().create_task(self._retry(kind, code, request, first))
            self._retrying[code] = task
            task.add_done_callback(lambda _t: self._retrying.pop(code, None))

    async def _retry(
        self,
        kind: Kind,
        code: str,
        request: LinkRequest,
        first: asyncio.Future[str] | None,
    ) -> None:
        url: str | None = None
        if first is not None:
            try:
                url = await first
            except Exception:
                url = None
        delay = self.policy.first_retry
        attempts = 0
        while url is None and attempts < self.policy.give_up_after:
            attempts += 1
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, self.policy.max_retry)
            order, tip = await self._lookup(kind, code)
            if not _still_wanted(order, tip):
                return
            revision = 0
            if order is not None:
                request = self._order_request(order)  # lines may have joined meanwhile
                revision = order.revision
            try:
                url = await self._create(kind, code, request, revision)
            except _Stale:
                delay = self.policy.first_retry  # the order grew: link it as it is now, soon
            except (ProviderUnavailable, ProviderRejected) as exc:
                log.warning(
                    "payment link for %s still delayed (attempt %d): %s",
                    code,
                    attempts,
                    exc,
                    extra={"order": code},
                )
            except Exception:
                log.exception(
                    "payment link for %s failed unexpectedly", code, extra={"order": code}
                )
        if url is None:
            log.error(
                "gave up on a payment link for %s after %d attempts",
                code,
                attempts,
                extra={"order": code},
            )
            return
        order, tip = await self._lookup(kind, code)
        await self.bus.publish(LinkReady(order=order, tip=tip, url=self.shown(code, url) or url))

    async def _lookup(self, kind: Kind, code: str) -> tuple[OrderView | None, TipView | None]:
        if kind == "tip":
            return None, await asyncio.to_thread(self.store.get_tip, code)
        return await asyncio.to_thread(self.store.get_order, code), None

    async def resume(self) -> int:
        """After a restart: retry links for pending orders that never got one."""
        orders = await asyncio.to_thread(self.store.list_orders, OrderStatus.PENDING, 1000)
        missing = [
            o for o in orders if not o.payment_url and (self.hold is None or not self.hold(o))
        ]
        for order in missing:
            self._retry_later("order", order.code, self._order_request(order), None)
        return len(missing)

    @property
    def busy(self) -> bool:
        return bool(self._retrying)

    @property
    def retrying(self) -> frozenset[str]:
        """Codes whose link is still being made (LinkReady follows when it is)."""
        return frozenset(self._retrying)

    async def stop(self) -> None:
        for task in list(self._retrying.values()):
            task.cancel()
        self._retrying.clear()


def _still_wanted(order: OrderView | None, tip: TipView | None) -> bool:
    if order is not None:
        return order.status is OrderStatus.PENDING
    return tip is not None and tip.status is TipStatus.PENDING


def _variant_label(key: str) -> str:
    return ", ".join(part.split("=", 1)[-1] for part in key.split(","))
