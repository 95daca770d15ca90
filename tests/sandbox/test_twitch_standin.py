"""The Twitch stand-in alone, over plain HTTP and websockets: no Vivo code involved."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.twitch import TwitchStandIn

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "twitch"


@dataclass
class Client:
    base: str
    http: aiohttp.ClientSession
    twitch: TwitchStandIn

    async def call(
        self, method: str, path: str, *, token: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {"Client-Id": self.twitch.client_id}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.base + path, headers=headers, **kw) as r:
            return r.status, await r.json(content_type=None)

    async def user_token(self, user: str, scopes: list[str]) -> str:
        _, data = await self.call(
            "POST", "/_sandbox/twitch/token", json={"user": user, "scopes": scopes}
        )
        return str(data["access_token"])


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    twitch = TwitchStandIn(device_interval=1)
    app = web.Application()
    twitch.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        yield Client(f"http://{host}:{port}", http, twitch)
    await twitch.close()
    await runner.cleanup()


def keys(value: Any) -> Any:
    """The shape of a JSON value: dict keys (recursively), list of the first item's shape."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def documented(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / name).read_text())["payload"]["event"])


def test_events_have_the_documented_shape() -> None:
    twitch = TwitchStandIn()
    chat = twitch.chat_event(twitch.user("viewer32"), "Hi chat", "moderator")
    assert set(chat) == set(documented("channel_chat_message.json"))
    assert keys(chat["message"]) == keys(documented("channel_chat_message.json")["message"])
    assert set(chat["badges"][0]) == {"set_id", "id", "info"}
    cheer = twitch.cheer_event(twitch.user("cool_user"), 1000, "pogchamp")
    assert keys(cheer) == keys(documented("channel_cheer.json"))


async def test_validate_accepts_bearer_and_oauth_and_tells_the_owner(client: Client) -> None:
    token = await client.user_token("vivobot", ["user:read:chat"])
    for scheme in ("Bearer", "OAuth"):
        headers = {"Authorization": f"{scheme} {token}"}
        async with client.http.get(f"{client.base}/twitch/oauth2/validate", headers=headers) as r:
            assert r.status == 200
            body = await r.json()
        assert body["login"] == "vivobot" and body["user_id"] == client.twitch.bot.id
        assert body["scopes"] == ["user:read:chat"] and body["expires_in"] > 3600
    status, body = await client.call("GET", "/twitch/oauth2/validate", token="nope")
    assert (status, body["message"]) == (401, "invalid access token")


async def test_the_device_code_flow_waits_for_approval(client: Client) -> None:
    form = {"client_id": client.twitch.client_id, "scopes": "user:read:chat user:write:chat"}
    status, started = await client.call("POST", "/twitch/oauth2/device", data=form)
    assert status == 200 and started["interval"] == 1
    poll = {
        "client_id": client.twitch.client_id,
        "device_code": started["device_code"],
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
    }
    status, pending = await client.call("POST", "/twitch/oauth2/token", data=poll)
    assert (status, pending["message"]) == (400, "authorization_pending")
    await client.call(
        "POST",
        "/_sandbox/twitch/activate",
        json={"user_code": started["user_code"], "user": "vivobot"},
    )
    status, granted = await client.call("POST", "/twitch/oauth2/token", data=poll)
    assert status == 200
    assert granted["scope"] == ["user:read:chat", "user:write:chat"]
    assert granted["refresh_token"] and granted["token_type"] == "bearer"


async def test_chat_over_the_limit_is_dropped_reported_and_blocks_the_sender(
    client: Client,
) -> None:
    twitch = client.twitch
    token = await client.user_token("vivobot", ["user:write:chat"])
    body = {"broadcaster_id": twitch.broadcaster.id, "sender_id": twitch.bot.id}
    answers = []
    for n in range(22):
        status, data = await client.call(
            "POST", "/twitch/helix/chat/messages", token=token, json={**body, "message": f"m{n}"}
        )
        assert status == 200
        answers.append(data["data"][0])
    assert all(a["is_sent"] for a in answers[:20])
    assert answers[20]["is_sent"] is False
    assert answers[20]["drop_reason"]["code"] == "msg_ratelimit"
    assert answers[21]["is_sent"] is False
    status, violations = await client.call("GET", "/_sandbox/twitch/violations")
    assert [v["message"] for v in violations["violations"]] == ["m20"]
    assert violations["violations"][0]["limit"] == 20


async def test_a_moderator_may_send_a_hundred(client: Client) -> None:
    twitch = client.twitch
    await client.call("POST", "/_sandbox/twitch/moderator", json={"user": "vivobot"})
    token = await client.user_token("vivobot", ["user:write:chat"])
    body = {"broadcaster_id": twitch.broadcaster.id, "sender_id": twitch.bot.id}
    for n in range(100):
        _, data = await client.call(
            "POST", "/twitch/helix/chat/messages", token=token, json={**body, "message": f"m{n}"}
        )
        assert data["data"][0]["is_sent"], n
    assert twitch.violations == []


async def test_chat_needs_the_senders_own_token_and_500_characters_at_most(
    client: Client,
) -> None:
    twitch = client.twitch
    other = await client.user_token("intruso", ["user:write:chat"])
    body = {"broadcaster_id": twitch.broadcaster.id, "sender_id": twitch.bot.id, "message": "x"}
    status, _ = await client.call("POST", "/twitch/helix/chat/messages", token=other, json=body)
    assert status == 403
    token = await client.user_token("vivobot", ["user:write:chat"])
    long = {**body, "message": "x" * 501}
    status, _ = await client.call("POST", "/twitch/helix/chat/messages", token=token, json=long)
    assert status == 400


