"""The Discord stand-in on its own, spoken to in Discord's wire format with a raw client.

No discord.py and no Vivo code here: these pin the documented behaviour the adapter's tests
rely on (gateway handshake, sequence numbers and RESUME, interaction response rules,
REST errors), and check the stand-in's payloads carry every field of Discord's examples
in tests/payloads/discord.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.discord import DiscordStandIn

TOKEN = "MTIz.standin.token"
AUTH = {"Authorization": f"Bot {TOKEN}"}
PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "discord"
INTENTS = (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15)  # guilds, messages, DMs, content


@dataclass
class Running:
    standin: DiscordStandIn
    url: str
    http: aiohttp.ClientSession

    @property
    def api(self) -> str:
        return f"{self.url}/discord/api/v10"

    async def control(self, verb: str, body: dict[str, Any]) -> Any:
        async with self.http.post(f"{self.url}/_sandbox/discord/{verb}", json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()


class Gateway:
    """A bare gateway client: JSON frames in, optionally zlib-stream frames out."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, compressed: bool) -> None:
        self.ws = ws
        self.inflate = zlib.decompressobj() if compressed else None

    async def receive(self) -> dict[str, Any]:
        message = await self.ws.receive(timeout=10)
        if self.inflate is not None:
            assert message.type == aiohttp.WSMsgType.BINARY
            assert message.data.endswith(b"\x00\x00\xff\xff")
            frame: dict[str, Any] = json.loads(self.inflate.decompress(message.data))
            return frame
        assert message.type == aiohttp.WSMsgType.TEXT, message
        frame = json.loads(message.data)
        return frame

    async def send(self, op: int, data: Any) -> None:
        await self.ws.send_json({"op": op, "d": data})

    async def dispatch(self) -> dict[str, Any]:
        """The next dispatch (op 0), skipping heartbeat ACKs."""
        while True:
            frame = await self.receive()
            if frame["op"] == 0:
                return frame


