"""Shared fixtures for the command layer: a real Store on a temp SQLite file, fake payment
links, a controllable clock, and a `Chat` that drives `Router.handle` like an adapter would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from adapters.base import ChatMessage, ChatUser, Priority, Reply, Role
from bots.chat.router import Router
from commerce.views import OrderView, ProductSpec, TipView, VariantSpec

PLATFORM = "test"
CHANNEL = "canal"
OWNER_ID = "dueña"

VIEWER = ChatUser(PLATFORM, "v1", "ana")
OTHER = ChatUser(PLATFORM, "v2", "beto")
MOD = ChatUser(PLATFORM, "m1", "mora", role=Role.MODERATOR)
OWNER = ChatUser(PLATFORM, OWNER_ID, "lu")  # an owner by settings.owner_ids, not by role


def catalog() -> list[ProductSpec]:
    remera = tuple(
        VariantSpec(
            {"talle": talle, "color": color},
            stock=5,
            price=Decimal("16500") if talle == "L" else None,
        )
        for talle in ("S", "M", "L")
        for color in ("negro", "blanco")
    )
    return [
        ProductSpec(
            "REM", "Remera", Decimal("15000"), "ARS", aliases=("camiseta", "shirt"), variants=remera
        ),
        ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=20, aliases=("mug",)),
        ProductSpec(
            "STICK",
            "Sticker pack",
            Decimal("2500"),
            "ARS",
            stock=100,
            aliases=("stickers", "calcos"),
            max_per_viewer=5,
        ),
        ProductSpec(
            "SALUDO",
            "Saludo personalizado",
            Decimal("5000"),
            "ARS",
            stock=30,
            digital=True,
            queue=True,
        ),
        ProductSpec("GORRA", "Gorra", Decimal("9000"), "ARS", stock=10, active=False),
        ProductSpec("LLAVERO", "Llavero", Decimal("1000"), "ARS", stock=0),
    ]


class Clock:
    """Monotonic time the test moves by hand: cooldowns without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Links:
    """PaymentLinks that answers at once, or (available=False) says the link comes later."""

    available: bool = True
    short_base: str | None = None
    orders: list[OrderView] = field(default_factory=list)
    tips: list[TipView] = field(default_factory=list)

    async def for_order(self, order: OrderView) -> str | None:
        """`http://pay.test/CODE`, and `…/CODE-r2` for the cart's second addition."""
        self.orders.append(order)
        revision = f"-r{order.revision}" if order.revision else ""
        return f"http://pay.test/{order.code}{revision}" if self.available else None

    async def for_tip(self, tip: TipView) -> str | None:
        self.tips.append(tip)
        return f"http://pay.test/{tip.code}" if self.available else None

    def shown(self, code: str, url: str | None) -> str | None:
        return url if url is None or self.short_base is None else f"{self.short_base}/p/{code}"


class Chat:
    """Sends chat lines through the router and keeps what it answered."""

    def __init__(self, router: Router, clock: Clock) -> None:
        self.router = router
        self.clock = clock
        self.replies: list[Reply] = []
        self._ids = itertools.count(1)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    async def send(self, text: str, user: ChatUser = VIEWER, *, wait: float = 60.0) -> list[Reply]:
        """One line from `user`; `wait` seconds pass first (past any cooldown by default)."""
        self.clock.advance(wait)
        message = ChatMessage(PLATFORM, f"msg-{next(self._ids)}", CHANNEL, user, text)
        before = len(self.replies)
        self.handled = await self.router.handle(message, self._record)
        return self.replies[before:]

    async def say(self, text: str, user: ChatUser = VIEWER, **kw: Any) -> str:
        """The text of the one public reply to `text`."""
        replies = [r for r in await self.send(text, user, **kw) if not r.private]
        assert len(replies) == 1, replies
        return replies[0].text


def with_locale(user: ChatUser, locale: str | None) -> ChatUser:
    return replace(user, locale=locale)


def snapshot(store: Any) -> tuple[Any, ...]:
    """Everything a rejected command must leave untouched: stock, orders, open/closed."""
    products = tuple(
        (
            p.sku,
            p.stock,
            p.available,
            p.active,
            tuple((v.key, v.stock, v.available) for v in p.variants),
        )
        for p in store.list_products(include_inactive=True)
    )
    orders = tuple(
        (o.code, o.status)
        for user in (VIEWER, OTHER, MOD, OWNER)
        for o in store.viewer_orders(PLATFORM, user.id, limit=100)
    )
    return products, orders, store.is_open()


def payment_replies(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.private and r.priority is Priority.PAYMENT]
