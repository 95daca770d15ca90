"""Outbox: splitting, the sliding window and priority order, against a recording adapter."""

from __future__ import annotations

import asyncio

from adapters.base import ChatUser, Inbox, Priority, Reply, SendLimits, split_text
from bots.runtime.outbox import Outbox, RateWindow


class Recorder:
    platform = "rec"

    def __init__(self, limits: SendLimits) -> None:
        self.limits = limits
        self.sent: list[Reply] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def start(self, inbox: Inbox) -> None:
        return None

    async def send(self, reply: Reply) -> None:
        await self.gate.wait()
        self.sent.append(reply)

    async def stop(self) -> None:
        return None


def test_split_prefers_word_boundaries_and_respects_limit() -> None:
    text = " ".join(f"palabra{i}" for i in range(200))
    pieces = split_text(text, 50)
    assert all(0 < len(p) <= 50 for p in pieces)
    assert " ".join(pieces) == text


def test_split_cuts_unbroken_text_hard() -> None:
    pieces = split_text("x" * 120, 50)
    assert [len(p) for p in pieces] == [50, 50, 20]


def test_split_short_text_is_one_piece() -> None:
    assert split_text("hola", 500) == ["hola"]


def test_rate_window_blocks_the_n_plus_first_send() -> None:
    now = [0.0]
    window = RateWindow(3, 30.0, clock=lambda: now[0])
    for _ in range(3):
        assert window.wait_time() == 0
        window.record()
    assert window.wait_time() == 30.0
    now[0] = 29.0
    assert window.wait_time() == 1.0
    now[0] = 30.0
    assert window.wait_time() == 0


async def test_payment_links_go_before_announcements() -> None:
    adapter = Recorder(SendLimits(max_length=100, messages=100, per_seconds=1))
    outbox = Outbox(adapter)
    adapter.gate.clear()
    outbox.start()
    await outbox.put(Reply("c", "first", priority=Priority.ANNOUNCE))
    await asyncio.sleep(0.01)  # the sender is now blocked on "first"
    await outbox.put(Reply("c", "announce", priority=Priority.ANNOUNCE))
    await outbox.put(Reply("c", "reply", priority=Priority.REPLY))
    await outbox.put(Reply("c", "link", priority=Priority.PAYMENT))
    adapter.gate.set()
    await outbox.drain()
    await outbox.stop()
    assert [r.text for r in adapter.sent] == ["first", "link", "reply", "announce"]


async def test_long_reply_is_split_leaving_room_for_the_mention() -> None:
    adapter = Recorder(SendLimits(max_length=40, messages=100, per_seconds=1))
    outbox = Outbox(adapter)
    outbox.start()
    user = ChatUser("rec", "1", "ana")
    await outbox.put(Reply("c", " ".join(["hola"] * 30), mention=user))
    await outbox.drain()
    await outbox.stop()
    assert len(adapter.sent) > 1
    assert all(len(r.text) + len("@ana ") <= 40 for r in adapter.sent)
    assert all(r.mention == user for r in adapter.sent)


async def test_never_exceeds_the_window() -> None:
    adapter = Recorder(SendLimits(max_length=100, messages=5, per_seconds=0.3))
    outbox = Outbox(adapter)
    outbox.start()
    loop = asyncio.get_running_loop()
    stamps: list[float] = []
    original = adapter.send

    async def stamped(reply: Reply) -> None:
        stamps.append(loop.time())
        await original(reply)

    adapter.send = stamped  # type: ignore[method-assign]
    for i in range(12):
        await outbox.put(Reply("c", f"m{i}"))
    await outbox.drain()
    await outbox.stop()
    assert len(adapter.sent) == 12
    for i in range(len(stamps) - 5):
        assert stamps[i + 5] - stamps[i] >= 0.3 - 1e-3