@pytest.fixture
async def discord_sandbox() -> AsyncIterator[Running]:
    standin = DiscordStandIn(token=TOKEN)
    app = web.Application()
    standin.mount(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        yield Running(standin, f"http://{host}:{port}", http)
    await standin.close()
    await runner.cleanup()


async def connect(running: Running, *, compressed: bool = False) -> Gateway:
    query = "?v=10&encoding=json" + ("&compress=zlib-stream" if compressed else "")
    ws = await running.http.ws_connect(f"{running.url}/discord/gateway{query}")
    return Gateway(ws, compressed)


async def identify(running: Running, intents: int = INTENTS) -> tuple[Gateway, dict[str, Any]]:
    gateway = await connect(running)
    assert (await gateway.receive())["op"] == 10
    await gateway.send(2, {"token": TOKEN, "intents": intents, "properties": {}})
    ready = await gateway.dispatch()
    assert ready["t"] == "READY"
    return gateway, ready


async def register(running: Running) -> dict[str, Any]:
    standin = running.standin
    url = f"{running.api}/applications/{standin.application_id}/guilds/{standin.guild_id}/commands"
    body = [
        {
            "name": "comprar",
            "description": "Comprar",
            "options": [
                {"name": "producto", "description": "Qué", "type": 3, "required": True},
                {"name": "cantidad", "description": "Cuántos", "type": 4},
            ],
        }
    ]
    async with running.http.put(url, json=body, headers=AUTH) as response:
        assert response.status == 200
        commands: list[dict[str, Any]] = await response.json()
    return commands[0]


# -- REST -------------------------------------------------------------------------------


async def test_rest_answers_exactly_application_json_and_needs_the_bot_token(
    discord_sandbox: Running,
) -> None:
    async with discord_sandbox.http.get(f"{discord_sandbox.api}/users/@me", headers=AUTH) as ok:
        me = await ok.json()
        ok_type = ok.headers["Content-Type"]
    async with discord_sandbox.http.get(f"{discord_sandbox.api}/users/@me") as anonymous:
        refused = await anonymous.json()
    wrong = {"Authorization": "Bot nope"}
    async with discord_sandbox.http.get(
        f"{discord_sandbox.api}/oauth2/applications/@me", headers=wrong
    ) as bad:
        bad_status = bad.status

    assert ok_type == "application/json"
    assert me["id"] == discord_sandbox.standin.bot.id and me["bot"] is True
    assert anonymous.status == 401 and refused["code"] == 0
    assert bad_status == 401


async def test_closed_dms_and_overlong_messages_get_discords_errors(
    discord_sandbox: Running,
) -> None:
    said = await discord_sandbox.control("say", {"user": "ana", "text": "hola"})
    await discord_sandbox.control("dms", {"user": "ana", "open": False})
    api, http = discord_sandbox.api, discord_sandbox.http
    async with http.post(
        f"{api}/users/@me/channels", json={"recipient_id": said["user_id"]}, headers=AUTH
    ) as response:
        dm = await response.json()
    async with http.post(
        f"{api}/channels/{dm['id']}/messages", json={"content": "link"}, headers=AUTH
    ) as closed:
        closed_body = await closed.json()
    async with http.post(
        f"{api}/channels/{said['channel_id']}/messages", json={"content": "x" * 2001}, headers=AUTH
    ) as long:
        long_body = await long.json()

    assert dm["type"] == 1 and dm["recipients"][0]["id"] == said["user_id"]
    assert (closed.status, closed_body["code"]) == (403, 50007)
    assert (long.status, long_body["code"]) == (400, 50035)
    assert discord_sandbox.standin.sent == []


# -- gateway ----------------------------------------------------------------------------


async def test_identify_gets_ready_then_the_guild(discord_sandbox: Running) -> None:
    gateway = await connect(discord_sandbox, compressed=True)
    hello = await gateway.receive()
    await gateway.send(1, None)
    ack = await gateway.receive()
    await gateway.send(2, {"token": TOKEN, "intents": INTENTS, "properties": {}})
    ready = await gateway.dispatch()
    guild = await gateway.dispatch()
    standin = discord_sandbox.standin

    assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
    assert ack["op"] == 11
    assert ready["s"] == 1
    assert ready["d"]["session_id"] and ready["d"]["resume_gateway_url"].startswith("ws://")
    assert ready["d"]["guilds"] == [{"id": standin.guild_id, "unavailable": True}]
    assert ready["d"]["application"]["id"] == standin.application_id
    assert (guild["t"], guild["s"]) == ("GUILD_CREATE", 2)
    roles = {r["name"]: r for r in guild["d"]["roles"]}
    assert roles["@everyone"]["id"] == standin.guild_id
    assert int(roles["Moderador"]["permissions"]) & (1 << 5)  # Manage Server
    assert guild["d"]["owner_id"] == standin.owner.id
    assert {c["name"] for c in guild["d"]["channels"]} == {"general", "tienda"}
    # Without the GUILD_MEMBERS intent only the bot's own member comes along.
    assert [m["user"]["id"] for m in guild["d"]["members"]] == [standin.bot.id]


async def test_a_bad_token_closes_the_gateway_with_4004(discord_sandbox: Running) -> None:
    gateway = await connect(discord_sandbox)
    await gateway.receive()
    await gateway.send(2, {"token": "wrong", "intents": INTENTS, "properties": {}})
    closing = await gateway.ws.receive(timeout=10)

    assert closing.type == aiohttp.WSMsgType.CLOSE
    assert closing.data == 4004


async def test_messages_carry_the_member_and_need_the_content_intent(
    discord_sandbox: Running,
) -> None:
    with_content, _ = await identify(discord_sandbox)
    without_content, _ = await identify(discord_sandbox, INTENTS & ~(1 << 15))
    for gateway in (with_content, without_content):
        assert (await gateway.dispatch())["t"] == "GUILD_CREATE"

    await discord_sandbox.control("say", {"user": "sol", "text": "!tienda", "roles": ["Staff"]})
    seen = await with_content.dispatch()
    blank = await without_content.dispatch()

    assert seen["t"] == "MESSAGE_CREATE"
    assert seen["d"]["content"] == "!tienda"
    assert seen["d"]["member"]["flags"] == 0
    staff = next(r for r in discord_sandbox.standin.roles.values() if r.name == "Staff")
    assert seen["d"]["member"]["roles"] == [staff.id]
    assert blank["d"]["content"] == "" and blank["d"]["id"] == seen["d"]["id"]


async def test_resume_replays_what_the_dropped_connection_missed(
    discord_sandbox: Running,
) -> None:
    gateway, ready = await identify(discord_sandbox)
    await gateway.dispatch()  # GUILD_CREATE
    before = await discord_sandbox.control("say", {"user": "ana", "text": "uno"})
    last_seen = (await gateway.dispatch())["s"]

    dropped = await discord_sandbox.control("drop", {})
    closing = await gateway.ws.receive(timeout=10)
    missed = [
        await discord_sandbox.control("say", {"user": "ana", "text": text})
        for text in ("dos", "tres")
    ]
    again = await connect(discord_sandbox)
    await again.receive()  # HELLO
    resume = {"token": TOKEN, "session_id": ready["d"]["session_id"], "seq": last_seen}
    await again.send(6, resume)
    replayed = [await again.dispatch() for _ in missed]
    resumed = await again.dispatch()

    assert dropped["dropped"] == 1
    assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4000
    assert [f["d"]["id"] for f in replayed] == [m["id"] for m in missed]
    assert before["id"] not in [f["d"]["id"] for f in replayed]
    assert [f["s"] for f in replayed] == [last_seen + 1, last_seen + 2]
    assert resumed["t"] == "RESUMED" and resumed["s"] == last_seen + 3


async def test_resuming_an_unknown_session_is_refused(discord_sandbox: Running) -> None:
    gateway = await connect(discord_sandbox)
    await gateway.receive()
    await gateway.send(6, {"token": TOKEN, "session_id": "nope", "seq": 3})

    assert await gateway.receive() == {"op": 9, "d": False, "s": None, "t": None}


# -- interactions -----------------------------------------------------------------------


async def test_interaction_responses_follow_discords_rules(discord_sandbox: Running) -> None:
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    command = await register(discord_sandbox)
    await discord_sandbox.control(
        "slash", {"user": "ana", "command": "comprar", "options": {"producto": "taza"}}
    )
    event = (await gateway.dispatch())["d"]
    api, http = discord_sandbox.api, discord_sandbox.http
    callback = f"{api}/interactions/{event['id']}/{event['token']}/callback?with_response=true"
    followup = f"{api}/webhooks/{event['application_id']}/{event['token']}"

    async with http.post(followup, json={"content": "too soon"}) as early:
        early_body = await early.json()
    async with http.post(callback, json={"type": 5, "data": {"flags": 64}}) as deferred:
        deferred_body = await deferred.json()
    async with http.post(callback, json={"type": 5}) as twice:
        twice_body = await twice.json()
    async with http.post(followup, json={"content": "link", "flags": 0}) as first:
        first_body = await first.json()
    async with http.post(followup, json={"content": "public"}) as second:
        second_body = await second.json()

    assert event["data"]["id"] == command["id"] and event["data"]["name"] == "comprar"
    assert event["data"]["options"] == [{"name": "producto", "type": 3, "value": "taza"}]
    assert (early.status, early_body["code"]) == (404, 10015)
    assert deferred_body["interaction"]["response_message_loading"] is True
    assert deferred_body["interaction"]["response_message_ephemeral"] is True
    assert (twice.status, twice_body["code"]) == (400, 40060)
    # The first followup after a deferral edits the loading message: it stays ephemeral.
    assert first_body["flags"] & 64
    assert not second_body["flags"] & 64
    kinds = [(s["kind"], s["content"], s["ephemeral"]) for s in discord_sandbox.standin.sent]
    assert kinds == [
        ("deferred", None, True),
        ("followup", "link", True),
        ("followup", "public", False),
    ]


async def test_a_late_first_response_is_an_unknown_interaction(discord_sandbox: Running) -> None:
    discord_sandbox.standin.interaction_deadline = -1.0  # every answer is late
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    await register(discord_sandbox)
    await discord_sandbox.control("slash", {"user": "ana", "command": "comprar", "options": {}})
    event = (await gateway.dispatch())["d"]
    url = f"{discord_sandbox.api}/interactions/{event['id']}/{event['token']}/callback"

    async with discord_sandbox.http.post(url, json={"type": 4, "data": {"content": "x"}}) as late:
        body = await late.json()

    assert (late.status, body["code"]) == (404, 10062)


async def test_autocomplete_marks_the_focused_option_and_returns_the_choices(
    discord_sandbox: Running,
) -> None:
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    await register(discord_sandbox)
    ask = {
        "user": "ana",
        "command": "comprar",
        "options": {"producto": "re"},
        "focused": "producto",
    }
    pending = asyncio.ensure_future(discord_sandbox.control("autocomplete", ask))
    event = (await gateway.dispatch())["d"]
    url = f"{discord_sandbox.api}/interactions/{event['id']}/{event['token']}/callback"
    choices = [{"name": "Remera Vivo", "value": "Remera Vivo"}]
    async with discord_sandbox.http.post(
        url, json={"type": 8, "data": {"choices": choices}}
    ) as answered:
        assert answered.status == 204, await answered.text()
    result = await pending

    assert event["type"] == 4
    assert event["data"]["options"] == [
        {"name": "producto", "type": 3, "value": "re", "focused": True}
    ]
    assert result == {"id": event["id"], "answered": True, "choices": choices}


# -- shapes against Discord's documented examples ---------------------------------------


def keys(payload: dict[str, Any]) -> set[str]:
    return set(payload)


async def test_payloads_have_every_field_of_the_documented_examples(
    discord_sandbox: Running,
) -> None:
    documented_message = json.loads((PAYLOADS / "message_create.json").read_text())
    documented_interaction = json.loads((PAYLOADS / "interaction_slash.json").read_text())
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    await register(discord_sandbox)

    await discord_sandbox.control("say", {"user": "ana", "text": "!tienda"})
    message = (await gateway.dispatch())["d"]
    await discord_sandbox.control(
        "slash", {"user": "ana", "command": "comprar", "options": {"producto": "taza"}}
    )
    interaction = (await gateway.dispatch())["d"]

    assert keys(documented_message) <= keys(message)
    assert keys(documented_message["member"]) <= keys(message["member"])
    assert keys(documented_message["author"]) <= keys(message["author"])
    assert keys(documented_interaction) <= keys(interaction)
    member = documented_interaction["member"]
    assert keys(member) - {"is_pending"} <= keys(interaction["member"])
    assert keys(member["user"]) <= keys(interaction["member"]["user"])
    assert keys(documented_interaction["data"]) <= keys(interaction["data"])


# -- buttons (message components) -------------------------------------------------------


def row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


def button(n: int, **overrides: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": f"Botón {n}", "custom_id": f"b{n}", **overrides}


async def post_message(
    running: Running, channel_id: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    url = f"{running.api}/channels/{channel_id}/messages"
    async with running.http.post(url, json=body, headers=AUTH) as response:
        result: dict[str, Any] = await response.json()
        return response.status, result


async def test_buttons_outside_discords_limits_get_invalid_form_body(
    discord_sandbox: Running,
) -> None:
    channel = discord_sandbox.standin.channel().id
    documented = json.loads((PAYLOADS / "message_with_buttons.json").read_text())
    too_many_in_a_row = {"content": "x", "components": [row(*(button(n) for n in range(6)))]}
    too_many_rows = {"content": "x", "components": [row(button(n)) for n in range(6)]}
    long_label = {"content": "x", "components": [row(button(1, label="l" * 81))]}
    long_id = {"content": "x", "components": [row(button(1, custom_id="c" * 101))]}
    twice = {"content": "x", "components": [row(button(1), button(2, custom_id="b1"))]}
    bare_button = {"content": "x", "components": [button(1)]}

    status, message = await post_message(discord_sandbox, channel, documented)
    refused = [
        await post_message(discord_sandbox, channel, body)
        for body in (too_many_in_a_row, too_many_rows, long_label, long_id, twice, bare_button)
    ]
    fits = {
        "content": "x",
        "components": [row(*(button(5 * r + n) for n in range(5))) for r in range(5)],
    }
    fits_status, _ = await post_message(discord_sandbox, channel, fits)

    assert status == 200 and message["components"] == documented["components"]
    assert fits_status == 200
    assert [(s, body["code"], body["message"]) for s, body in refused] == [
        (400, 50035, "Invalid Form Body")
    ] * 6
    assert refused[0][1]["errors"]["components"]["0"]["components"]["_errors"][0]["code"] == (
        "BASE_TYPE_MAX_LENGTH"
    )
    assert "_errors" in refused[1][1]["errors"]["components"]
    assert "label" in refused[2][1]["errors"]["components"]["0"]["components"]["0"]
    assert "custom_id" in refused[3][1]["errors"]["components"]["0"]["components"]["0"]
    sent = discord_sandbox.standin.sent
    assert [s["components"] for s in sent] == [documented["components"], fits["components"]]


async def test_pressing_a_button_is_a_message_component_interaction(
    discord_sandbox: Running,
) -> None:
    documented = json.loads((PAYLOADS / "interaction_component.json").read_text())
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    channel = discord_sandbox.standin.channel().id
    body = json.loads((PAYLOADS / "message_with_buttons.json").read_text())
    _, message = await post_message(discord_sandbox, channel, body)
    await gateway.dispatch()  # the bot's own MESSAGE_CREATE

    pressed = await discord_sandbox.control(
        "press", {"user": "ana", "label": "Comprar Taza del stream"}
    )
    event = await gateway.dispatch()
    interaction = event["d"]
    api, http = discord_sandbox.api, discord_sandbox.http
    callback = f"{api}/interactions/{interaction['id']}/{interaction['token']}/callback"
    followup = f"{api}/webhooks/{interaction['application_id']}/{interaction['token']}"
    async with http.post(callback, json={"type": 6}) as ack:
        ack_status = ack.status
    bad = {"content": "elige", "flags": 64, "components": [row(button(1, label="l" * 81))]}
    async with http.post(followup, json=bad) as refused:
        refused_body = await refused.json()
    ok = {"content": "elige", "flags": 64, "components": [row(button(1), button(2))]}
    async with http.post(followup, json=ok) as answered:
        answer = await answered.json()
    hidden = await discord_sandbox.control("press", {"user": "ana", "label": "Botón 2"})
    async with http.post(
        f"{discord_sandbox.url}/_sandbox/discord/press", json={"user": "beto", "label": "Botón 2"}
    ) as other:
        other_status = other.status

    assert event["t"] == "INTERACTION_CREATE"
    assert keys(documented) <= keys(interaction)
    assert keys(documented["member"]) - {"is_pending"} <= keys(interaction["member"])
    assert keys(documented["message"]) <= keys(interaction["message"])
    assert interaction["type"] == 3 and interaction["version"] == 1
    assert interaction["application_id"] == discord_sandbox.standin.application_id
    assert interaction["data"] == {"custom_id": "/comprar TAZA-01", "component_type": 2}
    assert interaction["message"]["id"] == message["id"] == pressed["message_id"]
    assert interaction["id"] == pressed["id"]
    assert ack_status == 204
    assert (refused.status, refused_body["code"]) == (400, 50035)
    assert answer["flags"] & 64 and answer["components"] == ok["components"]
    # An ephemeral message's buttons are there for the one who sees it, and nobody else.
    assert hidden["message_id"] == answer["id"]
    assert other_status == 404
    kinds = [(s["kind"], s["ephemeral"]) for s in discord_sandbox.standin.sent if "ephemeral" in s]
    assert kinds == [("deferred_update", False), ("followup", True)]


async def test_only_a_button_press_may_be_answered_with_a_deferred_update(
    discord_sandbox: Running,
) -> None:
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    await register(discord_sandbox)
    await discord_sandbox.control(
        "slash", {"user": "ana", "command": "comprar", "options": {"producto": "taza"}}
    )
    event = (await gateway.dispatch())["d"]
    url = f"{discord_sandbox.api}/interactions/{event['id']}/{event['token']}/callback"

    async with discord_sandbox.http.post(url, json={"type": 6}) as wrong:
        wrong_body = await wrong.json()
    async with discord_sandbox.http.post(url, json={"type": 5}) as right:
        right_status = right.status

    assert (wrong.status, wrong_body["code"]) == (400, 50035)
    assert right_status == 204


# -- allowed mentions -------------------------------------------------------------------


async def test_allowed_mentions_decide_who_is_pinged(discord_sandbox: Running) -> None:
    """As documented: without the field every mention parses; with it, only what it names."""
    ana = await discord_sandbox.control("say", {"user": "ana", "text": "hola"})
    beto = await discord_sandbox.control("say", {"user": "beto", "text": "hola"})
    role = discord_sandbox.standin.roles["Staff"].id
    channel = ana["channel_id"]
    text = f"<@{ana['user_id']}> <@!{beto['user_id']}> <@&{role}> @everyone <#{channel}>"

    status, open_door = await post_message(discord_sandbox, channel, {"content": text})
    _, only_ana = await post_message(
        discord_sandbox,
        channel,
        {"content": text, "allowed_mentions": {"parse": [], "users": [ana["user_id"]]}},
    )
    _, nobody = await post_message(
        discord_sandbox, channel, {"content": "sin menciones", "allowed_mentions": {"parse": []}}
    )
    _, phantom = await post_message(
        discord_sandbox,
        channel,
        {"content": "hola", "allowed_mentions": {"parse": [], "users": [beto["user_id"]]}},
    )
    clash, refused = await post_message(
        discord_sandbox,
        channel,
        {"content": text, "allowed_mentions": {"parse": ["users"], "users": [ana["user_id"]]}},
    )

    assert status == 200
    assert {u["id"] for u in open_door["mentions"]} == {ana["user_id"], beto["user_id"]}
    assert open_door["mention_roles"] == [role] and open_door["mention_everyone"] is True
    assert [u["id"] for u in only_ana["mentions"]] == [ana["user_id"]]
    assert only_ana["mention_roles"] == [] and only_ana["mention_everyone"] is False
    assert nobody["mentions"] == [] and phantom["mentions"] == []  # no phantom pings
    assert (clash, refused["code"]) == (400, 50035)
    sent = discord_sandbox.standin.sent
    assert [e["pinged"]["users"] for e in sent] == [
        [ana["user_id"], beto["user_id"]],
        [ana["user_id"]],
        [],
        [],
    ]
    assert sent[1]["allowed_mentions"] == {"parse": [], "users": [ana["user_id"]]}


async def test_a_reply_pings_its_author_only_when_allowed(discord_sandbox: Running) -> None:
    said = await discord_sandbox.control("say", {"user": "ana", "text": "!tienda"})
    reference = {"message_id": said["id"], "channel_id": said["channel_id"]}
    _, default = await post_message(
        discord_sandbox, said["channel_id"], {"content": "hola", "message_reference": reference}
    )
    _, quiet = await post_message(
        discord_sandbox,
        said["channel_id"],
        {"content": "hola", "message_reference": reference, "allowed_mentions": {"parse": []}},
    )
    _, loud = await post_message(
        discord_sandbox,
        said["channel_id"],
        {
            "content": "hola",
            "message_reference": reference,
            "allowed_mentions": {"parse": [], "replied_user": True},
        },
    )
    assert [u["id"] for u in default["mentions"]] == [said["user_id"]]
    assert quiet["mentions"] == []
    assert [u["id"] for u in loud["mentions"]] == [said["user_id"]]


# -- what a client sends, as Discord reads it ---------------------------------------------


async def closing_code(gateway: Gateway) -> int:
    """The close code the stand-in ends the connection with, skipping anything before it."""
    while True:
        message = await gateway.ws.receive(timeout=10)
        if message.type == aiohttp.WSMsgType.CLOSE:
            code: int = message.data
            return code
        assert message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), message


async def test_binary_json_frames_are_read_like_text(discord_sandbox: Running) -> None:
    """hikari sends every payload as a binary frame; Discord reads JSON from either kind."""
    gateway = await connect(discord_sandbox)
    await gateway.receive()  # HELLO
    await gateway.ws.send_bytes(json.dumps({"op": 1, "d": None}).encode())
    ack = await gateway.receive()
    identify = {"op": 2, "d": {"token": TOKEN, "intents": INTENTS, "properties": {}}}
    await gateway.ws.send_bytes(json.dumps(identify).encode())
    ready = await gateway.dispatch()

    assert ack["op"] == 11
    assert ready["t"] == "READY" and ready["s"] == 1


IDENTIFY = {"op": 2, "d": {"token": TOKEN, "intents": INTENTS, "properties": {}}}


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        pytest.param([b"{not json"], 4002, id="undecodable"),
        pytest.param([b"\xff\xfe"], 4002, id="not-utf8"),
        pytest.param(["[1, 2]"], 4002, id="not-an-object"),
        pytest.param(
            [json.dumps({"op": 1, "d": None, "pad": "x" * 4096})], 4002, id="over-4096-bytes"
        ),
        pytest.param([json.dumps({"op": 99, "d": {}})], 4001, id="unknown-opcode"),
        pytest.param([json.dumps({"d": {}})], 4001, id="no-opcode"),
        pytest.param([json.dumps({"op": 2, "d": None})], 4001, id="identify-without-data"),
        pytest.param(
            [json.dumps({"op": 8, "d": {"guild_id": "1", "query": "", "limit": "many"}})],
            4003,
            id="members-before-identify",
        ),
        pytest.param(
            [json.dumps({"op": 2, "d": {"token": TOKEN, "intents": "all", "properties": {}}})],
            4013,
            id="identify-with-bad-intents",
        ),
        pytest.param(
            [json.dumps({"op": 3, "d": {"since": None, "activities": [], "status": "online"}})],
            4003,
            id="presence-before-identify",
        ),
        pytest.param([json.dumps(IDENTIFY)] * 2, 4005, id="identify-twice"),
    ],
)
async def test_payloads_discord_refuses_close_with_the_documented_code(
    discord_sandbox: Running, frames: list[str | bytes], code: int
) -> None:
    gateway = await connect(discord_sandbox)
    await gateway.receive()  # HELLO
    for frame in frames:
        if isinstance(frame, bytes):
            await gateway.ws.send_bytes(frame)
        else:
            await gateway.ws.send_str(frame)

    assert await closing_code(gateway) == code


