"""twitchAPI, an independent Twitch client, doing what a bot does against the sandbox's Twitch.

Nobody here wrote twitchAPI, so where it and the stand-in disagree the stand-in is suspect:
these runs found `POST /helix/chat/messages` crashing on parameters sent in the query string
(twitchAPI's way), Helix errors without the `{"error", "status", "message"}` envelope (a 409
whose `error` was not "Conflict"), and session objects without `recovery_url`.

twitchAPI is pointed at loopback only through its documented options: `Twitch(base_url=…,
auth_base_url=…)` and `EventSubWebsocket(connection_url=…)`; none of its logic is patched.
Its EventSub websocket runs on a thread and event loop of its own, and `start()`/`stop()`
block their caller, so the sandbox runs on its own thread too, like a remote server would.
"""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from twitchAPI.eventsub.websocket import EventSubWebsocket
from twitchAPI.object.eventsub import ChannelChatMessageEvent, ChannelCheerEvent
from twitchAPI.twitch import Twitch
from twitchAPI.type import AuthScope, EventSubSubscriptionConflict, TwitchAPIException

from sandbox.app import Sandbox

PAYLOADS = Path(__file__).resolve().parents[2] / "payloads" / "twitch"
WAIT = 15.0  # a guard against hanging, not a measure of speed
BOT_SCOPES = [AuthScope.USER_READ_CHAT, AuthScope.USER_WRITE_CHAT, AuthScope.USER_BOT]
OWNER_SCOPES = [AuthScope.BITS_READ, AuthScope.CHANNEL_BOT]


@contextmanager
def sandbox_thread() -> Iterator[Sandbox]:
    """The sandbox served from a thread and loop of its own, until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sandbox = Sandbox()
    asyncio.run_coroutine_threadsafe(sandbox.start(), loop).result(WAIT)
    try:
        yield sandbox
    finally:
        asyncio.run_coroutine_threadsafe(sandbox.stop(), loop).result(WAIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(WAIT)
        loop.close()


class Stage:
    """The running sandbox, its control API, and twitchAPI clients pointed at it."""

    def __init__(self, sandbox: Sandbox, http: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.http = http
        self.base = f"{sandbox.url}/twitch"
        self.twitch = sandbox.twitch

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.sandbox.url}/_sandbox/twitch/{path}"
        async with self.http.request(method, url, json=body) as response:
            assert response.status < 400, await response.text()
            return await response.json()

    async def client(self) -> Twitch:
        """twitchAPI with an app token (client credentials), as a bot starts."""
        return await Twitch(
            self.twitch.client_id,
            self.twitch.client_secret,
            base_url=f"{self.base}/helix/",
            auth_base_url=f"{self.base}/oauth2/",
        )

    async def signed_in(self, login: str, scopes: list[AuthScope]) -> Twitch:
        """A client that also holds `login`'s user token, as after Twitch's OAuth flow."""
        granted = await self.control(
            "POST", "token", {"user": login, "scopes": [s.value for s in scopes]}
        )
        client = await self.client()
        await client.set_user_authentication(
            granted["access_token"], scopes, granted["refresh_token"]
        )
        return client

    def eventsub(self, client: Twitch) -> EventSubWebsocket:
        return EventSubWebsocket(client, connection_url=f"{self.base}/ws".replace("http", "ws"))


@pytest.fixture
async def stage() -> AsyncIterator[Stage]:
    with sandbox_thread() as sandbox:
        async with aiohttp.ClientSession() as http:
            yield Stage(sandbox, http)


class Heard:
    """Events twitchAPI hands its callbacks (on its own thread), safe to read from the test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Any] = []

    async def add(self, event: Any) -> None:
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[Any]:
        with self._lock:
            return list(self._events)


async def until(condition: Callable[[], Any]) -> Any:
    async def check() -> Any:
        while not (value := condition()):
            await asyncio.sleep(0.02)
        return value

    return await asyncio.wait_for(check(), WAIT)


def documented_event(name: str, **fields: str) -> dict[str, Any]:
    """The event of a documentation example in tests/payloads/twitch, with `fields` replaced."""
    event = copy.deepcopy(json.loads((PAYLOADS / name).read_text())["payload"]["event"])
    event.update(fields)
    return dict(event)


async def test_app_token_and_get_users(stage: Stage) -> None:
    client = await stage.client()
    assert client.get_app_token()
    users = [u async for u in client.get_users(logins=[stage.twitch.broadcaster.login])]
    assert [(u.id, u.login) for u in users] == [
        (stage.twitch.broadcaster.id, stage.twitch.broadcaster.login)
    ]
    await client.close()


