"""Claim words through the router on each platform: off by default, `!palabras on`, then
`quiero` (or a size alone) buys the spotlighted product exactly as `!comprar` would —
same replies, same languages, same sold-out offer — once per viewer per product every
`repeat_seconds`, and nothing at all is said without a spotlight or with the store closed."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chat_helpers import Clock, Links

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.events import ClaimWordsChanged, EventBus, SpotlightChanged
from bots.runtime.services import ClaimWordsSettings, Services, Settings
from commerce.live_state import ClaimWordsState
from commerce.views import OrderStatus

PLATFORMS = ("twitch", "youtube", "discord", "telegram", "console")
OWNER_ID = "duena"


class Stage:
    """One platform's command layer on a real EventBus, with a hand-moved clock."""

    def __init__(self, store: Any, platform: str, **claim: Any) -> None:
        self.platform = platform
        self.store = store
        self.links = Links()
        self.bus = EventBus()
        self.clock = Clock()
        self.events: list[object] = []
        settings = Settings(
            currency="ARS",
            locale="es",
            cooldown_seconds=2.0,
            owner_ids={platform: frozenset({OWNER_ID})},
        )
        services = Services(
            store=store,
            links=self.links,
            settings=settings,
            messages=Messages(),
            bus=self.bus,
            claim_words=ClaimWordsSettings(**claim),
        )
        self.router = Router(services, clock=self.clock)
        self.bus.subscribe(self._event)
        self.replies: list[Reply] = []
        self._ids = itertools.count(1)

    async def _event(self, event: object) -> None:
        self.events.append(event)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    def message(self, text: str, who: str, locale: str | None = None) -> ChatMessage:
        user_id = OWNER_ID if who == "lu" else f"id-{who}"
        user = ChatUser(self.platform, user_id, who, locale=locale)
        return ChatMessage(self.platform, f"m{next(self._ids)}", "canal", user, text)

    async def send(
        self, text: str, who: str = "ana", *, wait: float = 60.0, locale: str | None = None
    ) -> list[Reply]:
        self.clock.advance(wait)
        message = self.message(text, who, locale)
        before = len(self.replies)
        self.handled = await self.router.handle(message, self._record)
        return [r for r in self.replies[before:] if r.reply_to is message]

    async def public(self, text: str, who: str = "ana", **kw: Any) -> list[str]:
        return [r.text for r in await self.send(text, who, **kw) if not r.private]

    async def live(self, product: str = "taza") -> None:
        await self.send("!palabras on", "lu")
        await self.send(f"!destacar {product}", "lu")

    def orders(self, who: str = "ana") -> list[Any]:
        return self.store.viewer_orders(self.platform, f"id-{who}", limit=20)


@pytest.fixture(params=PLATFORMS)
def stage(request: pytest.FixtureRequest, store: Any) -> Stage:
    return Stage(store, request.param)


async def test_off_by_default_a_claim_word_is_just_chat(stage: Stage) -> None:
    await stage.send("!destacar taza", "lu")
    assert await stage.send("quiero") == [] and stage.handled is False
    assert stage.router.is_command(stage.message("quiero", "ana")) is False
    assert stage.orders() == []
    state = await stage.public("!palabras", "lu")
    assert len(state) == 1 and "apagadas" in state[0] and "quiero" in state[0]


async def test_quiero_buys_the_spotlight_like_comprar(stage: Stage) -> None:
    on = await stage.public("!palabras on", "lu")
    assert "encendidas" in on[0] and "no hay nada destacado" in on[0]
    await stage.send("!destacar taza", "lu")
    assert "Taza" in (await stage.public("!palabras", "lu"))[0]
    assert stage.router.is_command(stage.message("¡QUIERO!", "ana"))
    replies = await stage.send("¡QUIERO!")
    assert stage.handled is True
    said = [r.text for r in replies if not r.private]
    assert len(said) == 1 and said[0].startswith("¡Reservado! 1× Taza")
    link = [r for r in replies if r.private]
    assert len(link) == 1 and "http://pay.test/" in link[0].text
    by_command = await stage.public("!comprar TAZA", "beto")
    code_a, code_b = stage.orders()[0].code, stage.orders("beto")[0].code
    assert said[0].replace(code_a, "X") == by_command[0].replace(code_b, "X")
    assert stage.store.get_product("TAZA").available == 18
    # chatter stays chatter
    assert await stage.send("jajaja qué linda la taza") == [] and stage.handled is False
    assert await stage.send("hola") == [] and stage.handled is False


async def test_a_repeated_claim_within_the_window_buys_once(stage: Stage) -> None:
    await stage.live()
    await stage.send("quiero")
    assert await stage.send("quiero", wait=1) == []
    assert await stage.send("yo", wait=5) == []
    assert await stage.send("mío!!", wait=8) == []  # 14 s after the first: still ignored
    assert stage.store.get_product("TAZA").available == 19
    again = await stage.public("quiero", wait=2)  # 16 s: a second unit, joining the cart
    assert len(again) == 1 and "2× Taza" in again[0]
    orders = stage.orders()
    assert len(orders) == 1 and orders[0].status is OrderStatus.PENDING
    assert stage.store.get_product("TAZA").available == 18
    # another viewer is not held back by the first one's window
    assert len(await stage.public("yo", "beto", wait=1)) == 1


