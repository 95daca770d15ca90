"""The whole bot on Discord: real discord.py, router, Store and MercadoPago provider, all
against the loopback stand-ins. A viewer buys with `!comprar`, gets the link by DM, pays on
the MercadoPago sandbox and is thanked in the channel; roles decide who may close the shop;
a resumed gateway connection that redelivers a purchase does not buy twice.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest

from adapters.discord import DiscordAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.store import Store
from sandbox.app import Sandbox
from sandbox.discord import DiscordStandIn

TOKEN = "MTIz.sandbox.bot-token"
URL = re.compile(r"https?://\S+")


@dataclass
class World(Stage):
    http: aiohttp.ClientSession

    @property
    def discord(self) -> DiscordStandIn:
        return self.sandbox.discord

    async def say(self, **body: Any) -> dict[str, Any]:
        return await self._post("/_sandbox/discord/say", body)

    async def slash(self, **body: Any) -> dict[str, Any]:
        return await self._post("/_sandbox/discord/slash", body)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.sandbox.url + path, json=body) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def pay_link(self, link: str) -> None:
        await self.pay(preference_id=parse_qs(urlparse(link).query)["pref_id"][0])

    def sent(self, *kinds: str) -> list[dict[str, Any]]:
        return [s for s in self.discord.sent if s["kind"] in kinds]

    def orders(self, user_id: str) -> list[Any]:
        return self.store.viewer_orders("discord", user_id)


def discord_adapter(config: Config, store: Store, sandbox: Sandbox) -> list[DiscordAdapter]:
    endpoint = f"{sandbox.url}/discord"
    return [
        DiscordAdapter(
            TOKEN, endpoint=endpoint, moderator_roles=["Staff"], guild_ready_timeout=0.05
        )
    ]


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    async with aiohttp.ClientSession() as http, open_stage(tmp_path, discord_adapter) as whole:
        yield World(**vars(whole), http=http)


async def test_prefix_purchase_link_by_dm_then_thanks_in_the_channel(world: World) -> None:
    said = await world.say(user="ana", text="!comprar remera M", channel="tienda")

    dm = (await until(lambda: world.sent("dm")))[0]
    assert dm["user"] == "ana"
    links = URL.findall(dm["content"])
    assert links
    # The channel may hear that the item is reserved, never the link.
    assert all(links[0] not in m["content"] for m in world.sent("message"))
    (order,) = world.orders(said["user_id"])
    assert order.code in dm["content"]

    before = len(world.sent("message"))
    await world.pay_link(links[0])

    thanks = (await until(lambda: world.sent("message")[before:]))[0]
    assert thanks["channel"] == "tienda"
    assert f"<@{said['user_id']}>" in thanks["content"]
    assert links[0] not in thanks["content"]
    assert world.orders(said["user_id"])[0].status.value == "paid"


async def test_slash_purchase_gets_an_ephemeral_link(world: World) -> None:
    slash = await world.slash(
        user="beto", command="comprar", options={"producto": "taza", "cantidad": 2}
    )

    followups = await until(lambda: [f for f in world.sent("followup") if URL.search(f["content"])])
    followup = followups[0]
    assert followup["interaction_id"] == slash["id"]
    assert followup["ephemeral"] is True
    assert all(f["ephemeral"] for f in world.sent("followup"))
    link = URL.search(followup["content"])
    assert link is not None
    assert all(link.group() not in m["content"] for m in world.sent("message", "dm"))
    (order,) = await until(lambda: world.orders(world.discord.users["beto"].id))
    assert order.code in followup["content"]
    assert [line.quantity for line in order.lines] == [2]


async def test_closing_the_shop_is_refused_to_viewers_and_allowed_by_role(world: World) -> None:
    await world.say(user="beto", text="!cerrar")
    refusal = await until(lambda: world.sent("message"))
    assert world.store.is_open()
    assert "cerrar" in refusal[0]["content"]

    await world.say(user="sol", text="!cerrar", roles=["Staff"])

    await until(lambda: not world.store.is_open())


async def test_a_resumed_connection_that_redelivers_a_purchase_buys_once(world: World) -> None:
    said = await world.say(user="ana", text="!comprar taza")
    await until(lambda: world.sent("dm"))
    session = next(iter(world.discord.sessions.values()))
    purchase = next(f for f in session.log if f["d"].get("id") == said["id"])

    assert await world.discord.drop() == 1
    await world.discord.dispatch("MESSAGE_CREATE", purchase["d"])  # redelivered after resume
    await until(lambda: world.discord.counters["resume"] == 1)
    await world.say(user="ana", text="!pedido")
    await until(lambda: world.sent("message"))
    assert await world.bot.wait_idle(quiet=0.3)

    assert len(world.orders(said["user_id"])) == 1
    assert len(world.sent("dm")) == 1
