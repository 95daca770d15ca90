"""The chat page's feed: what the bot sent on each platform, in one shape, resumable.

The bot's side is played by calling each stand-in's API as the real SDKs do; nothing of
Vivo's runs here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sandbox.app import Sandbox
from sandbox.chatpage import PLATFORMS, ChatPage, format_cursor, parse_cursor


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as running:
        yield running


async def read(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, dict[str, Any]]]:
    """(event id, line) for the next `count` feed events (a test that gets fewer fails)."""
    return await asyncio.wait_for(_read(response, count), 10)


async def _read(response: aiohttp.ClientResponse, count: int) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    event_id, data = "", ""
    while len(out) < count:
        line = (await response.content.readline()).decode().rstrip("\n")
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and data:
            out.append((event_id, json.loads(data)))
            data = ""
    return out


async def bot_sends_on_telegram(
    sandbox: Sandbox, http: aiohttp.ClientSession, **params: Any
) -> Any:
    url = f"{sandbox.url}/telegram/bot{sandbox.telegram.token}/sendMessage"
    async with http.post(url, json=params) as response:
        return await response.json()


async def test_feed_draws_telegram_buttons_private_chats_and_discord_mentions(
    sandbox: Sandbox,
) -> None:
    telegram, discord = sandbox.telegram, sandbox.discord
    ana = telegram.user("ana")
    telegram.say("ana", "hola", chat="private")
    await discord.say({"user": "caro", "text": "hola"})
    caro = discord.users["caro"]
    markup = {"inline_keyboard": [[{"text": "Abrir", "url": "https://t.me/vivo_sandbox_bot"}]]}
    async with aiohttp.ClientSession() as http:
        await bot_sends_on_telegram(
            sandbox, http, chat_id=telegram.group_id, text="al grupo", reply_markup=markup
        )
        await bot_sends_on_telegram(sandbox, http, chat_id=ana["id"], text="solo para ana")
        channel = discord.channel()
        async with http.post(
            f"{sandbox.url}/discord/api/v10/channels/{channel.id}/messages",
            json={"content": f"<@{caro.id}> listo"},
            headers={"Authorization": "Bot x"},
        ) as response:
            assert response.status == 200
        async with http.get(f"{sandbox.url}/_sandbox/feed") as feed:
            lines = [line for _, line in await read(feed, 3)]
    by_platform = {(line["platform"], line["text"]): line for line in lines}
    group = by_platform[("telegram", "al grupo")]
    assert group["chat"] == "group"
    assert group["buttons"] == [
        {"text": "Abrir", "url": markup["inline_keyboard"][0][0]["url"], "data": None}
    ]
    private = by_platform[("telegram", "solo para ana")]
    assert (private["chat"], private["to"]) == ("private", "ana")
    assert ("discord", "@caro listo") in by_platform


async def test_feed_resumes_from_the_last_event_id(sandbox: Sandbox) -> None:
    # One private chat per line: the stand-in enforces Telegram's per-chat send limits.
    chats = {}
    for name in ("ana", "beto", "caro"):
        sandbox.telegram.say(name, "hola", chat="private")
        chats[name] = sandbox.telegram.user(name)["id"]
    async with aiohttp.ClientSession() as http:
        for name in ("ana", "beto"):
            await bot_sends_on_telegram(sandbox, http, chat_id=chats[name], text=name)
        async with http.get(f"{sandbox.url}/_sandbox/feed") as feed:
            (first_id, first), (_, second) = await read(feed, 2)
        assert [first["text"], second["text"]] == ["ana", "beto"]
        await bot_sends_on_telegram(sandbox, http, chat_id=chats["caro"], text="caro")
        headers = {"Last-Event-ID": first_id}
        async with http.get(f"{sandbox.url}/_sandbox/feed", headers=headers) as feed:
            texts = [line["text"] for _, line in await read(feed, 2)]
    assert texts == ["beto", "caro"]


async def test_page_and_which_panes_are_connected(sandbox: Sandbox) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/") as response:
            assert (
                response.status == 200 and "/_sandbox/chat/static/chat.js" in await response.text()
            )
        async with http.get(f"{sandbox.url}/_sandbox/chat/info") as response:
            info = await response.json()
    for name in PLATFORMS:
        assert info["platforms"][name]["connected"] is (getattr(sandbox, name, None) is not None)
    assert info["platforms"]["telegram"]["privacy"] is sandbox.telegram.privacy_mode


async def test_pages_refuse_framing_and_sniffing_api_answers_stay_as_the_platform_sends(
    sandbox: Sandbox,
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sandbox.url}/") as response:
            page = response.headers
        async with http.get(f"{sandbox.url}/_sandbox/chat/info") as response:
            api = response.headers
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert (page["X-Content-Type-Options"], page["Referrer-Policy"]) == ("nosniff", "no-referrer")
    assert "Content-Security-Policy" not in api


def test_a_platform_without_a_stand_in_is_not_connected() -> None:
    class OnlyTwitch:
        twitch = type("Fake", (), {"sent": [{"message": "hola", "sender": "vivobot"}]})()

    page = ChatPage(OnlyTwitch())
    assert page.connected() == ["twitch"]
    cursor: dict[str, int] = {}
    [(event_id, line)] = page.lines_since(cursor)
    assert line == {"platform": "twitch", "kind": "message", "text": "hola", "sender": "vivobot"}
    assert parse_cursor(event_id) == {name: int(name == "twitch") for name in PLATFORMS}
    assert page.lines_since(cursor) == []


def test_cursor_round_trip_ignores_junk() -> None:
    assert parse_cursor("telegram:3,discord:x,nope:4,twitch:1") == {"telegram": 3, "twitch": 1}
    assert parse_cursor(format_cursor({"youtube": 2})) == {
        "twitch": 0,
        "youtube": 2,
        "discord": 0,
        "telegram": 0,
    }