async def test_websocket_welcome_subscription_and_notification(client: Client) -> None:
    twitch = client.twitch
    token = await client.user_token("vivobot", ["user:read:chat"])
    url = client.base.replace("http", "ws") + "/twitch/ws?keepalive_timeout_seconds=10"
    async with client.http.ws_connect(url) as ws:
        welcome = json.loads((await ws.receive()).data)
        assert welcome["metadata"]["message_type"] == "session_welcome"
        session = welcome["payload"]["session"]
        assert session["status"] == "connected" and session["keepalive_timeout_seconds"] == 10
        subscription = {
            "type": "channel.chat.message",
            "version": "1",
            "condition": {"broadcaster_user_id": twitch.broadcaster.id, "user_id": twitch.bot.id},
            "transport": {"method": "websocket", "session_id": session["id"]},
        }
        status, created = await client.call(
            "POST", "/twitch/helix/eventsub/subscriptions", token=token, json=subscription
        )
        assert status == 202 and created["data"][0]["status"] == "enabled"
        status, _ = await client.call(
            "POST", "/twitch/helix/eventsub/subscriptions", token=token, json=subscription
        )
        assert status == 409
        await client.call("POST", "/_sandbox/twitch/say", json={"user": "ana", "text": "hola"})
        note = json.loads((await ws.receive()).data)
        assert note["metadata"]["subscription_type"] == "channel.chat.message"
        assert note["payload"]["event"]["message"]["text"] == "hola"
        assert note["payload"]["subscription"]["transport"]["session_id"] == session["id"]

        await client.call("POST", "/_sandbox/twitch/reconnect")
        moving = json.loads((await ws.receive()).data)
        assert moving["metadata"]["message_type"] == "session_reconnect"
        reconnect_url = moving["payload"]["session"]["reconnect_url"]
        async with client.http.ws_connect(reconnect_url) as fresh:
            json.loads((await fresh.receive()).data)
            await client.call("POST", "/_sandbox/twitch/say", json={"user": "ana", "text": "otra"})
            moved = json.loads((await fresh.receive()).data)
            assert moved["payload"]["event"]["message"]["text"] == "otra"


async def test_a_subscription_needs_the_scope_and_a_live_session(client: Client) -> None:
    twitch = client.twitch
    token = await client.user_token(twitch.broadcaster.login, [])
    subscription = {
        "type": "channel.cheer",
        "version": "1",
        "condition": {"broadcaster_user_id": twitch.broadcaster.id},
        "transport": {"method": "websocket", "session_id": "gone"},
    }
    status, _ = await client.call(
        "POST", "/twitch/helix/eventsub/subscriptions", token=token, json=subscription
    )
    assert status == 400


async def test_send_chat_message_takes_its_parameters_from_the_query_string(client: Client) -> None:
    twitch = client.twitch
    token = await client.user_token("vivobot", ["user:write:chat"])
    query = {"broadcaster_id": twitch.broadcaster.id, "sender_id": twitch.bot.id, "message": "hola"}
    status, data = await client.call(
        "POST", "/twitch/helix/chat/messages", token=token, params=query
    )
    assert status == 200 and data["data"][0]["is_sent"] is True
    assert [m["message"] for m in twitch.sent] == ["hola"]


def _envelope(status: int, body: Any, reason: str) -> None:
    assert isinstance(body, dict), body
    assert set(body) == {"error", "status", "message"}
    assert (body["status"], body["error"]) == (status, reason)
    assert body["message"]


async def test_every_helix_failure_is_the_documented_json_envelope(client: Client) -> None:
    twitch = client.twitch
    token = await client.user_token("vivobot", ["user:write:chat", "user:read:chat"])
    status, body = await client.call(
        "POST", "/twitch/helix/chat/messages", token=token, data=b"{not json"
    )
    _envelope(400, body, "Bad Request")
    assert status == 400
    status, body = await client.call("POST", "/twitch/helix/chat/messages", token=token)
    _envelope(400, body, "Bad Request")
    status, body = await client.call("GET", "/twitch/helix/no/such/endpoint", token=token)
    _envelope(404, body, "Not Found")
    status, body = await client.call("DELETE", "/twitch/helix/users", token=token)
    _envelope(404, body, "Not Found")
    status, body = await client.call(
        "POST", "/twitch/helix/eventsub/subscriptions", token=token, json=["a list"]
    )
    _envelope(400, body, "Bad Request")
    url = client.base.replace("http", "ws") + "/twitch/ws"
    async with client.http.ws_connect(url) as ws:
        session = json.loads((await ws.receive()).data)["payload"]["session"]
        subscription = {
            "type": "channel.chat.message",
            "version": "1",
            "condition": {"broadcaster_user_id": twitch.broadcaster.id, "user_id": twitch.bot.id},
            "transport": {"method": "websocket", "session_id": session["id"]},
        }
        path = "/twitch/helix/eventsub/subscriptions"
        await client.call("POST", path, token=token, json=subscription)
        status, body = await client.call("POST", path, token=token, json=subscription)
        _envelope(409, body, "Conflict")


async def test_session_objects_carry_recovery_url_null(client: Client) -> None:
    url = client.base.replace("http", "ws") + "/twitch/ws"
    async with client.http.ws_connect(url) as ws:
        welcome = json.loads((await ws.receive()).data)["payload"]["session"]
        assert "recovery_url" in welcome and welcome["recovery_url"] is None
        await client.call("POST", "/_sandbox/twitch/reconnect")
        moving = json.loads((await ws.receive()).data)["payload"]["session"]
        assert "recovery_url" in moving and moving["recovery_url"] is None
        assert moving["reconnect_url"]