async def test_user_token_get_users_and_send_chat_message(stage: Stage) -> None:
    bot = await stage.signed_in(stage.twitch.bot.login, BOT_SCOPES)
    me = [u async for u in bot.get_users()]
    assert [u.id for u in me] == [stage.twitch.bot.id]
    answer = await bot.send_chat_message(stage.twitch.broadcaster.id, me[0].id, "¡Hola, chat!")
    assert answer.is_sent and answer.message_id
    sent = (await stage.control("GET", "sent"))["messages"]
    assert [(m["message"], m["sender_id"], m["message_id"]) for m in sent] == [
        ("¡Hola, chat!", stage.twitch.bot.id, answer.message_id)
    ]
    await bot.close()


async def test_helix_errors_reach_twitchapi_as_its_own_exceptions(stage: Stage) -> None:
    bot = await stage.signed_in(stage.twitch.bot.login, BOT_SCOPES)
    with pytest.raises(TwitchAPIException) as refused:
        await bot.send_chat_message(stage.twitch.broadcaster.id, stage.twitch.bot.id, "x" * 501)
    assert "500 characters" in str(refused.value)
    assert (await stage.control("GET", "sent"))["messages"] == []
    await bot.close()


async def test_eventsub_websocket_chat_and_cheer_reach_the_callbacks(stage: Stage) -> None:
    twitch = stage.twitch
    bot = await stage.signed_in(twitch.bot.login, BOT_SCOPES)
    owner = await stage.signed_in(twitch.broadcaster.login, OWNER_SCOPES)
    chat_socket, cheer_socket = stage.eventsub(bot), stage.eventsub(owner)
    chat, cheers = Heard(), Heard()
    chat_socket.start()
    cheer_socket.start()
    try:
        await chat_socket.listen_channel_chat_message(
            twitch.broadcaster.id, twitch.bot.id, chat.add
        )
        await cheer_socket.listen_channel_cheer(twitch.broadcaster.id, cheers.add)

        said = await stage.control("POST", "say", {"user": "ana", "text": "!comprar remera M"})
        assert said["delivered"] == 1
        message = (await until(lambda: chat.events))[0]
        assert isinstance(message, ChannelChatMessageEvent)
        assert message.event.message.text == "!comprar remera M"
        assert message.event.chatter_user_login == "ana"
        assert message.event.message_id == said["message_id"]

        cheer = documented_event(
            "channel_cheer.json",
            broadcaster_user_id=twitch.broadcaster.id,
            broadcaster_user_login=twitch.broadcaster.login,
            broadcaster_user_name=twitch.broadcaster.display_name,
        )
        injected = await stage.control(
            "POST", "inject", {"subscription_type": "channel.cheer", "event": cheer}
        )
        assert injected["delivered"] == 1
        tip = (await until(lambda: cheers.events))[0]
        assert isinstance(tip, ChannelCheerEvent)
        assert (tip.event.bits, tip.event.message, tip.event.user_login) == (
            1000,
            "pogchamp",
            "cool_user",
        )

        answer = await bot.send_chat_message(twitch.broadcaster.id, twitch.bot.id, "gracias")
        assert answer.is_sent
        echoed = await until(lambda: len(chat.events) == 2 and chat.events)
        assert echoed[1].event.message.text == "gracias"
        assert echoed[1].event.chatter_user_id == twitch.bot.id
    finally:
        await chat_socket.stop()
        await cheer_socket.stop()
        await bot.close()
        await owner.close()


async def test_eventsub_websocket_follows_a_session_reconnect(stage: Stage) -> None:
    twitch = stage.twitch
    bot = await stage.signed_in(twitch.bot.login, BOT_SCOPES)
    socket, chat = stage.eventsub(bot), Heard()
    socket.start()
    try:
        await socket.listen_channel_chat_message(twitch.broadcaster.id, twitch.bot.id, chat.add)
        first = socket.active_session
        assert first is not None
        assert (await stage.control("POST", "reconnect"))["sessions"] == 1
        await until(lambda: socket.active_session is not None and socket.active_session != first)
        said = await stage.control("POST", "say", {"user": "beto", "text": "!tienda"})
        assert said["delivered"] == 1
        heard = (await until(lambda: chat.events))[0]
        assert heard.event.message.text == "!tienda"
        assert heard.subscription.transport["session_id"] == socket.active_session.id
    finally:
        await socket.stop()
        await bot.close()


async def test_a_repeated_subscription_is_a_conflict_twitchapi_recognises(stage: Stage) -> None:
    twitch = stage.twitch
    bot = await stage.signed_in(twitch.bot.login, BOT_SCOPES)
    socket, chat = stage.eventsub(bot), Heard()
    socket.start()
    try:
        await socket.listen_channel_chat_message(twitch.broadcaster.id, twitch.bot.id, chat.add)
        with pytest.raises(EventSubSubscriptionConflict):
            await socket.listen_channel_chat_message(twitch.broadcaster.id, twitch.bot.id, chat.add)
    finally:
        await socket.stop()
        await bot.close()
