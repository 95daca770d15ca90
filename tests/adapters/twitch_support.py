"""A Twitch rig for tests: the stand-in on its own loopback server, real twitchio in the adapter.

`Rig.control` talks to the stand-in's control API the way the demo and a person would;
nothing here reaches into the adapter's insides to make things happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from adapters.base import ChatMessage, PlatformTip
from adapters.twitch import BitsValue, TwitchAdapter
from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, Tokens
from sandbox.twitch import TwitchStandIn

DEADLINE = 20.0


async def until(condition: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    async def check() -> Any:
        while not (value := condition()):
            await asyncio.sleep(0.02)
        return value

    return await asyncio.wait_for(check(), timeout)


@dataclass
class Heard:
    """An inbox that records what the adapter delivered."""

    events: list[ChatMessage | PlatformTip] = field(default_factory=list)
    reply: Callable[[ChatMessage | PlatformTip], Any] | None = None

    async def __call__(self, event: ChatMessage | PlatformTip) -> None:
        self.events.append(event)
        if self.reply is not None:
            await self.reply(event)

    @property
    def messages(self) -> list[ChatMessage]:
        return [e for e in self.events if isinstance(e, ChatMessage)]

    @property
    def tips(self) -> list[PlatformTip]:
        return [e for e in self.events if isinstance(e, PlatformTip)]


@dataclass
class Rig:
    twitch: TwitchStandIn
    url: str
    http: aiohttp.ClientSession

    @property
    def endpoint(self) -> str:
        return f"{self.url}/twitch"

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.url}/_sandbox/twitch/{path}"
        async with self.http.request(method, url, json=body) as response:
            assert response.status < 400, await response.text()
            return await response.json()

    async def token(self, user: str, scopes: tuple[str, ...]) -> Tokens:
        data = await self.control("POST", "token", {"user": user, "scopes": list(scopes)})
        return Tokens(
            data["access_token"],
            data["refresh_token"],
            tuple(data["scope"]),
            data["user_id"],
            data["login"],
        )

    async def adapter(self, **options: Any) -> TwitchAdapter:
        bot = await self.token(self.twitch.bot.login, BOT_SCOPES)
        owner = await self.token(self.twitch.broadcaster.login, BROADCASTER_SCOPES)
        return TwitchAdapter(
            self.twitch.client_id,
            self.twitch.client_secret,
            bot_token=bot,
            broadcaster_token=owner,
            channel=self.twitch.broadcaster.login,
            endpoint=self.endpoint,
            bits_value=options.pop("bits_value", BitsValue()),
            **options,
        )

    async def sent(self) -> list[dict[str, Any]]:
        return list((await self.control("GET", "sent"))["messages"])

    async def violations(self) -> list[dict[str, Any]]:
        return list((await self.control("GET", "violations"))["violations"])

    async def subscriptions(self) -> list[dict[str, Any]]:
        data = await self.control("GET", "subscriptions")
        return [s for s in data["data"] if s["status"] == "enabled"]


@asynccontextmanager
async def running(twitch: TwitchStandIn) -> AsyncIterator[Rig]:
    app = web.Application()
    twitch.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        async with aiohttp.ClientSession() as http:
            yield Rig(twitch, f"http://{host}:{port}", http)
    finally:
        await twitch.close()
        await runner.cleanup()


@asynccontextmanager
async def started(adapter: TwitchAdapter, inbox: Heard) -> AsyncIterator[TwitchAdapter]:
    await adapter.start(inbox)
    try:
        yield adapter
    finally:
        await adapter.stop()
