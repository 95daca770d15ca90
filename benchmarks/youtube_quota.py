"""A two-hour YouTube stream on the day's 10,000 units: does every buyer get a link?

The real adapter (google-api-python-client over loopback HTTP) reads and writes the
stand-in's chat, which meters units at YouTube's prices and answers `quotaExceeded` when
they run out. The clock is scaled (`--scale`, default 200: two simulated hours take about
36 s): the adapter's and the planner's sleeps and times are simulated seconds, the
stand-in's meter is exact.

Chat: `--messages` lines (default 5,000) spread at random over the stream, `--purchases`
of them (default 300) `!comprar` from distinct buyers. A stand-in for the bot answers each
purchase the way Vivo's does (es templates): "¡Reservado!…" at once, the payment link
1–3 s later (a MercadoPago-length URL), and the thank-you 30–240 s after that, all through
the generic Outbox into the adapter. A buyer is served when a message carrying their link
reached the chat.

Prints a few human lines, then one JSON object as the last line: units_spent,
buyers_served, messages_sent, and more.

    python benchmarks/youtube_quota.py [--messages 5000] [--purchases 300] [--scale 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from google.oauth2.credentials import Credentials

from adapters.base import ChatMessage, ChatUser, PlatformTip, Priority, Reply
from adapters.youtube import YouTubeAdapter
from adapters.youtube_quota import QuotaPlanner, ScaledClock
from bots.chat.i18n import Messages, Verbatim
from bots.runtime.outbox import Outbox
from sandbox.youtube import YouTubeStandIn

TOKEN = "ya29.bench"
LOCALE = Path(__file__).resolve().parent.parent / "bots" / "locales" / "es.toml"


class ShopStandIn:
    """Answers purchases the way the bot does, with the bot's Spanish templates."""

    def __init__(self, outbox: Outbox, clock: ScaledClock, rng: random.Random) -> None:
        self.outbox = outbox
        self.clock = clock
        self.rng = rng
        self.messages = Messages()
        self.links: dict[str, str] = {}  # buyer name → their link
        self.tasks: set[asyncio.Task[None]] = set()

    async def inbox(self, event: ChatMessage | PlatformTip) -> None:
        if isinstance(event, ChatMessage) and event.text.startswith("!comprar"):
            task = asyncio.get_running_loop().create_task(self.purchase(event))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def purchase(self, message: ChatMessage) -> None:
        buyer = ChatUser(message.platform, message.author.id, message.author.name)
        code = uuid.uuid4().hex[:8].upper()
        reserved = self.messages.t(
            "es",
            "order_reserved",
            items="Remera Vivo (M)",
            total="$ 15.000,00",
            code=code,
            minutes=15,
        )
        await self.outbox.put(Reply(message.channel, reserved, mention=message.author))
        await self.clock.sleep(self.rng.uniform(1, 3))
        url = (
            f"https://www.mercadopago.com.ar/checkout/v1/redirect?pref_id=1234567890-{uuid.uuid4()}"
        )
        self.links[buyer.name] = url
        text = self.messages.t(
            "es", "link_ready", name=buyer.name, url=Verbatim(url), code=code, minutes=15
        )
        await self.outbox.put(
            Reply(message.channel, text, mention=buyer, private=True, priority=Priority.PAYMENT)
        )
        await self.clock.sleep(self.rng.uniform(30, 240))
        thanks = self.messages.t(
            "es", "order_paid_thanks", name=buyer.name, code=code, product="Remera Vivo"
        )
        await self.outbox.put(
            Reply(message.channel, thanks, mention=buyer, priority=Priority.ANNOUNCE)
        )


def script(
    messages: int, purchases: int, seconds: float, rng: random.Random
) -> list[tuple[float, str, str]]:
    """(simulated time, user, text), sorted; purchases leave the last 10 minutes quiet."""
    lines = []
    chatter = ["jaja", "hola!!", "qué lindo", "¿cuánto sale la taza?", "saludos desde Rosario"]
    for n in range(messages - purchases):
        lines.append((rng.uniform(0, seconds), f"viewer{n % 900}", rng.choice(chatter)))
    for n in range(purchases):
        lines.append((rng.uniform(0, seconds - 600), f"buyer{n:03d}", "!comprar remera M"))
    return sorted(lines)


async def run(
    messages: int, purchases: int, hours: float, scale: float, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    stand_in = YouTubeStandIn(access_token=TOKEN, polling_interval_ms=1000)
    app = web.Application()
    stand_in.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]

    clock = ScaledClock(scale)
    seconds = hours * 3600
    planner = QuotaPlanner(daily_budget=10_000, stream_seconds=seconds, clock=clock)
    adapter = YouTubeAdapter(
        Credentials(token=TOKEN), endpoint=f"http://{host}:{port}/youtube", planner=planner
    )
    outbox = Outbox(adapter)
    shop = ShopStandIn(outbox, clock, rng)
    outbox.start()
    started = time.monotonic()
    await adapter.start(shop.inbox)
    for at, user, text in script(messages, purchases, seconds, rng):
        wait = at - clock.now()
        if wait > 0:
            await clock.sleep(wait)
        stand_in.say(user, text)
    await clock.sleep(max(0.0, seconds - clock.now()))
    settle = clock.now() + 600  # ten simulated minutes for what is still queued
    while not (adapter.idle and outbox.idle) and clock.now() < settle:
        await clock.sleep(5)
    wall = time.monotonic() - started
    await adapter.stop()
    await outbox.stop()
    for task in list(shop.tasks):
        task.cancel()
    await runner.cleanup()

    sent = [m["text"] for m in stand_in.sent]
    served = sum(1 for url in shop.links.values() if any(url in text for text in sent))
    thanked = sum(1 for name in shop.links if any(f"¡Gracias @{name}!" in t for t in sent))
    return {
        "units_spent": stand_in.spent,
        "budget": stand_in.daily_quota,
        "buyers": purchases,
        "buyers_served": served,
        "buyers_thanked": thanked,
        "messages_sent": len(sent),
        "polls": stand_in.calls.get("liveChatMessages.list", 0),
        "replies_dropped": adapter.replies_dropped,
        "replies_folded": adapter.replies_folded,
        "planner_spent": planner.spent,
        "quota_exceeded": planner.exhausted,
        "simulated_hours": hours,
        "wall_seconds": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--purchases", type=int, default=300)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--scale", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = asyncio.run(run(args.messages, args.purchases, args.hours, args.scale, args.seed))
    print(
        f"{result['simulated_hours']} h stream, {args.messages} chat lines, {args.purchases} "
        f"purchases: {result['units_spent']}/{result['budget']} units, "
        f"{result['buyers_served']} buyers got their link, {result['buyers_thanked']} thanked, "
        f"{result['messages_sent']} messages, {result['polls']} polls "
        f"({result['wall_seconds']} s wall clock)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