async def test_payload_compression_compresses_dispatches_when_identify_asks(
    discord_sandbox: Running,
) -> None:
    gateway = await connect(discord_sandbox)
    hello = await gateway.ws.receive(timeout=10)
    await gateway.send(2, {"token": TOKEN, "intents": INTENTS, "properties": {}, "compress": True})
    ready = await gateway.ws.receive(timeout=10)
    guild = await gateway.ws.receive(timeout=10)
    await gateway.send(1, 2)
    ack = await gateway.ws.receive(timeout=10)

    assert hello.type == aiohttp.WSMsgType.TEXT  # before IDENTIFY nothing is compressed
    # Each compressed payload is a whole zlib stream of its own: no shared context.
    assert ready.type == guild.type == aiohttp.WSMsgType.BINARY
    assert json.loads(zlib.decompress(ready.data))["t"] == "READY"
    assert json.loads(zlib.decompress(guild.data))["t"] == "GUILD_CREATE"
    # "Not all payloads will be compressed": a client must check each one.
    assert ack.type == aiohttp.WSMsgType.TEXT and json.loads(ack.data)["op"] == 11


async def test_transport_compression_wins_over_payload_compression(
    discord_sandbox: Running,
) -> None:
    gateway = await connect(discord_sandbox, compressed=True)
    await gateway.receive()  # HELLO, through the zlib-stream context
    await gateway.send(2, {"token": TOKEN, "intents": INTENTS, "properties": {}, "compress": True})
    ready = await gateway.dispatch()  # Gateway.receive asserts the zlib-stream framing

    assert ready["t"] == "READY"


