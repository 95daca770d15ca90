"""The Discord adapter on unmodified discord.py, against the stand-in over loopback sockets.

The inbox here plays the command layer's part just enough to answer: a purchase gets a
private payment link, so what reaches Discord is the adapter's doing. The payloads in
tests/payloads/discord are Discord's documented examples, injected as is.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from aiohttp import web

from adapters.base import Button, ChatMessage, PlatformTip, Priority, Reply, Role
from adapters.discord import DiscordAdapter, slash_text, split_message
from sandbox.discord import DiscordStandIn

TOKEN = "MTIz.sandbox.bot-token"
PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "discord"
PRODUCTS = {"Remera Vivo": ["S", "M", "L"], "Taza del stream": [], "Pack de stickers": []}
LONG = "/comprar " + "remera " * 20  # past Discord's 100-character custom_id
BUTTONS = (
    *(Button(f"Comprar {name}", f"/comprar {name}") for name in PRODUCTS),
    Button("Comprar " + "x" * 90, LONG.strip()),
)


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `check()` is truthy; the deadline only bounds a hung test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.02)


@dataclass
class Shop:
    """Answers purchases with a private link, like the router does; records everything."""

    adapter: DiscordAdapter | None = None
    heard: list[ChatMessage] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)  # what suggest() was asked

    async def inbox(self, event: ChatMessage | PlatformTip) -> None:
        assert isinstance(event, ChatMessage)
        self.heard.append(event)
        assert self.adapter is not None
        word = event.text.split()[0][1:] if event.text[:1] in "!/" else ""
        if word == "comprar":
            link = f"https://pagar.example/{event.id}"
            await self.adapter.send(
                Reply(
                    event.channel,
                    f"{event.author.name}, pagá acá: {link}",
                    mention=event.author,
                    private=True,
                    priority=Priority.PAYMENT,
                    reply_to=event,
                )
            )
        elif word == "tienda":
            await self.adapter.send(
                Reply(
                    event.channel,
                    " · ".join(PRODUCTS),
                    mention=event.author,
                    reply_to=event,
                    buttons=BUTTONS,
                )
            )

    async def suggest(self, line: str, partial: str) -> list[str]:
        self.lines.append((line, partial))
        words = line.split(maxsplit=1)
        if len(words) == 1:
            return [n for n in PRODUCTS if partial.casefold() in n.casefold()]
        return [v for v in PRODUCTS.get(words[1], []) if v.startswith(partial.upper())]


@dataclass
class Discord:
    standin: DiscordStandIn
    url: str
    http: aiohttp.ClientSession

    async def control(self, verb: str, body: dict[str, Any] | None = None) -> Any:
        url = f"{self.url}/_sandbox/discord/{verb}"
        if body is None:
            async with self.http.get(url) as response:
                assert response.status == 200, await response.text()
                return await response.json()
        async with self.http.post(url, json=body) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def sent(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.control("sent")
        return result


@pytest.fixture
async def sandbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Discord]:
    # The adapter points these at the stand-in; put them back for whatever runs next.
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    standin = DiscordStandIn(token=TOKEN)
    app = web.Application()
    standin.mount(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        yield Discord(standin, f"http://{host}:{port}", http)
    await standin.close()
    await runner.cleanup()


@pytest.fixture
async def shop(sandbox: Discord) -> AsyncIterator[Shop]:
    shop = Shop()
    adapter = DiscordAdapter(
        TOKEN,
        endpoint=f"{sandbox.url}/discord",
        moderator_roles=["staff"],
        suggest=shop.suggest,
        guild_ready_timeout=0.05,
    )
    shop.adapter = adapter
    await adapter.start(shop.inbox)
    yield shop
    await adapter.stop()


def of_kind(sent: list[dict[str, Any]], *kinds: str) -> list[dict[str, Any]]:
    return [entry for entry in sent if entry["kind"] in kinds]


# -- prefix commands ------------------------------------------------------------------


async def test_prefix_purchase_gets_its_link_by_dm_and_nothing_in_the_channel(
    sandbox: Discord, shop: Shop
) -> None:
    said = await sandbox.control("say", {"user": "ana", "text": "!comprar remera M"})

    dms = await eventually(lambda: of_kind(sandbox.standin.sent, "dm"))
    message = shop.heard[0]
    assert message.id == said["id"]
    assert message.channel == said["channel_id"]
    assert message.text == "!comprar remera M"
    assert message.author.id == said["user_id"]
    assert message.author.name == "ana"
    assert dms[0]["user"] == "ana"
    assert f"https://pagar.example/{said['id']}" in dms[0]["content"]
    assert of_kind(await sandbox.sent(), "message") == []


async def test_closed_dms_get_a_mention_in_the_channel_without_the_link(
    sandbox: Discord, shop: Shop
) -> None:
    await sandbox.control("dms", {"user": "beto", "open": False})
    said = await sandbox.control("say", {"user": "beto", "text": "!comprar taza"})

    posted = await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    assert of_kind(sandbox.standin.sent, "dm") == []
    assert posted[0]["channel_id"] == said["channel_id"]
    assert f"<@{said['user_id']}>" in posted[0]["content"]
    assert "pagar.example" not in posted[0]["content"]
    assert "mensajes directos" in posted[0]["content"]


async def test_a_public_reply_answers_the_message_in_its_channel(
    sandbox: Discord, shop: Shop
) -> None:
    said = await sandbox.control("say", {"user": "ana", "text": "!tienda", "channel": "tienda"})

    posted = await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    assert posted[0]["channel"] == "tienda"
    assert posted[0]["reply_to"] == said["id"]
    assert "Remera Vivo" in posted[0]["content"]


async def test_the_bots_own_messages_and_other_bots_are_not_commands(
    sandbox: Discord, shop: Shop
) -> None:
    await sandbox.control("say", {"user": "ana", "text": "!tienda"})
    await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    # The stand-in dispatches the bot's own reply back to it, as Discord does.
    marker = await sandbox.control("say", {"user": "ana", "text": "marker"})
    await eventually(lambda: any(m.id == marker["id"] for m in shop.heard))

    assert [m.text for m in shop.heard] == ["!tienda", "marker"]


async def test_the_documented_message_create_is_read(sandbox: Discord, shop: Shop) -> None:
    payload = json.loads((PAYLOADS / "message_create.json").read_text())
    channel = sandbox.standin.channel()
    payload |= {"guild_id": sandbox.standin.guild_id, "channel_id": channel.id}

    await sandbox.control("inject", {"t": "MESSAGE_CREATE", "d": payload})

    message = (await eventually(lambda: shop.heard))[0]
    assert (message.id, message.channel) == (payload["id"], channel.id)
    assert message.author.id == payload["author"]["id"]
    assert message.text == payload["content"]
    assert message.raw.id == int(payload["id"])


# -- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speaker", "role"),
    [
        ({"user": "ana"}, Role.VIEWER),
        ({"user": "mora", "role": "moderator"}, Role.MODERATOR),  # Manage Server
        ({"user": "sol", "roles": ["Staff"]}, Role.MODERATOR),  # a configured role name
        ({"user": "lu", "role": "owner"}, Role.OWNER),  # the guild's owner
    ],
)
async def test_roles_come_from_guild_ownership_permissions_and_role_names(
    sandbox: Discord, shop: Shop, speaker: dict[str, Any], role: Role
) -> None:
    await sandbox.control("say", {**speaker, "text": "!cerrar"})
    await sandbox.control("slash", {**speaker, "command": "tienda"})

    await eventually(lambda: len(shop.heard) == 2)
    assert [m.author.role for m in shop.heard] == [role, role]


async def test_a_new_guild_owner_is_seen_as_owner(sandbox: Discord, shop: Shop) -> None:
    await sandbox.control("say", {"user": "lu", "text": "!cerrar"})
    await sandbox.control("say", {"user": "nico", "text": "!cerrar", "role": "owner"})
    await sandbox.control("say", {"user": "lu", "text": "!cerrar"})

    await eventually(lambda: len(shop.heard) == 3)
    assert [m.author.role for m in shop.heard] == [Role.OWNER, Role.OWNER, Role.VIEWER]


# -- slash commands ---------------------------------------------------------------------


async def test_slash_commands_are_registered_in_the_guild(sandbox: Discord, shop: Shop) -> None:
    registered = await sandbox.control("commands")
    commands = {c["name"]: c for c in registered[sandbox.standin.guild_id]}

    assert set(commands) == {"comprar", "tienda", "propina", "pedido"}
    options = {o["name"]: o for o in commands["comprar"]["options"]}
    assert options["producto"]["required"] is True
    assert options["producto"]["autocomplete"] is True
    assert options["variante"]["autocomplete"] is True
    assert options["cantidad"]["type"] == 4


async def test_slash_purchase_gets_an_ephemeral_link(sandbox: Discord, shop: Shop) -> None:
    options = {"producto": "Remera Vivo", "variante": "M", "cantidad": 2}
    slash = await sandbox.control(
        "slash", {"user": "ana", "command": "comprar", "options": options}
    )

    followups = await eventually(lambda: of_kind(sandbox.standin.sent, "followup"))
    message = shop.heard[0]
    assert message.id == slash["id"]
    assert message.channel == slash["channel_id"]
    assert message.text == "/comprar Remera Vivo M 2"
    assert isinstance(message.raw, discord.Interaction)
    sent = await sandbox.sent()
    deferred = of_kind(sent, "deferred")
    assert [d["ephemeral"] for d in deferred] == [True]
    assert followups[0]["ephemeral"] is True
    assert followups[0]["user"] == "ana"
    assert f"https://pagar.example/{slash['id']}" in followups[0]["content"]
    assert of_kind(sent, "message", "dm") == []


async def test_a_link_that_comes_later_still_goes_to_the_slash_command(
    sandbox: Discord, shop: Shop
) -> None:
    slash = await sandbox.control("slash", {"user": "ana", "command": "tienda"})
    await eventually(lambda: of_kind(sandbox.standin.sent, "followup"))
    asked = shop.heard[0]
    assert shop.adapter is not None

    # What the runtime sends when a slow payment provider finally answers: no reply_to.
    await shop.adapter.send(
        Reply(asked.channel, "tu link: https://pagar.example/x", mention=asked.author, private=True)
    )

    followups = of_kind(await sandbox.sent(), "followup")
    assert [f["interaction_id"] for f in followups] == [slash["id"], slash["id"]]
    assert all(f["ephemeral"] for f in followups)
    assert "pagar.example/x" in followups[1]["content"]


async def test_the_documented_slash_interaction_is_read(sandbox: Discord, shop: Shop) -> None:
    payload = json.loads((PAYLOADS / "interaction_slash.json").read_text())
    standin = sandbox.standin
    payload |= {"guild_id": standin.guild_id, "channel_id": standin.channel().id}
    payload |= {"application_id": standin.application_id}
    payload["authorizing_integration_owners"] = {"0": standin.guild_id}

    await sandbox.control("inject", {"t": "INTERACTION_CREATE", "d": payload})

    message = (await eventually(lambda: shop.heard))[0]
    assert message.id == payload["id"]
    assert message.text == "/comprar Taza del stream 2"
    assert message.author.id == payload["member"]["user"]["id"]


async def test_autocomplete_offers_products_then_that_products_variants(
    sandbox: Discord, shop: Shop
) -> None:
    products = await sandbox.control(
        "autocomplete",
        {
            "user": "ana",
            "command": "comprar",
            "options": {"producto": "rem"},
            "focused": "producto",
        },
    )
    variants = await sandbox.control(
        "autocomplete",
        {
            "user": "ana",
            "command": "comprar",
            "options": {"producto": "Remera Vivo", "variante": ""},
            "focused": "variante",
        },
    )

    assert products["choices"] == [{"name": "Remera Vivo", "value": "Remera Vivo"}]
    assert [c["value"] for c in variants["choices"]] == ["S", "M", "L"]
    assert shop.lines == [("comprar", "rem"), ("comprar Remera Vivo", "")]
    assert shop.heard == []  # typing is not buying


# -- announcements and long text ------------------------------------------------------


async def test_thanks_go_to_the_channel_the_order_came_from(sandbox: Discord, shop: Shop) -> None:
    await sandbox.control("say", {"user": "ana", "text": "!comprar taza", "channel": "tienda"})
    await sandbox.control(
        "slash", {"user": "beto", "command": "comprar", "options": {"producto": "taza"}}
    )
    await eventually(lambda: len(shop.heard) == 2)
    assert shop.adapter is not None

    for order in shop.heard:  # what the runtime sends on OrderPaid: no reply_to
        await shop.adapter.send(
            Reply(
                order.channel,
                f"¡Gracias {order.author.name}!",
                mention=order.author,
                priority=Priority.ANNOUNCE,
            )
        )

    thanks = of_kind(await sandbox.sent(), "message")
    assert [(t["channel"], t["content"]) for t in thanks] == [
        ("tienda", f"<@{shop.heard[0].author.id}> ¡Gracias ana!"),
        ("general", f"<@{shop.heard[1].author.id}> ¡Gracias beto!"),
    ]


async def test_long_text_goes_out_in_pieces_of_at_most_2000(sandbox: Discord, shop: Shop) -> None:
    assert shop.adapter is not None
    channel = sandbox.standin.channel().id
    words = [f"palabra{i}" for i in range(600)]

    await shop.adapter.send(Reply(channel, " ".join(words)))

    pieces = [m["content"] for m in of_kind(await sandbox.sent(), "message")]
    assert len(pieces) > 1
    assert all(len(p) <= 2000 for p in pieces)
    assert " ".join(pieces).split() == words


def test_split_message_prefers_line_breaks() -> None:
    text = "a" * 1500 + "\n" + "b" * 1000

    assert split_message(text) == ["a" * 1500, "b" * 1000]
    assert split_message("x" * 4500) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_slash_options_become_the_routers_text() -> None:
    assert slash_text("comprar", "remera", "M", 2) == "/comprar remera M 2"
    assert slash_text("comprar", "taza", None, None) == "/comprar taza"
    assert slash_text("propina", "500", " ¡saludos! ") == "/propina 500 ¡saludos!"


# -- reconnecting -----------------------------------------------------------------------


async def test_a_dropped_connection_resumes_without_repeating_a_purchase(
    sandbox: Discord, shop: Shop
) -> None:
    first = await sandbox.control("say", {"user": "ana", "text": "!comprar remera M"})
    await eventually(lambda: of_kind(sandbox.standin.sent, "dm"))
    slash = await sandbox.control(
        "slash", {"user": "beto", "command": "comprar", "options": {"producto": "taza"}}
    )
    await eventually(lambda: of_kind(sandbox.standin.sent, "followup"))

    assert (await sandbox.control("drop", {}))["dropped"] == 1
    away = await sandbox.control("say", {"user": "cora", "text": "!comprar stickers"})
    # Discord may deliver an event again: replay the same purchase and slash command.
    for event in next(iter(sandbox.standin.sessions.values())).log:
        if event["t"] in ("MESSAGE_CREATE", "INTERACTION_CREATE"):
            await sandbox.control("inject", {"t": event["t"], "d": event["d"]})
    # Markers after the replays: once both are answered, any repeat would have been too.
    marker = await sandbox.control("say", {"user": "ana", "text": "!tienda"})
    await sandbox.control("slash", {"user": "ana", "command": "tienda"})
    await eventually(lambda: len(of_kind(sandbox.standin.sent, "followup")) == 2)
    await eventually(lambda: any(m.id == marker["id"] for m in shop.heard))
    await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    gateway = await eventually(
        lambda: sandbox.standin.counters["resume"] == 1 and sandbox.standin.counters
    )

    assert gateway["identify"] == 1
    assert shop.adapter is not None and shop.adapter.reconnects == 1  # resumed, for /metrics
    purchases = [m.id for m in shop.heard if m.text.split()[0][1:] == "comprar"]
    assert sorted(purchases) == sorted([first["id"], slash["id"], away["id"]])
    sent = await sandbox.sent()
    assert next(f["interaction_id"] for f in of_kind(sent, "followup")) == slash["id"]
    assert sorted(d["user"] for d in of_kind(sent, "dm")) == ["ana", "cora"]


# -- buttons ----------------------------------------------------------------------------


def labels(entry: dict[str, Any]) -> list[str]:
    return [b["label"] for row in entry.get("components", []) for b in row["components"]]


async def test_reply_buttons_become_message_components_within_discords_limits(
    sandbox: Discord, shop: Shop
) -> None:
    await sandbox.control("say", {"user": "ana", "text": "!tienda"})

    (posted,) = await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    rows = posted["components"]
    buttons = [b for row in rows for b in row["components"]]
    assert all(row["type"] == 1 and len(row["components"]) <= 5 for row in rows)
    assert [b["type"] for b in buttons] == [2] * len(BUTTONS)
    assert buttons[0]["label"] == "Comprar Remera Vivo"
    assert buttons[0]["custom_id"] == "/comprar Remera Vivo"
    assert len(buttons[-1]["label"]) <= 80
    assert len(buttons[-1]["custom_id"]) <= 100


async def test_a_pressed_button_speaks_its_command_as_the_presser(
    sandbox: Discord, shop: Shop
) -> None:
    await sandbox.control("say", {"user": "ana", "text": "!tienda"})
    await eventually(lambda: of_kind(sandbox.standin.sent, "message"))

    pressed = await sandbox.control("press", {"user": "beto", "label": "Comprar Remera Vivo"})

    heard = await eventually(lambda: [m for m in shop.heard if m.id == pressed["id"]])
    assert heard[0].text == "/comprar Remera Vivo"
    assert heard[0].author.name == "beto"
    assert heard[0].author.id == sandbox.standin.users["beto"].id
    assert heard[0].channel == pressed["channel_id"]
    assert isinstance(heard[0].raw, discord.Interaction)
    acks = await eventually(lambda: of_kind(sandbox.standin.sent, "deferred_update"))
    assert acks[0]["interaction_id"] == pressed["id"]
    # The private link answers the press where only the presser sees it.
    links = await eventually(lambda: of_kind(sandbox.standin.sent, "followup"))
    assert links[0]["interaction_id"] == pressed["id"]
    assert links[0]["ephemeral"] is True
    assert f"https://pagar.example/{pressed['id']}" in links[0]["content"]
    assert of_kind(sandbox.standin.sent, "dm") == []


async def test_a_command_too_long_for_a_custom_id_still_comes_back(
    sandbox: Discord, shop: Shop
) -> None:
    await sandbox.control("say", {"user": "ana", "text": "!tienda"})
    (posted,) = await eventually(lambda: of_kind(sandbox.standin.sent, "message"))

    pressed = await sandbox.control(
        "press", {"user": "ana", "message_id": posted["id"], "label": labels(posted)[-1]}
    )

    heard = await eventually(lambda: [m for m in shop.heard if m.id == pressed["id"]])
    assert heard[0].text == LONG.strip()


async def test_a_button_the_adapter_no_longer_knows_gets_an_ephemeral_answer(
    sandbox: Discord, shop: Shop
) -> None:
    await sandbox.control("say", {"user": "ana", "text": "!tienda"})
    (posted,) = await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    assert shop.adapter is not None
    shop.adapter._button_commands.clear()  # as after a restart, or past the bounded map
    before = len(shop.heard)

    await sandbox.control("press", {"user": "ana", "label": labels(posted)[-1]})

    (answer,) = await eventually(lambda: of_kind(sandbox.standin.sent, "interaction"))
    assert answer["ephemeral"] is True and "botón" in answer["content"]
    assert len(shop.heard) == before


async def test_buttons_on_an_ephemeral_slash_reply_are_pressable_by_its_user(
    sandbox: Discord, shop: Shop
) -> None:
    await eventually(lambda: sandbox.standin.commands.get(sandbox.standin.guild_id))
    await sandbox.control("slash", {"user": "ana", "command": "tienda"})
    followups = await eventually(lambda: of_kind(sandbox.standin.sent, "followup"))
    assert followups[0]["ephemeral"] is True
    assert labels(followups[0])[0] == "Comprar Remera Vivo"

    pressed = await sandbox.control("press", {"user": "ana", "label": "Comprar Taza del stream"})

    heard = await eventually(lambda: [m for m in shop.heard if m.id == pressed["id"]])
    assert heard[0].text == "/comprar Taza del stream"
    assert pressed["message_id"] == followups[0]["id"]


async def test_buttons_ride_under_the_last_piece_of_a_long_reply(
    sandbox: Discord, shop: Shop
) -> None:
    assert shop.adapter is not None
    channel = sandbox.standin.channel().id
    await shop.adapter.send(Reply(channel, "palabra " * 400, buttons=BUTTONS[:1]))

    pieces = await eventually(lambda: of_kind(sandbox.standin.sent, "message"))
    assert len(pieces) == 2
    assert [labels(p) for p in pieces] == [[], ["Comprar Remera Vivo"]]
