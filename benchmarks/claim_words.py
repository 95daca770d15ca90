"""Claim words: what the router spends on an ordinary chat line, with claim words off and on.

Ordinary lines are what a live chat is mostly made of (greetings, laughter, questions,
emoji, long sentences): none is a command and none is a claim. Each is timed through the
two calls the runtime makes for every line (`Router.is_command`, then `Router.handle`,
which returns False), best of `--rounds` rounds, with claim words off, then on with a
product with sizes on the spotlight. Nothing here touches the database.

Prints a few human lines, then one JSON object as the last line:
off_us_per_line, on_us_per_line (is_command + handle), off_is_command_us,
on_is_command_us, lines, short_share (the share of lines short enough to be folded).

    python benchmarks/claim_words.py [--lines 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import ChatMessage, ChatUser, Reply
from bots.chat.claim_words import MAX_CHARS
from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.services import Services, Settings
from commerce.live_state import ClaimWordsState
from commerce.store import Store
from commerce.views import ProductSpec, VariantSpec

CHATTER = (
    "hola!!",
    "jajaja",
    "jajajaja qué buena onda",
    "buenas noches desde Córdoba 👋",
    "cuánto sale el envío a Rosario?",
    "❤️❤️❤️",
    "lol",
    "first time here, love the vibe",
    "qué lindo color ese",
    "oi gente",
    "kkkkkk",
    "alguien más viene del tiktok?",
    "GG",
    "tenés en verde?",
    "saludos a todos los del chat, los quiero mucho, gracias por el stream de hoy",
    "jaja sí",
    "wow",
    "que hermoso",
    "boa noite!",
    "la remera negra es re linda",
)


class _Links:
    async def for_order(self, order: object) -> str | None:
        return None

    async def for_tip(self, tip: object) -> str | None:
        return None

    def shown(self, code: str, url: str | None) -> str | None:
        return url


async def _nothing(reply: Reply) -> None:
    return None


def _time(router: Router, messages: list[ChatMessage], rounds: int) -> tuple[float, float]:
    """Best µs per line for is_command alone, and for is_command + handle."""

    async def both() -> float:
        started = time.perf_counter()
        for message in messages:
            if router.is_command(message):
                raise AssertionError(f"{message.text!r} was taken for a command")
            await router.handle(message, _nothing)
        return time.perf_counter() - started

    def alone() -> float:
        started = time.perf_counter()
        for message in messages:
            router.is_command(message)
        return time.perf_counter() - started

    checks = min(alone() for _ in range(rounds))
    full = min(asyncio.run(both()) for _ in range(rounds))
    per = 1e6 / len(messages)
    return checks * per, full * per


def run(lines: int, rounds: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        sizes = tuple(VariantSpec({"talle": t}, stock=50) for t in ("S", "M", "L", "XL"))
        store.sync_catalog([ProductSpec("REM", "Remera", Decimal("15000"), "ARS", variants=sizes)])
        services = Services(
            store=store, links=_Links(), settings=Settings(), messages=Messages(), bus=None
        )
        router = Router(services)
        user = ChatUser("twitch", "v1", "ana")
        messages = [
            ChatMessage("twitch", f"m{i}", "canal", user, CHATTER[i % len(CHATTER)])
            for i in range(lines)
        ]
        off = _time(router, messages, rounds)
        router.set_spotlight(store.get_product("REM"))
        router.set_claim_words(ClaimWordsState(True, None))
        on = _time(router, messages, rounds)
        store.close()
    short = sum(len(t) <= MAX_CHARS for t in CHATTER) / len(CHATTER)
    return {
        "lines": lines,
        "off_us_per_line": round(off[1], 3),
        "on_us_per_line": round(on[1], 3),
        "off_is_command_us": round(off[0], 3),
        "on_is_command_us": round(on[0], 3),
        "short_share": round(short, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = run(args.lines, args.rounds)
    print(f"{result['lines']} ordinary chat lines, best of {args.rounds} rounds:")
    print(
        f"  claim words off: {result['off_us_per_line']} µs/line "
        f"(is_command {result['off_is_command_us']} µs)"
    )
    print(
        f"  claim words on:  {result['on_us_per_line']} µs/line "
        f"(is_command {result['on_is_command_us']} µs; "
        f"{result['short_share']:.0%} of lines short enough to be looked at)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
