"""Events between processes through PostgreSQL: each role once, every web listener, catch-up.

Two "processes" here are two buses, each with its own store, leases and listening
connection, on one fresh database: what matters between processes is the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest

from bots.runtime.events import Event, EventBus, GoalChanged
from bots.runtime.leases import Leases
from bots.runtime.shared_events import SharedEvents
from commerce.db import upgrade
from commerce.money import Money
from commerce.store import Store
from tests.pg import fresh_database


@dataclass(frozen=True, slots=True)
class Shouted:
    """A new event kind, defined here, with no registration anywhere."""

    words: str
    loudness: Decimal


@dataclass
class Process:
    store: Store
    bus: EventBus
    leases: Leases
    shared: SharedEvents
    heard: list[object]
    thanked: list[object]

    async def start(self) -> None:
        for role in self.bus.roles():
            await asyncio.to_thread(self.store.event_cursor, role)
        await self.shared.start()
        self.leases.start()

    async def stop(self) -> None:
        await self.leases.stop()
        await self.shared.stop()
        self.store.close()


def _process(url: str, *, web: bool = True, chat: bool = True) -> Process:
    store = Store(url)
    bus = EventBus()
    leases = Leases(url, bus.roles, every=0.1)
    shared = SharedEvents(store, bus, leases, poll=0.2)
    bus.shared = shared
    heard: list[object] = []
    thanked: list[object] = []

    async def hear(event: Event) -> None:
        heard.append(event)

    async def thank(event: Event) -> None:
        thanked.append(event)

    if web:
        bus.subscribe(hear)
    if chat:
        bus.subscribe(thank, role="chat:twitch")
    return Process(store, bus, leases, shared, heard, thanked)


@pytest.fixture
def url() -> Iterator[str]:
    with fresh_database("vivo_events") as fresh:
        upgrade(fresh)
        yield fresh


@pytest.fixture
async def two(url: str) -> AsyncIterator[tuple[Process, Process]]:
    first, second = _process(url), _process(url)
    await first.start()
    await second.start()
    yield first, second
    await first.stop()
    await second.stop()


async def _until(condition: object, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("never happened")


async def test_every_process_hears_each_event_and_one_plays_each_role(
    two: tuple[Process, Process],
) -> None:
    first, second = two
    goals = [GoalChanged(Money(Decimal(n), "ARS")) for n in range(1, 21)]
    for n, goal in enumerate(goals):
        await (first if n % 2 else second).bus.publish(goal)
    await _until(lambda: len(first.heard) == len(second.heard) == len(goals))
    await _until(lambda: len(first.thanked) + len(second.thanked) == len(goals))
    await asyncio.sleep(0.5)  # nobody delivers any of them a second time
    assert first.heard == second.heard == goals
    assert sorted(first.thanked + second.thanked, key=goals.index) == goals
    assert not (first.thanked and second.thanked)  # one process holds the role


async def test_a_new_event_class_crosses_as_it_is(two: tuple[Process, Process]) -> None:
    first, second = two
    await first.bus.publish(Shouted("¡hola!", Decimal("9.50")))  # type: ignore[arg-type]
    await _until(lambda: second.heard)
    assert second.heard == [Shouted("¡hola!", Decimal("9.50"))]


async def test_a_role_catches_up_on_what_happened_while_it_was_away(url: str) -> None:
    web = _process(url, chat=False)
    await web.start()
    chat = _process(url, web=False)
    await chat.start()
    await _until(lambda: chat.leases.holds("chat:twitch"))
    await chat.stop()  # the only process that thanks goes away…
    missed = [GoalChanged(Money(Decimal(n), "ARS")) for n in (7, 8, 9)]
    for goal in missed:
        await web.bus.publish(goal)
    await _until(lambda: len(web.heard) == 3)
    back = _process(url, web=False)  # …and comes back (or another takes its place)
    await back.start()
    await _until(lambda: len(back.thanked) == 3)
    assert back.thanked == missed
    await back.stop()
    await web.stop()


async def test_a_role_moves_to_another_process_when_its_holder_goes(
    two: tuple[Process, Process],
) -> None:
    first, second = two
    await _until(lambda: first.leases.holds("chat:twitch") or second.leases.holds("chat:twitch"))
    holder, other = (first, second) if first.leases.holds("chat:twitch") else (second, first)
    await holder.leases.stop()  # its session ends, as a killed process's does
    await _until(lambda: other.leases.holds("chat:twitch"))
    goal = GoalChanged(Money(Decimal("5"), "ARS"))
    await holder.bus.publish(goal)
    await _until(lambda: other.thanked == [goal])
    assert holder.thanked == []
