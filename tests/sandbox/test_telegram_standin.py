"""The Telegram stand-in over raw HTTP, checked against the Bot API's documented behaviour.

No Vivo code and no SDK here: requests are built the way the Bot API documents them
(form fields, objects as JSON text), and answers are compared with the documented shapes in
tests/payloads/telegram/ (written from core.telegram.org/bots/api's object definitions).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from sandbox.telegram import DEFAULT_TOKEN, SECRET_HEADER, TelegramStandIn

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "telegram"


def documented(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text())


def assert_shape(actual: Any, expected: Any, where: str = "$") -> None:
    """Same keys and JSON types as the documented example, recursively; values may differ."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(actual) == set(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key, value in expected.items():
            assert_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{where}: expected an array, got {actual!r}"
        assert actual, f"{where}: expected a non-empty array"
        for index, item in enumerate(actual):
            assert_shape(item, expected[0], f"{where}[{index}]")
    elif isinstance(expected, bool):
        assert isinstance(actual, bool), f"{where}: expected a boolean, got {actual!r}"
    elif isinstance(expected, int):
        assert isinstance(actual, int) and not isinstance(actual, bool), f"{where}: {actual!r}"
    else:
        assert type(actual) is type(expected), f"{where}: {actual!r} is not like {expected!r}"