async def test_request_guild_members_answers_with_a_members_chunk(
    discord_sandbox: Running,
) -> None:
    said = await discord_sandbox.control("say", {"user": "ana", "text": "hola"})
    await discord_sandbox.control("say", {"user": "beto", "text": "hola"})
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()  # GUILD_CREATE
    guild_id = discord_sandbox.standin.guild_id
    await gateway.send(8, {"guild_id": guild_id, "query": "an", "limit": 0, "nonce": "n1"})
    by_name = await gateway.dispatch()
    await gateway.send(8, {"guild_id": guild_id, "user_ids": [said["user_id"], "1"]})
    by_id = await gateway.dispatch()

    assert by_name["t"] == "GUILD_MEMBERS_CHUNK"
    assert [m["user"]["username"] for m in by_name["d"]["members"]] == ["ana"]
    assert by_name["d"]["nonce"] == "n1"
    assert (by_name["d"]["chunk_index"], by_name["d"]["chunk_count"]) == (0, 1)
    assert [m["user"]["id"] for m in by_id["d"]["members"]] == [said["user_id"]]
    assert by_id["d"]["not_found"] == ["1"]


# -- REST: the application, rate limits, replies --------------------------------------------


async def test_the_application_has_every_field_of_the_documented_example(
    discord_sandbox: Running,
) -> None:
    documented = json.loads((PAYLOADS / "application.json").read_text())
    url = f"{discord_sandbox.api}/oauth2/applications/@me"
    async with discord_sandbox.http.get(url, headers=AUTH) as response:
        application = await response.json()
    # The example's game-store fields (a cover image, a linked guild, a SKU and its slug)
    # are for apps sold on Discord; a bot has none.
    store_only = {"cover_image", "guild_id", "primary_sku_id", "slug"}

    assert keys(documented) - store_only <= keys(application)
    assert application["approximate_guild_count"] == 1
    assert application["approximate_user_install_count"] == 0
    assert application["event_webhooks_status"] == 1
    assert keys(documented["owner"]) - {"flags"} <= keys(application["owner"])
    install = application["integration_types_config"]["0"]["oauth2_install_params"]
    assert "bot" in install["scopes"]


