"""The YouTube stand-in, spoken to over plain HTTP: shapes from the API reference, the meter."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.youtube import YouTubeStandIn

TOKEN = "ya29.standin-test"
PAYLOADS = Path(__file__).parents[1] / "payloads" / "youtube"
API = "/youtube/youtube/v3"
CONTROL = "/_sandbox/youtube"
VIDEO = {"part": "liveStreamingDetails", "id": "vivoLive001"}


@dataclass
class Client:
    base: str
    http: aiohttp.ClientSession
    stand_in: YouTubeStandIn

    async def call(
        self, method: str, path: str, *, token: str | None = TOKEN, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(method, self.base + path, headers=headers, **kw) as resp:
            return resp.status, await resp.json()

    async def messages(self, **params: str) -> tuple[int, Any]:
        query = {"liveChatId": self.stand_in.live_chat_id, "part": "id,snippet,authorDetails"}
        query.update(params)
        return await self.call("GET", f"{API}/liveChat/messages", params=query)


@pytest.fixture
async def client(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    stand_in = YouTubeStandIn(access_token=TOKEN, **getattr(request, "param", {}))
    app = web.Application()
    stand_in.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        yield Client(f"http://{host}:{port}", http, stand_in)
    await stand_in.close()
    await runner.cleanup()


def payload(name: str) -> Any:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what must match the reference, not the values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


async def test_chat_items_have_the_documented_shapes(client: Client) -> None:
    for role, body in [
        ("say", {"user": "ana", "text": "!comprar remera M", "role": "member"}),
        ("superchat", {"user": "beto", "amount_micros": 5_500_000, "currency": "USD",
                       "comment": "¡Vamos!"}),
        ("supersticker", {"user": "carla", "amount_micros": 1_200_000_000, "currency": "ARS"}),
        ("member", {"user": "dani"}),
    ]:  # fmt: skip
        status, _ = await client.call("POST", f"{CONTROL}/{role}", json=body)
        assert status == 201
    status, page = await client.messages()
    assert status == 200
    names = ["textMessageEvent", "superChatEvent", "superStickerEvent", "newSponsorEvent"]
    for item, name in zip(page["items"], names, strict=True):
        assert shape(item) == shape(payload(name)), name
    listing = payload("liveChatMessageListResponse")
    assert shape({k: v for k, v in page.items() if k != "items"}) == shape(
        {k: v for k, v in listing.items() if k != "items"}
    )
    assert page["items"][1]["snippet"]["superChatDetails"]["amountMicros"] == "5500000"


async def test_broadcast_and_video_lookups_give_the_chat_id(client: Client) -> None:
    status, broadcasts = await client.call(
        "GET",
        f"{API}/liveBroadcasts",
        params={"part": "snippet,status", "broadcastStatus": "active"},
    )
    assert status == 200
    assert shape(broadcasts) == shape(payload("liveBroadcastListResponse"))
    assert broadcasts["items"][0]["snippet"]["liveChatId"] == client.stand_in.live_chat_id
    status, videos = await client.call(
        "GET", f"{API}/videos", params={"part": "liveStreamingDetails", "id": "vivoLive001"}
    )
    assert shape(videos) == shape(payload("videoListResponse"))
    details = videos["items"][0]["liveStreamingDetails"]
    assert details["activeLiveChatId"] == client.stand_in.live_chat_id


@pytest.mark.parametrize("client", [{"page_size": 200, "history": 3}], indirect=True)
async def test_history_first_then_pages_by_token(client: Client) -> None:
    for n in range(5):
        client.stand_in.say("ana", f"viejo {n}")
    _, first = await client.messages()
    assert [i["snippet"]["displayMessage"] for i in first["items"]] == [
        "viejo 2",
        "viejo 3",
        "viejo 4",
    ]
    assert first["pollingIntervalMillis"] > 0
    for n in range(250):
        client.stand_in.say("beto", f"nuevo {n}")
    _, second = await client.messages(pageToken=first["nextPageToken"], maxResults="2000")
    _, third = await client.messages(pageToken=second["nextPageToken"])
    _, empty = await client.messages(pageToken=third["nextPageToken"])
    got = [i["snippet"]["displayMessage"] for i in second["items"] + third["items"]]
    assert got == [f"nuevo {n}" for n in range(250)]
    assert len(second["items"]) == 200
    assert empty["items"] == []
    status, bad = await client.messages(pageToken="not-a-token")
    assert status == 400 and bad["error"]["errors"][0]["reason"] == "pageTokenInvalid"


async def test_part_selects_what_comes_back(client: Client) -> None:
    client.stand_in.say("ana", "hola")
    _, page = await client.messages(part="snippet")
    assert set(page["items"][0]) == {"kind", "etag", "id", "snippet"}


async def test_insert_posts_as_the_owner_and_is_read_back(client: Client) -> None:
    body = {
        "snippet": {
            "liveChatId": client.stand_in.live_chat_id,
            "type": "textMessageEvent",
            "textMessageDetails": {"messageText": "@ana tu link"},
        }
    }
    status, created = await client.call(
        "POST", f"{API}/liveChat/messages", params={"part": "snippet"}, json=body
    )
    assert status == 200
    assert set(created) == {"kind", "etag", "id", "snippet"}  # what part=snippet asks for
    assert created["snippet"]["authorChannelId"] == client.stand_in.owner_channel
    _, sent = await client.call("GET", f"{CONTROL}/sent")
    assert [s["text"] for s in sent] == ["@ana tu link"]
    _, page = await client.messages()
    assert page["items"][-1]["id"] == created["id"]
    assert page["items"][-1]["authorDetails"]["isChatOwner"] is True

    body["snippet"]["textMessageDetails"]["messageText"] = "x" * 201
    status, error = await client.call(
        "POST", f"{API}/liveChat/messages", params={"part": "snippet"}, json=body
    )
    assert status == 400 and error["error"]["errors"][0]["reason"] == "messageTextInvalid"


@pytest.mark.parametrize("client", [{"daily_quota": 32}], indirect=True)
async def test_the_meter_charges_published_prices_then_answers_quota_exceeded(
    client: Client,
) -> None:
    await client.call("GET", f"{API}/videos", params={"part": "liveStreamingDetails", "id": "x"})
    await client.messages()
    body = {
        "snippet": {
            "liveChatId": client.stand_in.live_chat_id,
            "type": "textMessageEvent",
            "textMessageDetails": {"messageText": "hola"},
        }
    }
    await client.call("POST", f"{API}/liveChat/messages", params={"part": "snippet"}, json=body)
    _, quota = await client.call("GET", f"{CONTROL}/quota")
    assert quota["spent"] == 1 + 5 + 20
    status, error = await client.messages()  # 26 + 5 = 31 still fits
    assert status == 200
    status, error = await client.messages()
    assert status == 403
    assert shape(error) == shape(payload("error_quotaExceeded"))
    assert error["error"]["errors"][0]["domain"] == "youtube.quota"
    assert error["error"]["errors"][0]["reason"] == "quotaExceeded"
    _, quota = await client.call("GET", f"{CONTROL}/quota")
    assert quota == {
        "spent": 31,
        "budget": 32,
        "remaining": 1,
        "calls": {"videos.list": 1, "liveChatMessages.list": 2, "liveChatMessages.insert": 1},
        "prices": quota["prices"],
    }


async def test_a_bad_token_is_refused_in_googles_shape(client: Client) -> None:
    status, error = await client.call("GET", f"{API}/liveChat/messages", token="wrong")
    assert status == 401
    assert error["error"]["code"] == 401 and error["error"]["errors"][0]["reason"]
    assert client.stand_in.spent == 0


async def test_ending_the_stream_ends_the_chat(client: Client) -> None:
    status, _ = await client.call("POST", f"{CONTROL}/end")
    assert status == 200
    status, error = await client.messages()
    assert status == 403
    assert shape(error) == shape(payload("error_liveChatEnded"))
    assert error["error"]["errors"][0]["reason"] == "liveChatEnded"
    _, broadcasts = await client.call(
        "GET", f"{API}/liveBroadcasts", params={"part": "id", "broadcastStatus": "active"}
    )
    assert broadcasts["items"] == []
    _, videos = await client.call("GET", f"{API}/videos", params=VIDEO)
    details = videos["items"][0]["liveStreamingDetails"]
    assert "activeLiveChatId" not in details and "actualEndTime" in details


async def test_faults_are_answered_once_each_then_normal_service(client: Client) -> None:
    status, _ = await client.call(
        "POST", f"{CONTROL}/faults", json={"list": ["rateLimitExceeded", "backendError"]}
    )
    assert status == 200
    first, error = await client.messages()
    assert (first, error["error"]["errors"][0]["reason"]) == (403, "rateLimitExceeded")
    second, _ = await client.messages()
    assert second == 503
    third, _ = await client.messages()
    assert third == 200


async def test_inject_delivers_a_raw_resource_as_is(client: Client) -> None:
    resource = payload("superChatEvent")
    status, _ = await client.call("POST", f"{CONTROL}/inject", json=resource)
    assert status == 201
    _, page = await client.messages()
    assert page["items"] == [resource]


async def broadcasts(client: Client, status: str) -> list[dict[str, Any]]:
    _, page = await client.call(
        "GET",
        f"{API}/liveBroadcasts",
        params={"part": "snippet,status", "broadcastStatus": status},
    )
    items: list[dict[str, Any]] = page["items"]
    return items


@pytest.mark.parametrize("client", [{"live": False}], indirect=True)
async def test_an_upcoming_broadcast_goes_live(client: Client) -> None:
    assert await broadcasts(client, "active") == []
    [upcoming] = await broadcasts(client, "upcoming")
    assert upcoming["status"]["lifeCycleStatus"] == "ready"
    assert "actualStartTime" not in upcoming["snippet"]
    _, videos = await client.call("GET", f"{API}/videos", params=VIDEO)
    assert "activeLiveChatId" not in videos["items"][0]["liveStreamingDetails"]

    status, started = await client.call("POST", f"{CONTROL}/live", json={})
    assert status == 201
    assert shape(started) == shape(payload("liveBroadcastListResponse")["items"][0])
    [active] = await broadcasts(client, "active")
    assert active["id"] == upcoming["id"] == "vivoLive001"
    assert active["status"]["lifeCycleStatus"] == "live"
    _, videos = await client.call("GET", f"{API}/videos", params=VIDEO)
    details = videos["items"][0]["liveStreamingDetails"]
    assert details["activeLiveChatId"] == active["snippet"]["liveChatId"]


async def test_a_new_broadcast_after_the_last_ended_has_its_own_chat(client: Client) -> None:
    old_chat = client.stand_in.live_chat_id
    client.stand_in.say("ana", "primer stream")
    await client.call("POST", f"{CONTROL}/end")
    status, started = await client.call("POST", f"{CONTROL}/live", json={"video_id": "vivoLive2"})
    assert status == 201 and started["id"] == "vivoLive2"
    new_chat = started["snippet"]["liveChatId"]
    assert (
        new_chat != old_chat == (await broadcasts(client, "completed"))[0]["snippet"]["liveChatId"]
    )
    assert [b["id"] for b in await broadcasts(client, "all")] == ["vivoLive2", "vivoLive001"]

    status, error = await client.messages(liveChatId=old_chat)
    assert (status, error["error"]["errors"][0]["reason"]) == (403, "liveChatEnded")
    client.stand_in.say("beto", "segundo stream")
    _, page = await client.messages(liveChatId=new_chat)
    assert [i["snippet"]["displayMessage"] for i in page["items"]] == ["segundo stream"]
    assert page["items"][0]["snippet"]["liveChatId"] == new_chat

    status, again = await client.call("POST", f"{CONTROL}/live", json={})
    assert (status, again["id"]) == (201, "vivoLive2")  # already live: the same broadcast


def reason(error: Any) -> str:
    return str(error["error"]["errors"][0]["reason"])


async def test_broadcast_status_alone_finds_the_live_broadcast(client: Client) -> None:
    """The filters are "exactly one of" mine, id, broadcastStatus: the status alone is one."""
    status, page = await client.call(
        "GET", f"{API}/liveBroadcasts", params={"part": "snippet", "broadcastStatus": "active"}
    )
    assert status == 200
    [live] = page["items"]
    assert live["id"] == "vivoLive001" and set(live) == {"kind", "etag", "id", "snippet"}
    assert live["snippet"]["liveChatId"] == client.stand_in.live_chat_id
    thumbnails = live["snippet"]["thumbnails"]
    assert {name: (t["width"], t["height"]) for name, t in thumbnails.items()} == {
        "default": (120, 90),
        "medium": (320, 180),
        "high": (480, 360),
    }


@pytest.mark.parametrize(
    ("params", "status", "why"),
    [
        ({"mine": "true", "broadcastStatus": "active"}, 400, "incompatibleParameters"),
        ({"id": "vivoLive001", "mine": "true"}, 400, "incompatibleParameters"),
        ({}, 400, "missingRequiredParameter"),
        ({"broadcastStatus": "live"}, 400, "invalidParameter"),
        ({"mine": "true"}, 200, None),
        ({"id": "vivoLive001"}, 200, None),
    ],
)
async def test_broadcast_list_takes_exactly_one_filter(
    client: Client, params: dict[str, str], status: int, why: str | None
) -> None:
    got, body = await client.call(
        "GET", f"{API}/liveBroadcasts", params={"part": "snippet", **params}
    )
    assert got == status
    if why is None:
        assert [b["id"] for b in body["items"]] == ["vivoLive001"]
    else:
        assert shape(body) == shape(payload("error_missingRequiredParameter"))
        assert reason(body) == why and body["error"]["code"] == 400


async def test_videos_list_takes_exactly_one_filter(client: Client) -> None:
    status, error = await client.call("GET", f"{API}/videos", params={"part": "id"})
    assert (status, reason(error)) == (400, "missingRequiredParameter")
    status, page = await client.call("GET", f"{API}/videos", params={"part": "id", "id": "x"})
    assert (status, page["items"]) == (200, [])


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "liveBroadcasts", {"broadcastStatus": "active"}),
        ("GET", "videos", {"id": "vivoLive001"}),
        ("GET", "liveChat/messages", {"liveChatId": "LIVE"}),
        ("POST", "liveChat/messages", {}),
    ],
)
async def test_part_is_required_and_a_refusal_costs_one_unit(
    client: Client, method: str, path: str, params: dict[str, str]
) -> None:
    params = {k: client.stand_in.live_chat_id if v == "LIVE" else v for k, v in params.items()}
    body = {
        "snippet": {
            "liveChatId": client.stand_in.live_chat_id,
            "type": "textMessageEvent",
            "textMessageDetails": {"messageText": "hola"},
        }
    }
    kw: dict[str, Any] = {"json": body} if method == "POST" else {}
    status, error = await client.call(method, f"{API}/{path}", params=params, **kw)
    assert status == 400
    assert shape(error) == shape(payload("error_missingRequiredParameter"))
    detail = error["error"]["errors"][0]
    assert (detail["reason"], detail["location"], detail["locationType"]) == (
        "missingRequiredParameter",
        "part",
        "parameter",
    )
    assert client.stand_in.spent == 1  # "invalid requests incur a quota cost of at least one"
    assert client.stand_in.sent == []


async def test_unknown_parts_are_refused_and_repeated_parts_are_joined(client: Client) -> None:
    client.stand_in.say("ana", "hola")
    status, error = await client.messages(part="snippet,status")
    assert (status, reason(error)) == (400, "invalidParameter")
    assert error["error"]["errors"][0]["location"] == "part"
    query = [("liveChatId", client.stand_in.live_chat_id), ("part", "snippet")]
    query.append(("part", "authorDetails"))  # the discovery document says `repeated: true`
    status, page = await client.call("GET", f"{API}/liveChat/messages", params=query)
    assert status == 200
    assert set(page["items"][0]) == {"kind", "etag", "id", "snippet", "authorDetails"}
