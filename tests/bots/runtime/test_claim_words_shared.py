"""Claim words across processes on one PostgreSQL store: the spotlight and the switch set
through one process's chat reach a router that is running in another (by the events
outbox) and one started later (from the store); two processes' viewers racing for the
last unit make one order."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.events import ClaimWordsChanged, EventBus, SpotlightChanged
from bots.runtime.leases import Leases
from bots.runtime.services import Services, Settings
from bots.runtime.shared_events import SharedEvents
from bots.testing import until
from commerce.db import upgrade
from commerce.store import Store
from commerce.views import ProductSpec
from tests.pg import fresh_database

OWNER_ID = "duena"
_ids = itertools.count(1)


class _Links:
    async def for_order(self, order: object) -> str | None:
        return "http://pay.test/x"

    async def for_tip(self, tip: object) -> str | None:
        return None

    def shown(self, code: str, url: str | None) -> str | None:
        return url


@dataclass
class Process:
    store: Store
    bus: EventBus
    shared: SharedEvents
    router: Router
    replies: list[Reply]

    async def say(self, text: str, who: str, platform: str = "twitch") -> None:
        user = ChatUser(platform, OWNER_ID if who == "lu" else f"id-{who}", who)
        message = ChatMessage(platform, f"m{next(_ids)}", "canal", user, text)
        await self.router.handle(message, self._record)

    async def _record(self, reply: Reply) -> None:
        self.replies.append(reply)

    def claims(self, text: str, platform: str = "twitch") -> str | None:
        user = ChatUser(platform, "id-x", "x")
        claim = self.router.claim_in(ChatMessage(platform, "probe", "canal", user, text))
        return None if claim is None else claim.sku


async def _process(url: str, platform: str = "twitch") -> Process:
    store = Store(url)
    bus = EventBus()
    shared = SharedEvents(store, bus, Leases(url, bus.roles, every=0.1), poll=0.2)
    bus.shared = shared
    settings = Settings(
        currency="ARS", cooldown_seconds=0.0, owner_ids={platform: frozenset({OWNER_ID})}
    )
    links = _Links()
    services = Services(store=store, links=links, settings=settings, messages=Messages(), bus=bus)
    router = Router(services)
    bus.subscribe(
        router.on_event, wants=lambda e: isinstance(e, SpotlightChanged | ClaimWordsChanged)
    )
    await router.load_live_state()
    await shared.start()
    return Process(store, bus, shared, router, [])


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database("vivo_claimwords") as fresh:
        upgrade(fresh)
        seed = Store(fresh)
        seed.sync_catalog([ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=20)])
        seed.close()
        yield fresh


@pytest.fixture
async def pair(url: str) -> AsyncIterator[tuple[Process, Process]]:
    a, b = await _process(url), await _process(url, "youtube")
    yield a, b
    for p in (a, b):
        await p.shared.stop()
        p.store.close()


async def test_the_spotlight_and_the_switch_reach_every_process(
    url: str, pair: tuple[Process, Process]
) -> None:
    a, b = pair
    assert b.claims("quiero") is None
    await a.say("!palabras on", "lu")
    await a.say("!destacar taza", "lu")
    assert a.claims("quiero") == "TAZA"
    await until(lambda: b.claims("quiero") == "TAZA", timeout=10)  # by the events outbox
    later = await _process(url, "discord")  # started after: reads the store
    try:
        assert later.claims("yo", "discord") == "TAZA"
    finally:
        await later.shared.stop()
        later.store.close()
    await a.say("!palabras off", "lu")
    await until(lambda: b.claims("quiero") is None, timeout=10)
    await a.say("!palabras on", "lu")
    await until(lambda: b.claims("quiero") == "TAZA", timeout=10)
    await a.say("!cerrar", "lu")
    await until(lambda: b.claims("quiero") is None, timeout=10)
    assert b.store.claim_words().enabled is False


async def test_two_processes_race_for_the_last_unit(pair: tuple[Process, Process]) -> None:
    a, b = pair
    a.store.set_stock("TAZA", 1)
    await a.say("!palabras on", "lu")
    await a.say("!destacar taza", "lu")
    await until(lambda: b.claims("quiero") == "TAZA", timeout=10)
    await asyncio.gather(a.say("quiero", "ana"), b.say("yo", "beto", "youtube"))
    orders = a.store.viewer_orders("twitch", "id-ana") + a.store.viewer_orders("youtube", "id-beto")
    assert len(orders) == 1
    taza = a.store.get_product("TAZA")
    assert taza.available == 0 and taza.stock == 1
