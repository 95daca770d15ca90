"""The Telegram adapter: unmodified python-telegram-bot over loopback HTTP to the stand-in.

The inbox here only records what the adapter hands over; the whole bot (router, store,
payments) runs in test_telegram_e2e.py.
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

from adapters.base import Button, ChatMessage, ChatUser, PlatformTip, Reply, Role
from adapters.telegram import SECRET_HEADER, TelegramAdapter, TelegramWebhook
from sandbox.telegram import DEFAULT_TOKEN, TelegramStandIn

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "telegram"
DEADLINE = 15.0  # seconds before a wait counts as a failure


def documented(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return payload


@dataclass
class Recorder:
    messages: list[ChatMessage] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, event: ChatMessage | PlatformTip) -> None:
        assert isinstance(event, ChatMessage)
        self.messages.append(event)
        self.arrived.set()

    async def wait_for(self, count: int) -> list[ChatMessage]:
        async def enough() -> None:
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), DEADLINE)
        return self.messages


async def until(condition: Any) -> None:
    async def check() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(check(), DEADLINE)


@dataclass
class World:
    standin: TelegramStandIn
    endpoint: str
    inbox: Recorder
    adapters: list[TelegramAdapter] = field(default_factory=list)

    async def adapter(self, **options: Any) -> TelegramAdapter:
        adapter = TelegramAdapter(
            DEFAULT_TOKEN, endpoint=self.endpoint, poll_timeout=1.0, **options
        )
        await adapter.start(self.inbox)
        self.adapters.append(adapter)
        return adapter

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [e for e in self.standin.sent if e["method"] == method]

    def statuses(self, method: str) -> list[Any]:
        return [c.get("status") for c in self.standin.calls if c["method"] == method]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    standin = TelegramStandIn()
    app = web.Application()
    standin.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    state = World(standin, f"http://127.0.0.1:{port}/telegram", Recorder())
    yield state
    for adapter in state.adapters:
        await adapter.stop()
    await standin.close()
    await runner.cleanup()


async def test_slash_command_in_a_group_becomes_a_chat_message(world: World) -> None:
    adapter = await world.adapter()
    said = world.standin.say("ana", "/comprar@vivo_sandbox_bot remera M")
    [message] = await world.inbox.wait_for(1)
    group = world.standin.group_id
    ana = world.standin.user("ana")
    assert message.platform == "telegram" == adapter.platform
    assert message.id == f"{group}:{said['message']['message_id']}"
    assert message.channel == str(group)
    assert message.text == "/comprar remera M"
    assert message.private is False
    assert message.author == ChatUser("telegram", str(ana["id"]), "ana", Role.VIEWER, "es")
    assert adapter.username == "vivo_sandbox_bot"


async def test_bang_commands_need_privacy_off_and_other_bots_commands_are_ignored(
    world: World,
) -> None:
    await world.adapter()
    assert world.standin.say("ana", "!comprar remera M")["delivered"] is False
    world.standin.privacy_mode = False
    world.standin.say("ana", "/comprar@otro_bot remera")
    world.standin.say("ana", "!comprar remera M")
    messages = await world.inbox.wait_for(1)
    await asyncio.sleep(0.3)  # the other bot's line would have arrived first
    assert [m.text for m in messages] == ["!comprar remera M"]


async def test_roles_come_from_the_group_and_the_owner_list(world: World) -> None:
    boss = world.standin.user("boss")
    await world.adapter(owner_ids=[str(boss["id"])])
    world.standin.say("Vale", "/stock remera 5", role="creator")
    world.standin.say("Mora", "/stock remera 5", role="administrator")
    world.standin.say("ana", "/stock remera 5")
    world.standin.say("boss", "/stock remera 5", chat="private")
    messages = await world.inbox.wait_for(4)
    roles = {m.author.name: m.author.role for m in messages}
    assert roles == {
        "Vale": Role.OWNER,
        "Mora": Role.MODERATOR,
        "ana": Role.VIEWER,
        "boss": Role.OWNER,
    }
    world.standin.say("ana", "/stock remera 6")
    await world.inbox.wait_for(5)
    calls = world.standin.calls
    looked_up = [c["params"]["user_id"] for c in calls if c["method"] == "getChatMember"]
    expected = [str(world.standin.user(n)["id"]) for n in ("Vale", "Mora", "ana")]
    assert sorted(looked_up) == sorted(expected)  # once each: the second ana line is cached


async def test_roles_are_refreshed_after_their_ttl(world: World) -> None:
    adapter = await world.adapter(role_ttl=0.0)
    world.standin.say("ana", "/stock remera 5")
    [first] = await world.inbox.wait_for(1)
    group = world.standin.group_id
    world.standin.set_status(group, int(first.author.id), "administrator")
    world.standin.say("ana", "/stock remera 5")
    messages = await world.inbox.wait_for(2)
    assert [m.author.role for m in messages] == [Role.VIEWER, Role.MODERATOR]
    assert adapter.roles.ttl == 0.0
    # A promotion is seen on the next message once the cached role has expired.


async def test_commands_are_registered_in_three_languages(world: World) -> None:
    await world.adapter()
    registered = {lang: cmds for (_, lang), cmds in world.standin.commands.items()}
    assert set(registered) == {"", "es", "en", "pt"}
    assert {"comprar", "tienda"} <= {c["command"] for c in registered["es"]}
    assert {"buy", "shop"} <= {c["command"] for c in registered["en"]}
    assert {"comprar", "loja"} <= {c["command"] for c in registered["pt"]}


async def test_private_reply_goes_to_a_buyer_who_opened_the_bot(world: World) -> None:
    adapter = await world.adapter()
    world.standin.say("ana", "hola", chat="private")
    world.standin.say("ana", "/comprar remera M")
    messages = await world.inbox.wait_for(2)
    group_line = messages[1]
    await adapter.send(
        Reply(
            group_line.channel,
            "ana, tu link: https://pago",
            mention=group_line.author,
            private=True,
            reply_to=group_line,
        )
    )
    [sent] = world.sent()
    assert sent["chat_id"] == int(group_line.author.id)
    assert sent["text"] == "ana, tu link: https://pago"


async def test_a_deep_link_the_adapter_did_not_make_is_the_bots_to_read(world: World) -> None:
    await world.adapter()
    world.standin.open("ana", "https://t.me/vivo_sandbox_bot?start=K7Q2M9XPZA_t1_abc-DEF")
    world.standin.open("beto", "https://t.me/vivo_sandbox_bot")
    said = {m.author.name: m for m in await world.inbox.wait_for(2)}
    assert (said["ana"].text, said["ana"].private) == ("/start K7Q2M9XPZA_t1_abc-DEF", True)
    assert said["beto"].text == "/tienda"  # a bare /start shows the shop


async def test_deep_link_holds_the_link_until_the_buyer_opens_the_bot(world: World) -> None:
    adapter = await world.adapter()
    world.standin.say("ana", "/comprar remera M")
    [line] = await world.inbox.wait_for(1)
    link_text = "ana, tu link: https://pago.example/abc"
    await adapter.send(Reply(line.channel, link_text, mention=line.author, private=True))

    [prompt] = world.sent()
    assert prompt["chat_id"] == world.standin.group_id
    assert link_text not in prompt["text"]
    [[button]] = prompt["reply_markup"]["inline_keyboard"]
    assert button["url"].startswith("https://t.me/vivo_sandbox_bot?start=")
    assert button["url"] in prompt["text"]
    assert prompt["entities"][0]["type"] == "text_mention"
    assert prompt["entities"][0]["user"]["id"] == int(line.author.id)

    # Someone else opening the link gets nothing of ana's.
    world.standin.press("beto", button=button["text"])
    await world.inbox.wait_for(2)
    assert world.inbox.messages[1].text == "/tienda"
    assert all(e.get("text") != link_text for e in world.sent())

    world.standin.press("ana", button=button["text"])
    await until(lambda: any(e["text"] == link_text for e in world.sent()))
    delivered = next(e for e in world.sent() if e["text"] == link_text)
    assert delivered["chat_id"] == int(line.author.id)
    await until(lambda: world.sent("editMessageText"))
    [edit] = world.sent("editMessageText")
    assert edit["message_id"] == prompt["message_id"]
    assert "reply_markup" not in edit
    assert len(world.inbox.messages) == 2  # ana's /start delivered, it was not a command

    # Now that ana has opened the bot, the next private reply goes straight there.
    await adapter.send(Reply(line.channel, "ana, otro link", mention=line.author, private=True))
    assert world.sent()[-1]["chat_id"] == int(line.author.id)


async def test_inline_buttons_speak_their_command_as_the_presser(world: World) -> None:
    adapter = await world.adapter()
    group = str(world.standin.group_id)
    long_command = "!comprar Remera Vivo edición especial aniversario talle XXL color negro"
    await adapter.send(
        Reply(
            group,
            "Tienda: Remera Vivo $ 15.000",
            buttons=(
                Button("Comprar Remera", "!comprar REM-VIVO"),
                Button("Especial", long_command),
            ),
        )
    )
    [catalog] = world.sent()
    labels = [row[0]["text"] for row in catalog["reply_markup"]["inline_keyboard"]]
    assert labels == ["Comprar Remera", "Especial"]

    world.standin.press("ana", button="Comprar Remera")
    world.standin.press("beto", button="Especial")
    messages = await world.inbox.wait_for(2)
    by_name = {m.author.name: m for m in messages}
    assert by_name["ana"].text == "!comprar REM-VIVO"
    assert by_name["beto"].text == long_command
    assert by_name["ana"].channel == group
    assert by_name["ana"].id.startswith("callback:")
    assert by_name["ana"].id != by_name["beto"].id
    await until(lambda: len(world.sent("answerCallbackQuery")) == 2)
    assert all(world.standin.callback_queries.values())


async def test_a_429_is_waited_out_and_the_message_sent_once(world: World) -> None:
    adapter = await world.adapter()
    world.standin.faults.rate_limit_count = 1
    world.standin.faults.rate_limit_retry_after = 1
    await adapter.send(Reply(str(world.standin.group_id), "¡Gracias ana!"))
    assert [e["text"] for e in world.sent()] == ["¡Gracias ana!"]
    # An early retry would have met a second 429: the stand-in holds the chat until then.
    assert world.statuses("sendMessage") == [429, 200]


async def test_sends_to_one_chat_are_paced_under_the_limits(world: World) -> None:
    adapter = await world.adapter()
    group = str(world.standin.group_id)
    for n in range(3):
        await adapter.send(Reply(group, f"mensaje {n}"))
    assert [e["text"] for e in world.sent()] == ["mensaje 0", "mensaje 1", "mensaje 2"]
    assert world.statuses("sendMessage") == [200, 200, 200]


async def test_long_text_is_split_at_4096(world: World) -> None:
    adapter = await world.adapter()
    text = " ".join(f"palabra{n}" for n in range(420))
    assert 4096 < len(text) <= 8192
    await adapter.send(Reply(str(world.standin.group_id), text))
    pieces = [e["text"] for e in world.sent()]
    assert len(pieces) == 2
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == text


async def test_raw_documented_update_is_accepted(world: World) -> None:
    await world.adapter()
    update = documented("update_message_group_command.json")
    assert world.standin.push_update(update) is not None
    [message] = await world.inbox.wait_for(1)
    assert message.id == "-1001632498721:1842"
    assert message.text == "/comprar remera M"
    assert message.author.id == "523198474"
    assert message.author.name == "Ana"


async def test_polling_survives_network_errors_without_losing_or_repeating(
    world: World,
) -> None:
    await world.adapter()
    world.standin.faults.drop_polls = 1
    world.standin.say("ana", "/comprar remera M")
    await world.inbox.wait_for(1)
    world.standin.faults.server_errors = 1  # the poll after the one now waiting
    world.standin.say("ana", "/tienda")
    await world.inbox.wait_for(2)
    await until(lambda: 502 in world.statuses("getUpdates"))
    world.standin.say("ana", "/pedido")
    messages = await world.inbox.wait_for(3)
    await asyncio.sleep(0.3)  # a repeated update would arrive here
    assert [m.text for m in messages] == ["/comprar remera M", "/tienda", "/pedido"]
    polls = world.statuses("getUpdates")
    assert "dropped" in polls and 502 in polls


async def test_webhook_mode_checks_the_secret_and_ignores_edits_and_channel_posts(
    world: World,
) -> None:
    adapter = await world.adapter(
        webhook=TelegramWebhook(secret_token="s3cret-token", listen="127.0.0.1", port=0)
    )
    assert world.standin.webhook is not None
    assert world.standin.webhook["secret_token"] == "s3cret-token"
    assert world.standin.webhook["url"] == adapter.webhook_url

    said = world.standin.say("ana", "/comprar remera M")
    [first] = await world.inbox.wait_for(1)
    assert first.id == f"{world.standin.group_id}:{said['message']['message_id']}"

    url = adapter.webhook_url
    assert url is not None
    secret = {SECRET_HEADER: "s3cret-token"}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=documented("update_message_group_command.json")) as r:
            assert r.status == 403
        async with http.post(
            url,
            json=documented("update_message_group_command.json"),
            headers={SECRET_HEADER: "wrong"},
        ) as r:
            assert r.status == 403
        for name in ("update_edited_message.json", "update_channel_post.json"):
            async with http.post(url, json=documented(name), headers=secret) as r:
                assert r.status == 200
        async with http.post(
            url, json=documented("update_message_group_command.json"), headers=secret
        ) as r:
            assert r.status == 200
    messages = await world.inbox.wait_for(2)
    await asyncio.sleep(0.3)  # anything the edit or the channel post caused would be here
    assert [m.id for m in messages] == [first.id, "-1001632498721:1842"]
    assert messages[1].text == "/comprar remera M"
