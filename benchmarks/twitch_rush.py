"""Twitch rush: N buyers type `!comprar` within S seconds; how long until the last has a link?

Real twitchio in the Twitch adapter, the Twitch stand-in enforcing Twitch's chat limits
(20 or 100 messages per 30 s), over loopback sockets. A small in-process inbox answers each
buyer with their own short payment link, the way the bot does. Prints a few human lines,
then one JSON object as the last line: buyers, seconds, moderator, last_link_s (from the
first `!comprar` to the moment the stand-in accepted the message carrying the last link),
p50_link_s, messages, violations, links_missing.

    python benchmarks/twitch_rush.py [--buyers 1000] [--seconds 10] [--not-moderator]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import ChatMessage, PlatformTip, Priority, Reply
from adapters.twitch import TwitchAdapter
from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, Tokens
from sandbox.twitch import TwitchStandIn

LINK = re.compile(r"https://vivo\.ar/p/(\w+)")


async def token(
    http: aiohttp.ClientSession, url: str, user: str, scopes: tuple[str, ...]
) -> Tokens:
    body = {"user": user, "scopes": list(scopes)}
    async with http.post(f"{url}/_sandbox/twitch/token", json=body) as response:
        data = await response.json()
    return Tokens(data["access_token"], data["refresh_token"], tuple(data["scope"]))


async def rush(buyers: int, seconds: float, moderator: bool) -> dict[str, Any]:
    twitch = TwitchStandIn(bot_is_moderator=moderator)
    app = web.Application()
    twitch.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    url = f"http://{host}:{port}"
    async with aiohttp.ClientSession() as http:
        adapter = TwitchAdapter(
            twitch.client_id,
            twitch.client_secret,
            bot_token=await token(http, url, twitch.bot.login, BOT_SCOPES),
            broadcaster_token=await token(http, url, twitch.broadcaster.login, BROADCASTER_SCOPES),
            channel=twitch.broadcaster.login,
            endpoint=f"{url}/twitch",
        )

        async def inbox(event: ChatMessage | PlatformTip) -> None:
            if isinstance(event, ChatMessage) and event.text.startswith("!comprar"):
                code = "P" + event.author.id[-6:]
                text = f"{event.author.name}, tu link de pago ({code}): https://vivo.ar/p/{code}"
                reply = Reply(event.channel, text, mention=event.author, priority=Priority.PAYMENT)
                await adapter.send(reply)

        await adapter.start(inbox)
        said: dict[str, float] = {}
        try:
            loop = asyncio.get_running_loop()
            begin = loop.time()
            for n in range(buyers):
                await asyncio.sleep(max(0.0, begin + n * seconds / buyers - loop.time()))
                body = {"user": f"fan_{n:04d}", "text": "!comprar gorra"}
                async with http.post(f"{url}/_sandbox/twitch/say", json=body) as response:
                    await response.read()
                said["P" + twitch.user(f"fan_{n:04d}").id[-6:]] = twitch.elapsed()
            while len(linked(twitch)) < buyers and loop.time() - begin < seconds + 300:
                await asyncio.sleep(0.05)
        finally:
            await adapter.stop()
            await twitch.close()
            await runner.cleanup()
    got = linked(twitch)
    waits = [got[code] - said[code] for code in said if code in got]
    first = min(said.values())
    return {
        "buyers": buyers,
        "seconds": seconds,
        "moderator": moderator,
        "last_link_s": round(max(got.values()) - first, 3) if got else None,
        "p50_link_s": round(statistics.median(waits), 3) if waits else None,
        "messages": sum(1 for m in twitch.sent if m["is_sent"]),
        "violations": len(twitch.violations),
        "links_missing": buyers - len(got),
    }


def linked(twitch: TwitchStandIn) -> dict[str, float]:
    """Link code → when the stand-in accepted the message that carried it."""
    return {
        code: message["t"]
        for message in twitch.sent
        if message["is_sent"]
        for code in LINK.findall(message["message"])
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--not-moderator", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(rush(args.buyers, args.seconds, not args.not_moderator))
    role = "moderator" if result["moderator"] else "not a moderator"
    print(f"{result['buyers']} buyers in {result['seconds']} s, bot {role}:")
    print(
        f"  last link after {result['last_link_s']} s (median wait {result['p50_link_s']} s), "
        f"{result['messages']} chat messages, {result['violations']} rate-limit violations, "
        f"{result['links_missing']} buyers without a link"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
