"""`!oferta` and coupons through the router, as each of the four platforms' viewers type
them: the sale price next to the old one, the discount in the reply and in the order, and
a helpful reply in the viewer's language for every bad code."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import CHANNEL, Clock, Links

from adapters.base import ChatMessage, ChatUser, Reply, Role
from bots.chat.i18n import Messages
from bots.chat.promo_args import parse_duration, parse_flash, parse_percent, split_coupon
from bots.chat.router import BadArgument, MissingArgument, Router
from bots.runtime.events import Event, EventBus, FlashSaleEnded, FlashSaleStarted
from bots.runtime.services import Services, Settings
from commerce.coupons import CouponSpec
from commerce.money import Money

PLATFORMS = ("twitch", "youtube", "discord", "telegram")


def t(locale: str, key: str, **params: object) -> str:
    return Messages().t(locale, key, p="!", **params)


def ars(amount: str) -> str:
    return Messages().money(Money(Decimal(amount), "ARS"), "es")


class PlatformChat:
    """Router.handle driven as one platform's adapter would: the user's platform is the
    message's."""

    def __init__(self, router: Router, clock: Clock, platform: str) -> None:
        self.router, self.clock, self.platform = router, clock, platform
        self.viewer = ChatUser(platform, "v1", "ana")
        self.other = ChatUser(platform, "v2", "beto")
        self.mod = ChatUser(platform, "m1", "mora", role=Role.MODERATOR)
        self._ids = itertools.count(1)

    async def send(self, text: str, user: ChatUser | None = None) -> list[Reply]:
        self.clock.advance(60)
        replies: list[Reply] = []

        async def record(reply: Reply) -> None:
            replies.append(reply)

        who = user or self.viewer
        message = ChatMessage(self.platform, f"m-{next(self._ids)}", CHANNEL, who, text)
        await self.router.handle(message, record)
        return replies

    async def public(self, text: str, user: ChatUser | None = None) -> list[str]:
        return [r.text for r in await self.send(text, user) if not r.private]


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def events() -> list[Event]:
    return []


@pytest.fixture
def chat(
    store: Any, links: Links, settings: Settings, clock: Clock, events: list[Event], platform: str
) -> PlatformChat:
    bus = EventBus()

    async def record(event: Event) -> None:
        events.append(event)

    bus.subscribe(record)
    services = Services(store=store, links=links, settings=settings, messages=Messages(), bus=bus)
    return PlatformChat(Router(services, clock=clock), clock, platform)


def _coupons(store: Any) -> None:
    store.seed_coupons(
        [
            CouponSpec("CUPON10", "percent", "ARS", percent=10),
            CouponSpec("MENOS1000", "amount", "ARS", amount=Decimal(1000),
                       min_total=Decimal(20000)),
            CouponSpec("VIEJO", "percent", "ARS", percent=5,
                       expires_at=datetime.now(UTC) - timedelta(days=1)),
            CouponSpec("AGOTADO", "percent", "ARS", percent=5, max_uses=0),
        ]
    )  # fmt: skip


# --- the words, without a store ------------------------------------------------------------


def test_flash_words() -> None:
    args = parse_flash("remera negra 20% 5m max 1", "ARS")
    assert (args.product_text, args.percent, args.price) == ("remera negra", 20, None)
    assert args.duration == timedelta(minutes=5) and args.max_per_buyer == 1
    priced = parse_flash("taza $6.000 90s", "ARS")
    assert priced.price == Decimal(6000) and priced.duration == timedelta(seconds=90)
    assert parse_percent("-15%") == 15 and parse_percent("15") is None
    assert parse_duration("1h") == timedelta(hours=1) and parse_duration("5") is None
    with pytest.raises(BadArgument) as bad:
        parse_flash("remera 20% cinco", "ARS")
    assert bad.value.key == "flash_bad_duration"
    with pytest.raises(BadArgument) as bad:
        parse_flash("remera barato 5m", "ARS")
    assert bad.value.key == "flash_bad_discount"
    with pytest.raises(BadArgument):
        parse_flash("remera 20% 5m max cero", "ARS")
    with pytest.raises(MissingArgument):
        parse_flash("20% 5m", "ARS")


def test_a_coupon_is_only_ever_the_last_word() -> None:
    assert split_coupon("remera M CUPON10") == ("remera M", "CUPON10")
    assert split_coupon("CUPON10") is None
    assert split_coupon("taza ¡hola!") is None


# --- flash sales on every platform ----------------------------------------------------------


async def test_oferta_drops_the_price_and_buyers_hear_both_prices(
    chat: PlatformChat, store: Any, events: list[Event]
) -> None:
    (started,) = await chat.public("!oferta taza 20% 5m", chat.mod)
    assert started == t(
        "es", "flash_started", product="Taza", price=ars("6800"), old=ars("8500"),
        time="5 min", item="taza",
    )  # fmt: skip
    assert isinstance(events[-1], FlashSaleStarted)
    replies = await chat.public("!comprar taza")
    assert f"total {ars('6800')}" in replies[0]
    assert replies[1] == t(
        "es", "flash_applied", product="Taza", price=ars("6800"), old=ars("8500")
    )
    (ended,) = await chat.public("!oferta fin", chat.mod)
    assert ended == t("es", "flash_ended", product="Taza", old=ars("8500"))
    assert isinstance(events[-1], FlashSaleEnded)
    assert await chat.public("!oferta fin", chat.mod) == [t("es", "flash_none")]
    (order,) = store.viewer_orders(chat.platform, "v1", limit=5)
    assert order.total == Money(Decimal(6800), "ARS")  # kept after the sale ended


