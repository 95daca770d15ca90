"""The Twitch adapter's pacing and coalescing, on a simulated clock (no sockets, no sleeping)."""

from __future__ import annotations

import random
import re

from adapters.base import ChatUser, Priority, Reply
from adapters.twitch import ChatPacer

CHANNEL = "141981764"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def buyer(n: int) -> ChatUser:
    return ChatUser("twitch", str(n), f"fan_{n:04d}")


def link(n: int) -> Reply:
    return Reply(
        CHANNEL,
        f"fan_{n:04d}, aquí está tu link de pago (C{n:05d}): https://vivo.ar/p/C{n:05d} — vence.",
        mention=buyer(n),
        priority=Priority.PAYMENT,
    )


def run(
    pacer: ChatPacer, clock: Clock, arrivals: list[tuple[float, Reply]]
) -> list[tuple[float, str]]:
    """Drive the pacer the way the adapter does; returns (time, text) of every message."""
    sent: list[tuple[float, str]] = []
    queue = sorted(arrivals, key=lambda a: a[0])
    while queue or pacer.pending:
        while queue and queue[0][0] <= clock.now:
            pacer.add(queue.pop(0)[1])
        delay = pacer.delay()
        next_arrival = queue[0][0] if queue else None
        if delay == 0:
            batch = pacer.take()
            pacer.record()
            sent.append((clock.now, batch.text))
            clock.now += 0.004  # one Helix round trip
            continue
        candidates = [t for t in (next_arrival, None if delay is None else clock.now + delay) if t]
        clock.now = max(clock.now, min(candidates))
    return sent


def max_in_window(times: list[float], seconds: float) -> int:
    return max(sum(1 for t in times if start <= t < start + seconds) for start in times)


def test_a_rush_never_exceeds_the_window_and_every_buyer_gets_a_link() -> None:
    for elevated, limit in ((True, 100), (False, 20)):
        clock = Clock()
        pacer = ChatPacer(clock=clock)
        pacer.elevated = elevated
        rng = random.Random(7)
        arrivals = [(rng.uniform(0, 10), link(n)) for n in range(1000)]
        sent = run(pacer, clock, arrivals)
        assert max_in_window([t for t, _ in sent], 30.0) <= limit
        assert all(len(text) <= 500 for _, text in sent)
        codes = [int(code) for _, text in sent for code in re.findall(r"/p/C(\d{5})", text)]
        assert sorted(codes) == list(range(1000))
        for _, text in sent:
            for code in re.findall(r"/p/C(\d{5})", text):
                assert f"@fan_{int(code):04d} " in text


def test_a_moderator_bot_serves_a_thousand_buyers_within_the_first_window() -> None:
    clock = Clock()
    pacer = ChatPacer(clock=clock)
    pacer.elevated = True
    arrivals = [(n / 100, link(n)) for n in range(1000)]
    sent = run(pacer, clock, arrivals)
    assert sent[-1][0] < 30.0
    assert len(sent) <= 100


def test_a_lone_reply_leaves_at_once_with_its_full_text() -> None:
    clock = Clock()
    pacer = ChatPacer(clock=clock)
    pacer.add(link(1))
    assert pacer.delay() == 0
    batch = pacer.take()
    assert batch.text.startswith("@fan_0001 fan_0001, aquí está tu link de pago")
    assert pacer.delay() is None


def test_payment_links_go_before_announcements_in_a_shared_message() -> None:
    clock = Clock()
    pacer = ChatPacer(clock=clock)
    pacer.add(
        Reply(CHANNEL, "¡Gracias por tu compra!", mention=buyer(9), priority=Priority.ANNOUNCE)
    )
    pacer.add(link(1))
    pacer.add(link(2))
    text = pacer.take().text
    assert text.index("@fan_0001 https://vivo.ar/p/C00001") < text.index("@fan_0009")
    assert text.index("@fan_0002 https://vivo.ar/p/C00002") < text.index("@fan_0009")


def test_replies_sharing_a_coalesce_key_become_one_line() -> None:
    clock = Clock()
    pacer = ChatPacer(clock=clock)
    for n in (1, 2, 3):
        pacer.add(Reply(CHANNEL, "Se agotó la remera M.", mention=buyer(n), coalesce_key="agotado"))
    assert pacer.take().text == "@fan_0001 @fan_0002 @fan_0003: Se agotó la remera M."


def test_a_long_reply_is_split_at_500_characters_on_a_word_boundary() -> None:
    clock = Clock()
    pacer = ChatPacer(clock=clock)
    words = " ".join(f"palabra{n}" for n in range(120))
    pacer.add(Reply(CHANNEL, words))
    pieces = []
    while pacer.delay() is not None:
        pieces.append(pacer.take().text)
    assert len(pieces) == 3
    assert all(len(piece) <= 500 for piece in pieces)
    assert " ".join(pieces) == words


def test_after_twitch_says_too_fast_nothing_leaves_until_the_window_clears() -> None:
    clock = Clock()
    pacer = ChatPacer(clock=clock)
    pacer.elevated = True
    pacer.add(link(1))
    pacer.exhaust()
    delay = pacer.delay()
    assert delay is not None and delay > 30.0
