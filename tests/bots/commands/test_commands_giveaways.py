"""`!sorteo` and `!participo` through the router on each platform, with the real announcer
on a real EventBus: the start with its commitment, one entry per viewer answered kindly,
late entries refused, the draw with the seed revealed and the winner mentioned, told
privately where the platform has a private channel; cancel and nobody-entered give the
unit back."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from chat_helpers import Links

from adapters.base import ChatMessage, ChatUser, Priority, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.events import EventBus, GiveawayChanged, GiveawayWon
from bots.runtime.giveaways import GiveawayAnnouncer, GiveawayClock
from bots.runtime.services import Services, Settings
from commerce import giveaways
from commerce.views import OrderStatus

PLATFORMS = ("twitch", "youtube", "discord", "telegram")
OWNER_ID = "duena"


class Stage:
    """The command layer of one platform, its giveaway announcer and what both said."""

    def __init__(self, store: Any, platform: str) -> None:
        self.platform = platform
        self.store = store
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
            store=store, links=Links(), settings=settings, messages=self.messages, bus=self.bus
        )
        self.router = Router(services)
        self.replies: list[Reply] = []
        self.announcer = GiveawayAnnouncer(
            platform, self.messages, self._record, locale="es", prefix="!"
        )
        self.bus.subscribe(self.announcer.on_changed)
        self.bus.subscribe(self.announcer.on_won)
        self.bus.subscribe(self._event)
        self.clock = GiveawayClock(store, self.bus)
        self._ids = itertools.count(1)

    async def _event(self, event: object) -> None:
        self.events.append(event)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    def user(self, name: str, locale: str | None = None) -> ChatUser:
        user_id = OWNER_ID if name == "lu" else f"id-{name}"
        return ChatUser(self.platform, user_id, name, locale=locale)

    async def send(
        self, text: str, who: str = "ana", locale: str | None = None, channel: str = "canal"
    ) -> list[Reply]:
        message = ChatMessage(
            self.platform, f"m{next(self._ids)}", channel, self.user(who, locale), text
        )
        self.announcer.heard(message)
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


async def test_a_whole_giveaway_from_chat(stage: Stage) -> None:
    before = stage.store.get_product("TAZA").available
    started = await stage.say("!sorteo taza 5m", "lu")
    shown = stage.store.current_giveaway()
    assert shown is not None and shown.commitment in started
    assert "Taza" in started and "!participo" in started and "5:00" in started
    assert stage.store.get_product("TAZA").available == before - 1
    [entered] = await stage.send("!participo", "ana")
    assert entered.mention is not None and entered.mention.name == "ana"
    assert entered.coalesce_key == "giveaway_entered" and "ana" not in entered.text
    await stage.send("!participo", "beto")
    again = await stage.say("!participo", "ana")
    assert "Ya estás participando" in again
    status = await stage.say("!sorteo", "carla")  # anyone may ask how it stands
    assert "2 participantes" in status and shown.commitment in status
    await stage.send("!sorteo fin", "lu")
    drawn = next(e for e in stage.events if isinstance(e, GiveawayChanged) and e.kind == "drawn")
    seed = drawn.giveaway.seed_hex
    assert seed is not None and hashlib.sha256(bytes.fromhex(seed)).hexdigest() == shown.commitment
    winner = drawn.giveaway.winner
    assert winner is not None and winner.name in ("ana", "beto")
    said = [r for r in stage.replies if "gana Taza" in r.text]
    assert len(said) == 1 and seed in said[0].text and winner.name in said[0].text
    assert said[0].mention is not None and said[0].mention.name == winner.name
    assert "2 participantes" in said[0].text
    assert f"vivo giveaways show {drawn.giveaway.id}" in said[0].text
    won = next(e for e in stage.events if isinstance(e, GiveawayWon))
    assert won.order.status is OrderStatus.PAID and won.order.total.amount == Decimal(0)
    private = [r for r in stage.replies if r.private]
    if stage.platform in ("discord", "telegram"):
        [told] = private
        assert won.order.code in told.text and told.mention is not None
        assert told.mention.name == winner.name and told.priority is Priority.PAYMENT
    else:
        assert private == []  # the mention in chat is all they get
    late = await stage.say("!participo", "carla")
    assert "ya cerró" in late
    assert stage.store.get_product("TAZA").available == before - 1  # given, not sold twice


async def test_the_start_is_said_in_the_other_chats_heard(stage: Stage) -> None:
    await stage.send("!tienda", "ana", channel="otro-canal")  # a chat the bot heard
    await stage.send("!sorteo taza 2m", "lu")
    elsewhere = [r for r in stage.replies if r.channel == "otro-canal" and r.reply_to is None]
    assert len(elsewhere) == 1 and "Sorteo de Taza" in elsewhere[0].text
    assert not any(r.channel == "canal" and r.reply_to is None for r in stage.replies)
    await stage.send("!sorteo fin", "lu")
    assert any(r.channel == "otro-canal" and "Nadie participó" in r.text for r in stage.replies)


async def test_in_english_and_portuguese(stage: Stage) -> None:
    started = await stage.say("!giveaway mug 5m", "lu")
    assert "Giveaway" in started or "Sorteo" in started
    assert "You're in the giveaway" in (await stage.send("!enter", "ann", "en"))[0].text
    assert "once is enough" in (await stage.say("!join", "ann", "en")).lower()
    assert "Você está participando" in (await stage.send("!participar", "joao", "pt"))[0].text
    assert "Você já está" in await stage.say("!participo", "joao", "pt")


async def test_the_owners_words(stage: Stage) -> None:
    assert "Uso:" in await stage.say("!sorteo taza", "lu")
    assert "Uso:" in await stage.say("!sorteo taza pronto", "lu")
    assert "90s" in await stage.say("!sorteo taza 0m", "lu")
    assert "como mucho" in await stage.say("!sorteo taza 3h", "lu")
    assert "No hay ningún sorteo" in await stage.say("!sorteo fin", "lu")
    assert "No hay ningún sorteo" in await stage.say("!sorteo cancelar", "lu")
    assert "No hay ningún sorteo" in await stage.say("!sorteo", "ana")
    assert "No hay ningún sorteo" in await stage.say("!participo", "ana")
    await stage.send("!sorteo remera negro M 1m", "lu")
    shown = stage.store.current_giveaway()
    assert shown is not None and shown.variant_key == "color=negro,talle=M"
    assert "Ya hay un sorteo" in await stage.say("!sorteo taza 5m", "lu")
    assert "tu propio sorteo" in await stage.say("!participo", "lu")
    assert stage.store.current_giveaway().entries == 0


async def test_a_viewer_cannot_start_or_end_one(stage: Stage) -> None:
    assert "!sorteo" in await stage.say("!sorteo taza 5m", "ana")
    assert stage.store.current_giveaway() is None
    await stage.send("!sorteo taza 5m", "lu")
    await stage.say("!sorteo fin", "ana")
    current = stage.store.current_giveaway()
    assert current is not None and current.running


async def test_cancel_gives_the_unit_back(stage: Stage) -> None:
    before = stage.store.get_product("TAZA").available
    await stage.send("!sorteo taza 5m", "lu")
    await stage.send("!participo", "ana")
    await stage.send("!sorteo cancelar", "lu")
    assert any("se anuló" in r.text for r in stage.replies)
    assert stage.store.get_product("TAZA").available == before
    assert not any(isinstance(e, GiveawayWon) for e in stage.events)


async def test_the_clock_draws_on_time(stage: Stage) -> None:
    await stage.send("!sorteo taza 1m", "lu")
    await stage.send("!participo", "ana")
    assert (await stage.clock.tick()).changed == ()
    later = datetime.now(UTC) + timedelta(minutes=2)
    drawn = stage.store.giveaway_tick(now=later)
    assert drawn.order is not None and drawn.order.viewer.display_name == "ana"
    assert drawn.changed[0].status == giveaways.DRAWN