@dataclass
class Api:
    url: str
    http: aiohttp.ClientSession
    standin: TelegramStandIn
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)

    async def call(
        self, method: str, token: str = DEFAULT_TOKEN, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        """POST a Bot API method as a form, objects JSON-encoded (PTB's way)."""
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        async with self.http.post(f"{self.url}/telegram/bot{token}/{method}", data=form) as r:
            return r.status, await r.json()

    async def control(self, verb: str, **body: Any) -> Any:
        async with self.http.post(f"{self.url}/_sandbox/telegram/{verb}", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    async def sent(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.url}/_sandbox/telegram/sent") as r:
            result: list[dict[str, Any]] = await r.json()
            return result


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    standin = TelegramStandIn()
    app = web.Application()
    standin.setup(app)
    hooks: list[tuple[dict[str, str], dict[str, Any]]] = []

    async def webhook(request: web.Request) -> web.Response:
        hooks.append((dict(request.headers), await request.json()))
        return web.Response()

    app.router.add_post("/hook", webhook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as http:
        yield Api(f"http://127.0.0.1:{port}", http, standin, hooks)
    await standin.close()
    await runner.cleanup()


async def test_get_me_and_errors_have_telegrams_shapes(api: Api) -> None:
    status, body = await api.call("getMe")
    assert status == 200
    assert_shape(body, documented("get_me.json"))
    assert body["result"]["id"] == int(DEFAULT_TOKEN.split(":")[0])

    status, body = await api.call("getMe", token="123:wrong")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await api.call("noSuchMethod")
    assert (status, body["error_code"]) == (404, 404)


async def test_a_group_command_arrives_as_the_documented_update(api: Api) -> None:
    said = await api.control("say", user="ana", text="/comprar@vivo_sandbox_bot remera M")
    assert said["delivered"]
    status, body = await api.call("getUpdates", timeout=0)
    assert status == 200
    [update] = body["result"]
    assert_shape(update, documented("update_message_group_command.json"))
    assert update["message"]["entities"] == [{"offset": 0, "length": 25, "type": "bot_command"}]

    # Not confirmed yet: asked again, it comes again; an offset past it confirms it.
    _, again = await api.call("getUpdates", timeout=0)
    assert again["result"] == [update]
    _, after = await api.call("getUpdates", offset=update["update_id"] + 1, timeout=0)
    assert after["result"] == []


async def test_long_poll_answers_when_an_update_arrives(api: Api) -> None:
    poll = asyncio.ensure_future(api.call("getUpdates", timeout=30))
    while not any(c["method"] == "getUpdates" for c in api.standin.calls):
        await asyncio.sleep(0.01)
    await api.control("say", user="ana", text="/tienda", chat="private")
    status, body = await poll
    assert status == 200
    assert [u["message"]["text"] for u in body["result"]] == ["/tienda"]
    assert_shape(body["result"][0], documented("update_message_private_start.json"))


async def test_privacy_mode_hides_bang_commands_in_groups(api: Api) -> None:
    hidden = await api.control("say", user="ana", text="!comprar remera M")
    other_bot = await api.control("say", user="ana", text="/comprar@otro_bot remera")
    mention = await api.control("say", user="ana", text="@vivo_sandbox_bot hola")
    private = await api.control("say", user="ana", text="!comprar remera M", chat="private")
    assert [hidden["delivered"], other_bot["delivered"]] == [False, False]
    assert [mention["delivered"], private["delivered"]] == [True, True]
    _, me = await api.call("getMe")
    assert me["result"]["can_read_all_group_messages"] is False

    await api.control("privacy", enabled=False)
    heard = await api.control("say", user="ana", text="!comprar remera M")
    assert heard["delivered"]
    _, me = await api.call("getMe")
    assert me["result"]["can_read_all_group_messages"] is True


async def test_allowed_updates_filter_updates_created_afterwards(api: Api) -> None:
    await api.call("getUpdates", timeout=0, allowed_updates=["message", "callback_query"])
    edited = await api.control("inject", **documented("update_edited_message.json"))
    channel = await api.control("inject", **documented("update_channel_post.json"))
    message = await api.control("inject", **documented("update_message_group_command.json"))
    assert [edited["delivered"], channel["delivered"], message["delivered"]] == [
        False,
        False,
        True,
    ]
    _, body = await api.call("getUpdates", timeout=0)
    assert [list(u)[1] for u in body["result"]] == ["message"]
    assert body["result"][0] == documented("update_message_group_command.json")


async def test_send_message_with_an_inline_keyboard(api: Api) -> None:
    await api.control("say", user="ana", text="/tienda")
    group = api.standin.group_id
    keyboard = {"inline_keyboard": [[{"text": "Comprar", "callback_data": "!comprar REM-VIVO"}]]}
    status, body = await api.call(
        "sendMessage", chat_id=str(group), text="Remera Vivo $ 15.000", reply_markup=keyboard
    )
    assert status == 200
    assert_shape(body["result"], documented("message_sent_with_keyboard.json"))
    assert body["result"]["reply_markup"] == keyboard
    [entry] = await api.sent()
    assert (entry["method"], entry["chat_id"], entry["text"]) == (
        "sendMessage",
        group,
        "Remera Vivo $ 15.000",
    )

    bad = {"inline_keyboard": [[{"text": "x", "callback_data": "y" * 65}]]}
    status, body = await api.call("sendMessage", chat_id=str(group), text="x", reply_markup=bad)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


async def test_html_parse_mode_becomes_text_and_entities(api: Api) -> None:
    """ "Formatting options", HTML style: tags become entities counted in UTF-16 units."""
    group = str(api.standin.group_id)
    html = (
        '💳 <b>Pagá</b> <a href="http://pago/1">acá</a> &amp; <i>ya</i> '
        '<pre><code class="language-text">ORD-1</code></pre>'
    )
    status, body = await api.call("sendMessage", chat_id=group, text=html, parse_mode="HTML")
    assert status == 200
    message = body["result"]
    assert message["text"] == "💳 Pagá acá & ya ORD-1"
    assert message["entities"] == [
        {"type": "bold", "offset": 3, "length": 4},  # the emoji is two UTF-16 units
        {"type": "text_link", "url": "http://pago/1", "offset": 8, "length": 3},
        {"type": "italic", "offset": 14, "length": 2},
        {"type": "pre", "language": "text", "offset": 17, "length": 5},
    ]
    [entry] = await api.sent()
    assert entry["text"] == message["text"]

    status, body = await api.call("sendMessage", chat_id=group, text="x <b>y", parse_mode="HTML")
    assert status == 400 and body["description"].startswith("Bad Request: can't parse entities")
    status, body = await api.call(
        "sendMessage", chat_id=group, text="<blink>y</blink>", parse_mode="HTML"
    )
    assert status == 400 and "Unsupported start tag" in body["description"]
    other = str(api.standin.group(-42)["id"])  # a chat of its own: one message a second each
    status, body = await api.call("sendMessage", chat_id=other, text="<b>a</b> <b>b</b>")
    assert status == 200 and body["result"]["text"] == "<b>a</b> <b>b</b>"  # no parse_mode


async def test_a_bot_cannot_write_first_nor_to_who_blocked_it(api: Api) -> None:
    ana = api.standin.user("ana")
    status, body = await api.call("sendMessage", chat_id=str(ana["id"]), text="hola")
    assert status == 403
    assert body == documented("error_cannot_initiate.json")

    await api.control("open", user="ana", url="https://t.me/vivo_sandbox_bot?start=abc_123")
    status, _ = await api.call("sendMessage", chat_id=str(ana["id"]), text="hola")
    assert status == 200
    _, updates = await api.call("getUpdates", timeout=0)
    assert updates["result"][-1]["message"]["text"] == "/start abc_123"

    await api.control("block", user="ana")
    status, body = await api.call("sendMessage", chat_id=str(ana["id"]), text="hola")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")


async def test_flooding_a_chat_gets_429_with_retry_after(api: Api) -> None:
    group = str(api.standin.group_id)
    first, _ = await api.call("sendMessage", chat_id=group, text="uno")
    status, body = await api.call("sendMessage", chat_id=group, text="dos")
    assert first == 200
    assert status == 429
    assert_shape(body, documented("error_too_many_requests.json"))
    assert body["parameters"]["retry_after"] >= 1
    assert [e["text"] for e in await api.sent()] == ["uno"]


async def test_injected_rate_limit_holds_the_chat_for_retry_after(api: Api) -> None:
    group = str(api.standin.group_id)
    await api.control("faults", rate_limit={"count": 1, "retry_after": 2})
    status, body = await api.call("sendMessage", chat_id=group, text="uno")
    assert (status, body["parameters"]["retry_after"]) == (429, 2)
    status, _ = await api.call("sendMessage", chat_id=group, text="uno")
    assert status == 429  # still inside retry_after: refused again


async def test_long_text_is_refused(api: Api) -> None:
    status, body = await api.call("sendMessage", chat_id=str(api.standin.group_id), text="a" * 4097)
    assert (status, body["description"]) == (400, "Bad Request: message is too long")


async def test_pressing_a_button_and_answering_the_query(api: Api) -> None:
    group = str(api.standin.group_id)
    keyboard = {"inline_keyboard": [[{"text": "Comprar", "callback_data": "!comprar REM-VIVO"}]]}
    await api.call("sendMessage", chat_id=group, text="Remera", reply_markup=keyboard)
    pressed = await api.control("press", user="ana", button="Comprar")
    _, body = await api.call("getUpdates", timeout=0)
    [update] = body["result"]
    assert_shape(update, documented("update_callback_query.json"))
    assert update == pressed["update"]
    assert update["callback_query"]["data"] == "!comprar REM-VIVO"

    query_id = update["callback_query"]["id"]
    status, _ = await api.call("answerCallbackQuery", callback_query_id=query_id)
    assert status == 200
    status, body = await api.call("answerCallbackQuery", callback_query_id=query_id)
    assert status == 400
    assert "query is too old" in body["description"]


async def test_edit_message_text(api: Api) -> None:
    group = str(api.standin.group_id)
    _, sent = await api.call("sendMessage", chat_id=group, text="antes")
    message_id = sent["result"]["message_id"]
    status, body = await api.call(
        "editMessageText", chat_id=group, message_id=str(message_id), text="después"
    )
    assert status == 200
    assert body["result"]["text"] == "después"
    assert isinstance(body["result"]["edit_date"], int)
    status, body = await api.call(
        "editMessageText", chat_id=group, message_id=str(message_id), text="después"
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    said = await api.control("say", user="ana", text="/tienda")
    status, body = await api.call(
        "editMessageText",
        chat_id=group,
        message_id=str(said["message"]["message_id"]),
        text="hackeado",
    )
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")


async def test_chat_members_and_administrators(api: Api) -> None:
    group = str(api.standin.group_id)
    await api.control("say", user="Vale", text="/tienda", role="creator")
    await api.control("say", user="Mora", text="/tienda", role="administrator")
    await api.control("say", user="ana", text="/tienda")
    ids = {name: api.standin.user(name)["id"] for name in ("Vale", "Mora", "ana")}

    _, admins = await api.call("getChatAdministrators", chat_id=group)
    by_status = {m["status"]: m for m in admins["result"]}
    assert set(by_status) == {"creator", "administrator"}
    assert_shape(by_status["creator"], documented("chat_member_owner.json"))
    assert_shape(by_status["administrator"], documented("chat_member_administrator.json"))
    assert by_status["creator"]["user"]["id"] == ids["Vale"]

    _, member = await api.call("getChatMember", chat_id=group, user_id=str(ids["ana"]))
    assert_shape(member["result"], documented("chat_member_member.json"))
    _, admin = await api.call("getChatMember", chat_id=group, user_id=str(ids["Mora"]))
    assert admin["result"]["status"] == "administrator"
    status, _ = await api.call("getChatAdministrators", chat_id=str(ids["ana"]))
    assert status == 400


async def test_set_my_commands_per_language(api: Api) -> None:
    commands = [{"command": "comprar", "description": "Comprar un producto"}]
    status, _ = await api.call("setMyCommands", commands=commands, language_code="es")
    assert status == 200
    _, got = await api.call("getMyCommands", language_code="es")
    assert got["result"] == commands
    _, other = await api.call("getMyCommands", language_code="en")
    assert other["result"] == []
    bad = [{"command": "Bad!", "description": "x"}]
    status, body = await api.call("setMyCommands", commands=bad)
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")


async def test_webhook_delivery_carries_the_secret_and_blocks_polling(api: Api) -> None:
    status, _ = await api.call("setWebhook", url=f"{api.url}/hook", secret_token="s3cret-Token_1")
    assert status == 200
    status, body = await api.call("getUpdates", timeout=0)
    assert status == 409 and body["description"].startswith("Conflict:")
    said = await api.control("say", user="ana", text="/tienda")
    while not api.received:
        await asyncio.sleep(0.01)
    headers, update = api.received[0]
    assert headers[SECRET_HEADER] == "s3cret-Token_1"
    assert update == said["update"]

    _, info = await api.call("getWebhookInfo")
    assert info["result"]["url"] == f"{api.url}/hook"
    await api.call("deleteWebhook")
    said = await api.control("say", user="beto", text="/tienda")
    _, polled = await api.call("getUpdates", timeout=0)
    assert polled["result"] == [said["update"]]
    status, _ = await api.call("setWebhook", url=f"{api.url}/hook", secret_token="no spaces")
    assert status == 400


async def test_a_dropped_poll_loses_no_update(api: Api) -> None:
    said = await api.control("say", user="ana", text="/tienda")
    await api.control("faults", drop_polls=1)
    with pytest.raises(aiohttp.ClientError):
        await api.call("getUpdates", timeout=0)
    _, body = await api.call("getUpdates", timeout=0)
    assert body["result"] == [said["update"]]