async def test_the_claim_word_chooses_the_reply_language(stage: Stage) -> None:
    await stage.live()
    en = await stage.public("mine", "ann")
    assert en[0].startswith("Reserved! 1× Taza") and "you have" in en[0]
    pt = await stage.public("quero", "joao")
    assert pt[0].startswith("Reservado! 1× Taza") and "você tem" in pt[0]
    es = await stage.public("quiero", "ana")
    assert es[0].startswith("¡Reservado! 1× Taza") and "tienes" in es[0]


async def test_a_size_alone_buys_that_variant(stage: Stage) -> None:
    await stage.live("remera")
    asked = await stage.public("M")  # remera has talle and color: which one?
    assert len(asked) == 1 and "negro" in asked[0] and "blanco" in asked[0]
    bought = await stage.public("negro M", "beto")
    assert len(bought) == 1 and "Remera" in bought[0] and "negro M" in bought[0]
    assert await stage.public("quiero blanco L", "caro") != []
    remera = stage.store.get_product("REM")
    left = {v.key: v.available for v in remera.variants}
    assert left["color=negro,talle=M"] == 4 and left["color=blanco,talle=L"] == 4


async def test_sold_out_offers_the_waitlist_as_comprar_does(stage: Stage) -> None:
    await stage.live("llavero")
    said = await stage.public("quiero")
    by_command = await stage.public("!comprar LLAVERO", "beto")
    assert len(said) == 1 and "se agotó" in said[0]
    assert said[0].replace("ana", "X") == by_command[0].replace("beto", "X")


async def test_nothing_is_said_without_a_spotlight_or_with_the_store_closed(
    stage: Stage,
) -> None:
    await stage.send("!palabras on", "lu")
    assert await stage.send("quiero") == [] and stage.handled is False
    await stage.send("!destacar taza", "lu")
    stage.store.set_open(False)  # closed elsewhere (the panel, another process)
    assert await stage.send("quiero") == []
    assert stage.orders() == []
    stage.store.set_open(True)
    await stage.send("!palabras on", "lu")
    await stage.send("!destacar off", "lu")
    assert await stage.send("quiero") == [] and stage.handled is False


async def test_cerrar_and_palabras_off_turn_them_off_everywhere(stage: Stage) -> None:
    await stage.live()
    await stage.send("!cerrar", "lu")
    assert stage.store.claim_words().enabled is False
    assert ClaimWordsChanged(False) in stage.events
    await stage.send("!abrir", "lu")
    assert await stage.send("quiero") == [] and stage.handled is False
    await stage.send("!claimwords on", "lu")
    assert stage.store.claim_words().enabled is True
    off = await stage.public("!palavras off", "lu")
    assert "desligadas" in off[0]
    assert await stage.send("quiero") == [] and stage.orders() == []


async def test_viewers_cannot_switch_them_and_bad_words_are_answered(stage: Stage) -> None:
    refused = await stage.public("!palabras on", "ana")
    assert len(refused) == 1 and stage.store.claim_words().enabled is False
    usage = await stage.public("!palabras quizas", "lu")
    assert "!palabras on" in usage[0]


async def test_a_stale_switch_turns_itself_off(stage: Stage) -> None:
    await stage.live()
    past = datetime.now(UTC) - timedelta(minutes=1)
    stage.router.set_claim_words(ClaimWordsState(True, past))
    assert await stage.send("quiero") == []
    assert stage.router.claim_in(stage.message("quiero", "ana")) is None
    assert stage.orders() == []


async def test_events_and_the_store_drive_the_router(stage: Stage, store: Any) -> None:
    """A router built later reads the state from the store; a running one follows events."""
    await stage.live()
    later = Stage(store, stage.platform)
    assert later.router.claim_in(later.message("quiero", "ana")) is None
    await later.router.load_live_state()
    claim = later.router.claim_in(later.message("quiero", "ana"))
    assert claim is not None and claim.sku == "TAZA"
    await later.router.on_event(SpotlightChanged(store.get_product("REM")))
    moved = later.router.claim_in(later.message("yo", "ana"))
    assert moved is not None and moved.sku == "REM"
    await later.router.on_event(ClaimWordsChanged(False))
    assert later.router.claim_in(later.message("yo", "ana")) is None


async def test_two_viewers_race_for_the_last_unit(store: Any) -> None:
    stage = Stage(store, "twitch")
    store.set_stock("TAZA", 1)
    await stage.live()
    stage.clock.advance(60)
    first, second = stage.message("quiero", "ana"), stage.message("yo", "beto")
    await asyncio.gather(
        stage.router.handle(first, stage._record), stage.router.handle(second, stage._record)
    )
    orders = stage.orders("ana") + stage.orders("beto")
    assert len(orders) == 1
    taza = store.get_product("TAZA")
    assert taza.available == 0 and taza.stock == 1
    texts = [r.text for r in stage.replies if not r.private and r.reply_to in (first, second)]
    assert sum("se agotó" in t for t in texts) == 1
