"""`!subasta` and `!oferto` through the router on each platform, with the real announcer
on a real EventBus: refused bids answered in the bidder's language, new leaders said in
chat (folded), the winner's link sent privately, the runner-up after an unpaid window."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import Links

from adapters.base import ChatMessage, ChatUser, Priority, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.commands.auctions import increment_for, parse_duration
from bots.runtime.auctions import AuctionAnnouncer, AuctionClock
from bots.runtime.events import AuctionChanged, AuctionOffered, EventBus
from bots.runtime.services import AuctionSettings, Services, Settings
from commerce import auctions
from commerce.money import Money
from commerce.views import OrderStatus

PLATFORMS = ("twitch", "youtube", "discord", "telegram")
OWNER_ID = "duena"


class Stage:
    """The command layer of one platform, its announcer and what both said."""

    def __init__(self, store: Any, platform: str, *, every: float = 0.0) -> None:
        self.platform = platform
        self.store = store
        self.links = Links()
        self.bus = EventBus()
        self.messages = Messages()
        self.events: list[object] = []
        settings = Settings(
            currency="ARS",
            locale="es",
            cooldown_seconds=0.0,
            owner_ids={platform: frozenset({OWNER_ID})},
        )
        services = Services(
            store=store,
            links=self.links,
            settings=settings,
            messages=self.messages,
            bus=self.bus,
            auctions=AuctionSettings(extend_seconds=15, pay_minutes=10),
        )
        self.router = Router(services)
        self.replies: list[Reply] = []
        self.announcer = AuctionAnnouncer(
            platform, self.messages, self._record, self.links, locale="es", prefix="!", every=every
        )
        self.bus.subscribe(self.announcer.on_changed)
        self.bus.subscribe(self.announcer.on_offered)
        self.bus.subscribe(self._event)
        self.clock = AuctionClock(store, self.bus)
        self._ids = itertools.count(1)

    async def _event(self, event: object) -> None:
        self.events.append(event)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    def user(self, name: str, locale: str | None = None) -> ChatUser:
        user_id = OWNER_ID if name == "lu" else f"id-{name}"
        return ChatUser(self.platform, user_id, name, locale=locale)

    async def send(self, text: str, who: str = "ana", locale: str | None = None) -> list[Reply]:
        message = ChatMessage(
            self.platform, f"m{next(self._ids)}", "canal", self.user(who, locale), text
        )
        before = len(self.replies)
        await self.router.handle(message, self._record)
        return [r for r in self.replies[before:] if r.reply_to is message]

    async def say(self, text: str, who: str = "ana", locale: str | None = None) -> str:
        replies = await self.send(text, who, locale)
        assert len(replies) == 1, replies
        return replies[0].text


@pytest.fixture(params=PLATFORMS)
def stage(request: pytest.FixtureRequest, store: Any) -> Stage:
    return Stage(store, request.param)


async def test_a_whole_auction_from_chat(stage: Stage) -> None:
    started = await stage.say("!subasta taza 5000 2m", "lu")
    assert "Taza" in started and "!oferto 5000" in started and "2:00" in started
    assert await stage.send("!oferto 5000", "ana") == []  # no reply of its own...
    leader = stage.replies[-1]  # ...chat hears the new leader, in the channel
    assert leader.mention is None and leader.priority is Priority.ANNOUNCE
    assert "ana" in leader.text and "!oferto 5250" in leader.text
    assert await stage.send("!oferto 5500", "beto") == []
    await stage.send("!subasta fin", "lu")
    won = [r for r in stage.replies if "¡Vendido!" in r.text]
    assert len(won) == 1 and "beto" in won[0].text
    link = stage.replies[-1]
    assert link.private and link.priority is Priority.PAYMENT
    assert link.mention is not None and link.mention.name == "beto"
    offered = next(e for e in stage.events if isinstance(e, AuctionOffered))
    assert link.receipt == offered.order.code
    assert f"http://pay.test/{offered.order.code}" in link.text
    assert offered.order.total == Money(Decimal("5500"), "ARS")
    assert offered.order.platform == stage.platform


async def test_bad_bids_get_helpful_replies(stage: Stage) -> None:
    assert "No hay ninguna subasta" in await stage.say("!oferto 5000")
    await stage.send("!subasta taza 5000 2m", "lu")
    assert "!oferto 5000" in await stage.say("!oferto 4000")
    await stage.send("!oferto 5000", "ana")
    below = await stage.say("!oferto 5100", "beto")
    assert "ana" in below and "!oferto 5250" in below
    assert "propia subasta" in await stage.say("!oferto 9000", "lu")
    assert "¿Cuánto" in await stage.say("!oferto", "beto")


async def test_not_a_number_is_told_so(stage: Stage) -> None:
    await stage.send("!subasta taza 5000 2m", "lu")
    reply = await stage.say("!oferto mucho")
    assert "mucho" in reply and "!oferto" in reply


async def test_bids_in_english_and_portuguese(stage: Stage) -> None:
    await stage.send("!auction mug 5000 2m", "lu")
    assert "The base for Taza is" in await stage.say("!bid 4000", "ann", "en")
    assert "A base de Taza é" in await stage.say("!lance 4000", "joao", "pt")
    await stage.send("!lance 5000", "joao", "pt")
    assert "precisa de pelo menos" in await stage.say("!lance 5000", "maria", "pt")


async def test_the_owners_words(stage: Stage) -> None:
    assert "Uso:" in await stage.say("!subasta taza", "lu")
    assert "90s" in await stage.say("!subasta taza 5000 0m", "lu")
    assert "Uso:" in await stage.say("!subasta taza 5000 pronto", "lu")
    assert "como mucho" in await stage.say("!subasta taza 5000 3h", "lu")
    assert "No hay ninguna subasta" in await stage.say("!subasta fin", "lu")
    await stage.send("!subasta remera negro M 20000 1m", "lu")
    assert "Ya hay una subasta" in await stage.say("!subasta taza 5000 2m", "lu")
    assert "sin ofertas aún" in await stage.say("!subasta", "lu")
    await stage.send("!subasta fin", "lu")
    assert "sin ofertas" in stage.replies[-1].text  # nobody bid: back on sale


async def test_a_viewer_cannot_start_one(stage: Stage) -> None:
    refused = await stage.say("!subasta taza 5000 2m", "ana")
    assert "!subasta" in refused
    assert stage.store.current_auction() is None


async def test_a_late_bid_extends_the_clock(stage: Stage) -> None:
    await stage.send("!subasta taza 5000 10s", "lu")
    before = stage.store.current_auction().ends_at
    await stage.send("!oferto 5000", "ana")
    changed = [e for e in stage.events if isinstance(e, AuctionChanged) and e.kind == "bid"]
    assert changed[-1].extended
    assert stage.store.current_auction().ends_at > before
    assert "+15 segundos" in stage.replies[-1].text


async def test_unpaid_goes_to_the_runner_up(stage: Stage) -> None:
    await stage.send("!subasta taza 5000 2m", "lu")
    await stage.send("!oferto 5000", "ana")
    await stage.send("!oferto 6000", "beto")
    await stage.send("!subasta fin", "lu")
    first = next(e for e in stage.events if isinstance(e, AuctionOffered))
    later = datetime.now(UTC) + timedelta(minutes=11)
    progress = stage.store.auction_tick(now=later)  # the window passed, unpaid
    for event in [AuctionChanged(a, a.status) for a in progress.changed]:
        await stage.bus.publish(event)
    for offer in progress.offers:
        await stage.bus.publish(AuctionOffered(offer.order, offer.auction, offer.rank))
    assert stage.store.get_order(first.order.code).status is OrderStatus.EXPIRED
    assert any("no pagó a tiempo" in r.text and "ana" in r.text for r in stage.replies)
    link = stage.replies[-1]
    assert link.private and link.mention is not None and link.mention.name == "ana"


async def test_a_rush_of_bids_is_folded() -> None:
    """With a window, the first leader is said at once and the rest as one line."""

    class FakeClock:
        now = 100.0

        def __call__(self) -> float:
            return self.now

    said: list[Reply] = []

    async def send(reply: Reply) -> None:
        said.append(reply)

    clock = FakeClock()
    announcer = AuctionAnnouncer(
        "twitch", Messages(), send, Links(), locale="es", prefix="!", every=3600.0, clock=clock
    )
    base = _view(1, "ana", "5000")
    await announcer.on_changed(AuctionChanged(base, "bid"))
    for i, amount in enumerate(("5250", "5500", "5750")):
        await announcer.on_changed(AuctionChanged(_view(i + 2, f"v{i}", amount), "bid"))
    assert len(said) == 1 and "ana" in said[0].text
    assert announcer.busy  # the latest leader waits for the window
    await announcer.stop()


def _view(bid_id: int, name: str, amount: str) -> auctions.AuctionView:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    money = Money(Decimal(amount), "ARS")
    leader = auctions.BidView("twitch", name, name, money, at, "canal")
    return auctions.AuctionView(
        id=1,
        status=auctions.OPEN,
        sku="TAZA",
        product="Taza",
        variant_key=None,
        image_url=None,
        base=Money(Decimal("5000"), "ARS"),
        increment=Money(Decimal("250"), "ARS"),
        current=money,
        needed=money + Money(Decimal("250"), "ARS"),
        leader=leader,
        started_at=at,
        ends_at=at + timedelta(minutes=2),
        closed_at=None,
        bids=bid_id,
        channels=(("twitch", "canal"),),
    )


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("2m", 120), ("90s", 90), ("1h", 3600), ("2", 120), ("3min", 180), ("45seg", 45)],
)
def test_durations(typed: str, seconds: int) -> None:
    assert parse_duration(typed) == timedelta(seconds=seconds)


def test_not_a_duration() -> None:
    assert parse_duration("pronto") is None


def test_default_increment_is_five_percent_rounded_up() -> None:
    settings = AuctionSettings()
    assert increment_for(Money(Decimal("5000"), "ARS"), settings).amount == Decimal("250")
    assert increment_for(Money(Decimal("81"), "BRL"), settings).amount == Decimal("5")
    assert increment_for(Money(Decimal("10"), "USD"), settings).amount == Decimal("1")
    fixed = AuctionSettings(min_increment=Decimal("100"))
    assert increment_for(Money(Decimal("5000"), "ARS"), fixed).amount == Decimal("100")
