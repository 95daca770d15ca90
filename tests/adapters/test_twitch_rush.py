"""A rush of buyers through real twitchio and the stand-in: all get a link, none is blocked.

The stand-in enforces Twitch's chat limits and counts every message over them; the adapter
must serve the whole rush with zero violations. How long the last buyer waited is reported
by `make bench` (benchmarks/twitch_rush.py), not asserted here.
"""

from __future__ import annotations

import asyncio
import re

from adapters.base import ChatMessage, PlatformTip, Priority, Reply
from sandbox.twitch import TwitchStandIn
from tests.adapters.twitch_support import Heard, running, started, until

LINK = re.compile(r"https://vivo\.ar/p/(\w+)")


def code_for(login: str) -> str:
    return "P" + login.removeprefix("fan_")


async def rush(buyers: int, seconds: float, *, moderator: bool) -> None:
    async with running(TwitchStandIn(bot_is_moderator=moderator)) as rig:
        adapter = await rig.adapter()

        async def answer(event: ChatMessage | PlatformTip) -> None:
            assert isinstance(event, ChatMessage)
            code = code_for(event.author.name)
            text = f"{event.author.name}, tu link de pago ({code}): https://vivo.ar/p/{code}"
            await adapter.send(
                Reply(
                    event.channel,
                    text,
                    mention=event.author,
                    private=True,
                    priority=Priority.PAYMENT,
                    reply_to=event,
                )
            )

        heard = Heard(reply=answer)
        async with started(adapter, heard):
            loop = asyncio.get_running_loop()
            begin = loop.time()
            for n in range(buyers):
                await asyncio.sleep(max(0.0, begin + n * seconds / buyers - loop.time()))
                await rig.control("POST", "say", {"user": f"fan_{n:04d}", "text": "!comprar gorra"})
            await until(lambda: len(heard.messages) == buyers)
            assert await adapter.drain(60)
            sent = [m for m in await rig.sent() if m["is_sent"]]

        assert await rig.violations() == []
        assert all(len(m["message"]) <= 500 for m in sent)
        links = [code for m in sent for code in LINK.findall(m["message"])]
        assert sorted(links) == sorted(code_for(f"fan_{n:04d}") for n in range(buyers))
        for message in sent:
            for code in LINK.findall(message["message"]):
                assert f"@fan_{code.removeprefix('P')} " in message["message"]
        limit = 100 if moderator else 20
        assert len(sent) <= limit


async def test_a_thousand_buyers_in_ten_seconds_with_a_moderator_bot() -> None:
    await rush(1000, 10.0, moderator=True)


async def test_a_burst_of_buyers_with_a_bot_that_is_not_a_moderator() -> None:
    await rush(120, 2.0, moderator=False)