async def test_rest_answers_carry_rate_limit_headers_and_429_past_the_limit(
    discord_sandbox: Running,
) -> None:
    await discord_sandbox.control("ratelimit", {"limit": 2, "window": 60})
    general, tienda = (discord_sandbox.standin.channel(n).id for n in ("general", "tienda"))
    answers = []
    for channel in (general, general, general, tienda):
        url = f"{discord_sandbox.api}/channels/{channel}/messages"
        async with discord_sandbox.http.post(url, json={"content": "hola"}, headers=AUTH) as r:
            answers.append((r.status, dict(r.headers), await r.json()))
    (first, h1, _), (second, h2, _), (refused, h3, body), (other, h4, _) = answers

    assert (first, second, refused, other) == (200, 200, 429, 200)
    assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"]) == ("2", "1")
    assert h2["X-RateLimit-Remaining"] == "0"
    assert h1["X-RateLimit-Bucket"] == h2["X-RateLimit-Bucket"] == h4["X-RateLimit-Bucket"]
    assert 0 < float(h1["X-RateLimit-Reset-After"]) <= 60
    assert float(h1["X-RateLimit-Reset"]) > 1_600_000_000  # epoch seconds
    assert body["global"] is False and 0 < body["retry_after"] <= 60
    assert body["message"] == "You are being rate limited."
    assert h3["X-RateLimit-Scope"] == "user" and int(h3["Retry-After"]) >= 1
    # The channel is a major parameter: another channel has its own count.
    assert h4["X-RateLimit-Remaining"] == "1"
    assert [s["channel_id"] for s in discord_sandbox.standin.sent] == [general, general, tienda]


