"""A plain-HTTP YouTube client, built from the discovery document, against the sandbox.

The client is not google-api-python-client: it is `httpx` plus the method table of the
YouTube Data API's discovery document (its `rootUrl` swapped for the sandbox's, as any
client built on it would set its endpoint), sending exactly the parameters a bot sends.
Run this way the stand-in was found refusing `liveBroadcasts.list(broadcastStatus=…)` alone
(the documented way to find the live chat), accepting calls without the required `part`,
dropping `id` when `part` left it out, and giving broadcasts no thumbnails.

The discovery document is the one shipped in google-api-python-client's package data, read
as a file: the library itself is never imported.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.app import Sandbox

TOKEN = "ya29.peer-httpx"
PAYLOADS = Path(__file__).parents[2] / "payloads" / "youtube"
CONTROL = "/_sandbox/youtube"
# From the Data API's "Quota costs" table (determine_quota_cost), live streaming rows included.
PUBLISHED_PRICES = {
    "liveBroadcasts.list": 1,
    "videos.list": 1,
    "liveChatMessages.list": 5,
    "liveChatMessages.insert": 20,
}
POLLS = 20  # a guard against looping forever, not a measure of speed


def discovery() -> dict[str, Any]:
    """youtube.v3.json, found without importing the package that ships it."""
    spec = importlib.util.find_spec("googleapiclient")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    document = root / "discovery_cache" / "documents" / "youtube.v3.json"
    data: dict[str, Any] = json.loads(document.read_text())
    return data


class YouTubeError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.reason = str(body["error"]["errors"][0]["reason"])


class PlainYouTube:
    """Calls `resource.method` by the discovery document's path and HTTP verb; nothing else."""

    def __init__(self, http: httpx.AsyncClient, endpoint: str) -> None:
        self.http = http
        self.endpoint = endpoint.rstrip("/") + "/"  # in place of the document's rootUrl
        document = discovery()
        self.service = self.endpoint + document["servicePath"]
        self.resources: dict[str, Any] = document["resources"]
        self.counted: dict[str, int] = {}

    async def call(
        self, name: str, params: dict[str, str], body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        resource, method_name = name.split(".")
        method = self.resources[resource]["methods"][method_name]
        self.counted[name] = self.counted.get(name, 0) + 1
        response = await self.http.request(
            method["httpMethod"],
            self.service + method["path"],
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        data: dict[str, Any] = response.json()
        if response.status_code != 200:
            raise YouTubeError(response.status_code, data)
        return data


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    running = Sandbox()
    running.youtube.polling_interval_ms = 100
    running.youtube.strict_polling = True  # a poll sooner than pollingIntervalMillis is refused
    async with running:
        yield running


@pytest.fixture
async def youtube(sandbox: Sandbox) -> AsyncIterator[PlainYouTube]:
    async with httpx.AsyncClient() as http:
        yield PlainYouTube(http, f"{sandbox.url}/youtube")


async def control(sandbox: Sandbox, verb: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient() as http:
        response = await http.request(verb, f"{sandbox.url}{CONTROL}/{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


async def find_chat(youtube: PlainYouTube) -> str:
    """What most bots send: the live broadcast by status alone, its snippet's liveChatId."""
    page = await youtube.call(
        "liveBroadcasts.list", {"part": "snippet", "broadcastStatus": "active"}
    )
    [broadcast] = page["items"]
    assert broadcast["snippet"]["thumbnails"]["default"]["url"]
    return str(broadcast["snippet"]["liveChatId"])


class Reader:
    """Polls liveChatMessages the documented way: pageToken, pollingIntervalMillis."""

    def __init__(self, youtube: PlainYouTube, chat: str) -> None:
        self.youtube = youtube
        self.chat = chat
        self.token: str | None = None
        self.wait = 0.0
        self.seen: list[dict[str, Any]] = []

    async def poll(self) -> list[dict[str, Any]]:
        await asyncio.sleep(self.wait)
        params = {"liveChatId": self.chat, "part": "snippet,authorDetails"}
        if self.token:
            params["pageToken"] = self.token
        page = await self.youtube.call("liveChatMessages.list", params)
        self.token = page["nextPageToken"]
        self.wait = page["pollingIntervalMillis"] / 1000
        items: list[dict[str, Any]] = page["items"]
        self.seen += items
        return items

    async def until(self, count: int) -> list[dict[str, Any]]:
        for _ in range(POLLS):
            if len(self.seen) >= count:
                break
            await self.poll()
        return self.seen


async def test_a_plain_client_reads_chat_and_super_chats_and_replies(
    sandbox: Sandbox, youtube: PlainYouTube
) -> None:
    chat = await find_chat(youtube)
    await control(sandbox, "POST", "say", {"user": "viejo", "text": "antes del bot"})
    reader = Reader(youtube, chat)
    history = await reader.poll()  # the first call returns the chat so far
    assert [m["snippet"]["displayMessage"] for m in history] == ["antes del bot"]
    reader.seen.clear()

    await control(sandbox, "POST", "say", {"user": "ana", "text": "!comprar remera M"})
    super_chat = payload("superChatEvent")
    super_chat["snippet"]["liveChatId"] = chat
    await control(sandbox, "POST", "inject", super_chat)
    got = await reader.until(2)

    text, paid = got
    assert set(text) == {"kind", "etag", "id", "snippet", "authorDetails"}  # part had no id
    assert text["snippet"]["textMessageDetails"]["messageText"] == "!comprar remera M"
    assert text["authorDetails"]["displayName"] == "ana"
    assert paid["id"] == super_chat["id"]
    details = paid["snippet"]["superChatDetails"]
    assert (details["amountMicros"], details["currency"]) == ("5500000", "USD")

    reply = {
        "snippet": {
            "liveChatId": chat,
            "type": "textMessageEvent",
            "textMessageDetails": {"messageText": "@ana tu link: http://pago/1"},
        }
    }
    created = await youtube.call("liveChatMessages.insert", {"part": "snippet"}, reply)
    assert created["id"] and created["snippet"]["liveChatId"] == chat
    sent = await control(sandbox, "GET", "sent")
    assert [s["text"] for s in sent] == ["@ana tu link: http://pago/1"]

    assert sandbox.youtube.rate_limited == 0  # every poll waited pollingIntervalMillis
    quota = await control(sandbox, "GET", "quota")
    assert quota["calls"] == youtube.counted
    assert quota["spent"] == sum(PUBLISHED_PRICES[m] * n for m, n in youtube.counted.items())


async def test_the_video_route_to_the_chat(sandbox: Sandbox, youtube: PlainYouTube) -> None:
    """With a known video id: videos.list(liveStreamingDetails) → activeLiveChatId."""
    page = await youtube.call(
        "videos.list", {"part": "liveStreamingDetails", "id": sandbox.youtube.video_id}
    )
    [video] = page["items"]
    assert video["id"] == sandbox.youtube.video_id
    assert video["liveStreamingDetails"]["activeLiveChatId"] == await find_chat(youtube)


async def test_documented_errors_in_the_documented_shape(
    sandbox: Sandbox, youtube: PlainYouTube
) -> None:
    chat = await find_chat(youtube)
    params = {"liveChatId": chat, "part": "snippet"}

    with pytest.raises(YouTubeError) as refused:
        await youtube.call("liveChatMessages.insert", {}, {"snippet": {"liveChatId": chat}})
    assert (refused.value.status, refused.value.reason) == (400, "missingRequiredParameter")
    with pytest.raises(YouTubeError) as refused:
        await youtube.call(
            "liveBroadcasts.list", {"part": "id", "mine": "true", "broadcastStatus": "active"}
        )
    assert (refused.value.status, refused.value.reason) == (400, "incompatibleParameters")

    sandbox.youtube.meter.budget = sandbox.youtube.spent + 4  # less than a poll's 5 units
    with pytest.raises(YouTubeError) as refused:
        await youtube.call("liveChatMessages.list", params)
    assert refused.value.status == 403
    assert shape(refused.value.body) == shape(payload("error_quotaExceeded"))
    assert refused.value.body["error"]["errors"][0]["domain"] == "youtube.quota"

    sandbox.youtube.meter.budget = 10_000
    await control(sandbox, "POST", "end")
    with pytest.raises(YouTubeError) as refused:
        await youtube.call("liveChatMessages.list", params)
    assert (refused.value.status, refused.value.reason) == (403, "liveChatEnded")
    assert shape(refused.value.body) == shape(payload("error_liveChatEnded"))
    page = await youtube.call("liveBroadcasts.list", {"part": "id", "broadcastStatus": "active"})
    assert page["items"] == []