async def test_english_sale_with_a_per_buyer_limit(chat: PlatformChat) -> None:
    (started,) = await chat.public("!sale mug 50% 2m max 1", replace(chat.mod, locale="en"))
    assert "at most 1 per person" in started and "was" in started
    await chat.public("!buy mug", replace(chat.viewer, locale="en"))
    (refused,) = await chat.public("!buy mug", replace(chat.viewer, locale="en"))
    assert refused == t("en", "error_flash_limit_exceeded", limit=1, already=1, product="Taza")


async def test_viewers_cannot_start_a_sale_and_typos_get_help(chat: PlatformChat) -> None:
    (refused,) = await chat.public("!oferta taza 20% 5m")
    assert refused == t("es", "not_allowed", command="oferta")
    (bad,) = await chat.public("!oferta taza 20% cinco", chat.mod)
    assert bad == t("es", "flash_bad_duration", value="cinco")
    (higher,) = await chat.public("!oferta taza 9000 5m", chat.mod)
    assert higher == t("es", "flash_invalid_not_lower", product="Taza")
    (pt,) = await chat.public("!oferta", replace(chat.mod, locale="pt"))
    assert pt == t("pt", "flash_usage")


# --- coupons on every platform -------------------------------------------------------------------


async def test_comprar_with_a_coupon_as_the_last_word(
    chat: PlatformChat, store: Any, links: Links
) -> None:
    _coupons(store)
    replies = await chat.send("!comprar 2 remeras negras M cupon10")
    public = [r.text for r in replies if not r.private]
    assert public[1] == t("es", "coupon_applied", coupon="CUPON10", discount=ars("3000"),
                          code=links.orders[-1].code, total=ars("27000"))  # fmt: skip
    assert f"total {ars('27000')}" in public[0]
    assert links.orders[-1].total == Money(Decimal(27000), "ARS")
    assert links.orders[-1].discount == Money(Decimal(3000), "ARS")


async def test_purchases_that_parsed_before_parse_the_same(chat: PlatformChat, store: Any) -> None:
    _coupons(store)
    (unknown,) = await chat.public("!comprar remera XXL")
    assert "XXL" in unknown  # still the variant's answer, not a coupon's
    replies = await chat.public("!comprar taza x2")
    assert f"total {ars('17000')}" in replies[0]


async def test_bad_codes_say_why_in_the_viewers_language(chat: PlatformChat, store: Any) -> None:
    _coupons(store)
    (reserved, unknown) = await chat.public("!comprar taza CUPON1O")
    assert unknown == t("es", "coupon_unknown", coupon="CUPON1O")
    assert f"total {ars('8500')}" in reserved  # the order stands, without a discount
    assert await chat.public("!cupon viejo") == [t("es", "coupon_expired", coupon="VIEJO")]
    assert await chat.public("!cupon agotado") == [t("es", "coupon_used_up", coupon="AGOTADO")]
    assert await chat.public("!cupon MENOS1000") == [
        t("es", "coupon_below_minimum", coupon="MENOS1000", minimum=ars("20000"))
    ]
    applied = await chat.public("!cupon CUPON10")
    assert applied[0].startswith("🏷️")
    english = replace(chat.viewer, locale="en")
    assert await chat.public("!coupon CUPON10", english) == [
        t("en", "coupon_already_applied", coupon="CUPON10")
    ]
    pt = replace(chat.other, locale="pt")
    assert await chat.public("!cupom CUPON10", pt) == [t("pt", "coupon_no_order", coupon="CUPON10")]


async def test_cupon_on_a_pending_order_makes_a_new_link(
    chat: PlatformChat, store: Any, links: Links
) -> None:
    _coupons(store)
    await chat.send("!comprar taza")
    first = links.orders[-1]
    replies = await chat.send("!cupon CUPON10")
    links_sent = [r for r in replies if r.private]
    assert links_sent and links.orders[-1].code == first.code
    assert links.orders[-1].total == Money(Decimal(7650), "ARS")
    await chat.send("!cancelar")
    await chat.send("!comprar taza")
    (again,) = await chat.public("!cupon CUPON10")
    assert again == t("es", "coupon_already_used", coupon="CUPON10")


async def test_precio_during_a_sale_says_the_sale_price(chat: PlatformChat) -> None:
    await chat.public("!oferta taza 6000 5m", chat.mod)
    replies = await chat.public("!precio taza")
    assert replies[-1] == t(
        "es", "flash_applied", product="Taza", price=ars("6000"), old=ars("8500")
    )
    await chat.public("!oferta fin", chat.mod)
    assert len(await chat.public("!precio taza")) == 1
