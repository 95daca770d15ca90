"""hikari, an independent Discord client, doing what a bot does against the sandbox's Discord.

Nobody here wrote hikari, so where it and the stand-in disagree the stand-in is suspect:
these runs found the gateway ignoring binary frames (hikari sends every payload as bytes),
an application object without its documented counts, and IDENTIFY's `compress` ignored.
hikari is pointed at loopback only through its documented `rest_url` option (the gateway URL
then comes from `GET /gateway/bot`, as on Discord); none of its logic is patched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import aiohttp
import hikari
import pytest
from hikari.api.shard import GatewayCompression
from hikari.impl import GatewayShardImpl

from sandbox.app import Sandbox

TOKEN = "MTIz.hikari.peer"
INTENTS = (
    hikari.Intents.GUILDS
    | hikari.Intents.GUILD_MESSAGES
    | hikari.Intents.DM_MESSAGES
    | hikari.Intents.MESSAGE_CONTENT
)
WAIT = 15.0  # a guard against hanging, not a measure of speed
EventT = TypeVar("EventT", bound=hikari.Event)


class Seen:
    """Every event of the kinds a test listens for, in arrival order."""

    def __init__(self, bot: hikari.GatewayBot) -> None:
        self.queues: dict[type[hikari.Event], asyncio.Queue[hikari.Event]] = {}
        for kind in (
            hikari.GuildAvailableEvent,
            hikari.GuildMessageCreateEvent,
            hikari.InteractionCreateEvent,
        ):
            queue: asyncio.Queue[hikari.Event] = asyncio.Queue()
            self.queues[kind] = queue
            bot.subscribe(kind, queue.put)

    async def next(self, kind: type[EventT]) -> EventT:
        event = await asyncio.wait_for(self.queues[kind].get(), WAIT)
        assert isinstance(event, kind)
        return event


def make_bot(sandbox: Sandbox) -> hikari.GatewayBot:
    return hikari.GatewayBot(
        TOKEN,
        rest_url=f"{sandbox.url}/discord/api/v10",
        intents=INTENTS,
        banner=None,
        logs=None,
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as running:
        yield running


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[tuple[hikari.GatewayBot, Seen]]:
    client = make_bot(sandbox)
    seen = Seen(client)
    # start() returns once every shard has had READY.
    await asyncio.wait_for(client.start(check_for_updates=False), WAIT)
    yield client, seen
    await client.close()


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What hikari logged at ERROR or above: a payload it could not read is logged, not raised."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def control(sandbox: Sandbox, verb: str, body: dict[str, Any]) -> Any:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sandbox.url}/_sandbox/discord/{verb}", json=body) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.json()


async def test_rest_login_fetches_the_bot_user_and_its_application(sandbox: Sandbox) -> None:
    client = make_bot(sandbox)
    client.rest.start()
    try:
        me = await client.rest.fetch_my_user()
        application = await client.rest.fetch_application()
    finally:
        await client.rest.close()
    standin = sandbox.discord

    assert (str(me.id), me.is_bot, me.username) == (standin.bot.id, True, standin.bot.name)
    assert str(application.id) == standin.application_id
    assert str(application.owner.id) == standin.owner.id
    assert application.approximate_guild_count == 1
    assert application.approximate_user_install_count == 0


async def test_identify_gets_ready_and_the_guild_into_hikaris_cache(
    sandbox: Sandbox, bot: tuple[hikari.GatewayBot, Seen], caplog: pytest.LogCaptureFixture
) -> None:
    client, seen = bot
    available = await seen.next(hikari.GuildAvailableEvent)
    standin = sandbox.discord
    guild = client.cache.get_guild(int(standin.guild_id))
    me = client.get_me()

    assert me is not None and str(me.id) == standin.bot.id
    assert str(available.guild_id) == standin.guild_id
    assert guild is not None and guild.name == standin.guild_name
    assert str(guild.owner_id) == standin.owner.id
    channels = client.cache.get_guild_channels_view_for_guild(guild.id).values()
    assert {c.name for c in channels} == {"general", "tienda"}
    roles = {r.name: r for r in client.cache.get_roles_view_for_guild(guild.id).values()}
    assert str(roles["@everyone"].id) == standin.guild_id
    assert roles["Moderador"].permissions & hikari.Permissions.MANAGE_GUILD
    assert sandbox.discord.counters["identify"] == 1
    assert errors_logged(caplog) == []


async def test_a_viewers_message_arrives_and_the_bot_replies_to_it(
    sandbox: Sandbox, bot: tuple[hikari.GatewayBot, Seen], caplog: pytest.LogCaptureFixture
) -> None:
    _, seen = bot
    await seen.next(hikari.GuildAvailableEvent)
    said = await control(sandbox, "say", {"user": "ana", "text": "!tienda", "roles": ["Staff"]})
    event = await seen.next(hikari.GuildMessageCreateEvent)
    reply = await event.message.respond("¡Hola, Ana!", reply=True)
    own = await seen.next(hikari.GuildMessageCreateEvent)  # the bot sees its own reply
    staff = sandbox.discord.roles["Staff"].id

    assert (str(event.message.id), event.message.content) == (said["id"], "!tienda")
    assert str(event.author_id) == said["user_id"] and event.is_human
    # hikari lists @everyone (whose id is the guild's) among a member's roles itself.
    assert event.member is not None
    assert {str(r) for r in event.member.role_ids} == {staff, sandbox.discord.guild_id}
    assert str(reply.id) == str(own.message.id) and own.is_bot
    assert reply.content == "¡Hola, Ana!"
    # The reference comes back complete: hikari needs its channel_id, which a reply may omit.
    assert reply.message_reference is not None
    reference = reply.message_reference
    assert (str(reference.id), str(reference.channel_id)) == (said["id"], said["channel_id"])
    assert str(reference.guild_id) == sandbox.discord.guild_id
    sent = sandbox.discord.sent
    assert [(s["kind"], s["content"], s["reply_to"]) for s in sent] == [
        ("message", "¡Hola, Ana!", said["id"])
    ]
    # hikari sends `allowed_mentions: {"parse": []}` by default, so the reply pings nobody.
    assert sent[0]["pinged"]["users"] == []
    assert errors_logged(caplog) == []


async def test_a_slash_command_is_answered_with_an_interaction_response(
    sandbox: Sandbox, bot: tuple[hikari.GatewayBot, Seen], caplog: pytest.LogCaptureFixture
) -> None:
    client, seen = bot
    await seen.next(hikari.GuildAvailableEvent)
    standin = sandbox.discord
    application = await client.rest.fetch_application()
    command = client.rest.slash_command_builder("comprar", "Comprar un producto").add_option(
        hikari.CommandOption(
            type=hikari.OptionType.STRING,
            name="producto",
            description="Qué producto",
            is_required=True,
        )
    )
    registered = await client.rest.set_application_commands(
        application.id, [command], guild=int(standin.guild_id)
    )
    pressed = await control(
        sandbox, "slash", {"user": "ana", "command": "comprar", "options": {"producto": "taza"}}
    )
    event = await seen.next(hikari.InteractionCreateEvent)
    interaction = event.interaction
    assert isinstance(interaction, hikari.CommandInteraction)
    await interaction.create_initial_response(
        hikari.ResponseType.MESSAGE_CREATE, "Tu link de pago", flags=hikari.MessageFlag.EPHEMERAL
    )
    followup = await interaction.execute("Gracias por tu compra")

    assert [c.name for c in registered] == ["comprar"]
    assert str(interaction.id) == pressed["id"]
    assert interaction.command_name == "comprar"
    assert interaction.options is not None
    assert [(o.name, o.value) for o in interaction.options] == [("producto", "taza")]
    assert interaction.member is not None and interaction.member.username == "ana"
    assert followup.content == "Gracias por tu compra"
    answered = [(s["kind"], s["content"], s["ephemeral"]) for s in standin.sent]
    assert answered == [
        ("interaction", "Tu link de pago", True),
        ("followup", "Gracias por tu compra", False),
    ]
    assert errors_logged(caplog) == []


async def test_payload_compression_when_identify_asks_for_it(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """hikari's shard with `PAYLOAD_ZLIB_STREAM`: IDENTIFY `compress: true`, no transport."""
    client = make_bot(sandbox)
    seen = Seen(client)
    client.rest.start()
    gateway = await client.rest.fetch_gateway_bot_info()
    shard = GatewayShardImpl(
        compression=GatewayCompression.PAYLOAD_ZLIB_STREAM,
        intents=INTENTS,
        http_settings=client.http_settings,
        proxy_settings=client.proxy_settings,
        event_manager=client.event_manager,
        event_factory=client.event_factory,
        token=TOKEN,
        url=gateway.url,
    )
    try:
        await asyncio.wait_for(shard.start(), WAIT)
        available = await seen.next(hikari.GuildAvailableEvent)
        await control(sandbox, "say", {"user": "ana", "text": "hola"})
        message = await seen.next(hikari.GuildMessageCreateEvent)
    finally:
        await shard.close()
        await client.rest.close()
    sessions = list(sandbox.discord.sessions.values())

    assert str(available.guild_id) == sandbox.discord.guild_id
    assert message.message.content == "hola"
    assert [s.payload_compression for s in sessions] == [True]
    assert errors_logged(caplog) == []