async def test_a_reply_comes_back_with_a_complete_message_reference(
    discord_sandbox: Running,
) -> None:
    said = await discord_sandbox.control("say", {"user": "ana", "text": "!tienda"})
    status, reply = await post_message(
        discord_sandbox,
        said["channel_id"],
        {"content": "hola", "message_reference": {"message_id": said["id"]}},
    )

    assert status == 200 and reply["type"] == 19
    # channel_id and guild_id may be left out when replying; Discord always sends them back.
    assert reply["message_reference"] == {
        "type": 0,
        "message_id": said["id"],
        "channel_id": said["channel_id"],
        "guild_id": discord_sandbox.standin.guild_id,
    }


async def test_a_field_of_the_wrong_type_is_an_invalid_payload_for_its_opcode(
    discord_sandbox: Running,
) -> None:
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()  # GUILD_CREATE
    guild_id = discord_sandbox.standin.guild_id
    await gateway.send(8, {"guild_id": guild_id, "query": "", "limit": "many"})

    assert await closing_code(gateway) == 4001


async def test_a_modal_within_discords_limits_opens_and_its_submit_is_documented(
    discord_sandbox: Running,
) -> None:
    documented = json.loads((PAYLOADS / "interaction_modal_submit.json").read_text())
    modal = json.loads((PAYLOADS / "interaction_response_modal.json").read_text())
    gateway, _ = await identify(discord_sandbox)
    await gateway.dispatch()
    channel = discord_sandbox.standin.channel().id
    body = json.loads((PAYLOADS / "message_with_buttons.json").read_text())
    await post_message(discord_sandbox, channel, body)
    await gateway.dispatch()
    await discord_sandbox.control("press", {"user": "ana", "label": "Comprar Taza del stream"})
    interaction = (await gateway.dispatch())["d"]
    api, http = discord_sandbox.api, discord_sandbox.http
    callback = f"{api}/interactions/{interaction['id']}/{interaction['token']}/callback"

    def with_box(**overrides: Any) -> dict[str, Any]:
        box = {**modal["data"]["components"][0]["components"][0], **overrides}
        return {
            "type": 9,
            "data": {**modal["data"], "components": [{"type": 1, "components": [box]}]},
        }

    too_many = {"type": 9, "data": {**modal["data"], "components": modal["data"]["components"] * 3}}
    refused = []
    for bad in (
        with_box(label="l" * 46),
        with_box(custom_id="c" * 101),
        {"type": 9, "data": {**modal["data"], "title": "t" * 46}},
        too_many,
        with_box(type=2),
    ):
        async with http.post(callback, json=bad) as answer:
            refused.append((answer.status, (await answer.json())["code"]))
    async with http.post(callback, json=modal) as opened:
        opened_status = opened.status
    async with http.post(callback, json={"type": 6}) as twice:
        twice_status = twice.status

    submitted = await discord_sandbox.control(
        "submit", {"user": "ana", "values": {"name": "Ana", "contact": "ana@example.com"}}
    )
    event = (await gateway.dispatch())["d"]

    assert refused == [(400, 50035)] * 5
    assert opened_status == 204 and twice_status == 400
    [shown] = [s for s in discord_sandbox.standin.sent if s["kind"] == "modal"]
    assert shown["components"] == modal["data"]["components"] and shown["user"] == "ana"
    assert event["type"] == 5 and event["id"] == submitted["id"]
    assert keys(documented) <= keys(event)
    assert event["data"]["custom_id"] == modal["data"]["custom_id"]
    assert [
        (c["components"][0]["type"], c["components"][0]["custom_id"], c["components"][0]["value"])
        for c in event["data"]["components"]
    ] == [(4, "name", "Ana"), (4, "contact", "ana@example.com")]
    assert event["message"]["components"] == body["components"]
