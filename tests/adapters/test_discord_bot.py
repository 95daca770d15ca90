"""The whole bot on Discord: real discord.py, router, Store and MercadoPago provider, all
against the loopback stand-ins. A viewer buys with `!comprar`, gets the link by DM, pays on
the MercadoPago sandbox and is thanked in the channel; roles decide who may close the shop;
a resumed gateway connection that redelivers a purchase does not buy twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest
from aiohttp import web

from adapters.discord import DiscordAdapter
from bots.config import load_config
from bots.runtime import Bot
from commerce.payments.mercadopago import MercadoPagoProvider
from commerce.store import Store
from sandbox.app import Sandbox, SandboxConfig
from sandbox.discord import DiscordStandIn

TOKEN = "MTIz.sandbox.bot-token"
MP_TOKEN = "TEST-0000000000000000-discord"
MP_SECRET = "discord-test-webhook-secret"
EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
URL = re.compile(r"https?://\S+")


async def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll until `check()` is truthy; the deadline only bounds a hung test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError("condition never became true")
        await asyncio.sleep(0.05)


@dataclass
class World:
    discord: DiscordStandIn
    discord_url: str
    payments_url: str
    store: Store
    bot: Bot
    http: aiohttp.ClientSession

    async def say(self, **body: Any) -> dict[str, Any]:
        return await self._post("/_sandbox/discord/say", body)

    async def slash(self, **body: Any) -> dict[str, Any]:
        return await self._post("/_sandbox/discord/slash", body)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.discord_url + path, json=body) as response:
            assert response.status == 200, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def pay(self, link: str) -> None:
        preference = parse_qs(urlparse(link).query)["pref_id"][0]
        url = f"{self.payments_url}/_sandbox/mercadopago/pay"
        body = {"preference_id": preference, "status": "approved"}
        async with self.http.post(url, json=body) as response:
            assert response.status < 300, await response.text()

    def sent(self, *kinds: str) -> list[dict[str, Any]]:
        return [s for s in self.discord.sent if s["kind"] in kinds]

    def orders(self, user_id: str) -> list[Any]:
        return self.store.viewer_orders("discord", user_id)


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )
    payments = Sandbox(SandboxConfig(mp_webhook_secret=MP_SECRET, mp_access_token=MP_TOKEN))
    await payments.start()
    standin = DiscordStandIn(token=TOKEN)
    app = web.Application()
    standin.mount(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    discord_url = f"http://{host}:{port}"

    env = dict(os.environ, MP_ACCESS_TOKEN=MP_TOKEN, MP_WEBHOOK_SECRET=MP_SECRET)
    config = load_config(EXAMPLE, env)
    assert config.mercadopago is not None
    config = dataclasses.replace(
        config,
        database_url=f"sqlite:///{tmp_path / 'vivo.db'}",
        mercadopago=dataclasses.replace(config.mercadopago, endpoint=f"{payments.url}/mercadopago"),
    )
    store = Store(config.database_url)
    store.migrate()
    store.sync_catalog(list(config.products))
    provider = MercadoPagoProvider(MP_TOKEN, MP_SECRET, endpoint=f"{payments.url}/mercadopago")
    adapter = DiscordAdapter(
        TOKEN,
        endpoint=f"{discord_url}/discord",
        moderator_roles=["Staff"],
        guild_ready_timeout=0.05,
    )
    bot = Bot(config, store, provider, [adapter], poll_payments=True, web_port=0)
    endpoints = await bot.start()
    payments.config.mp_webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
    async with aiohttp.ClientSession() as http:
        yield World(standin, discord_url, payments.url, store, bot, http)
    await bot.stop()
    store.close()
    await standin.close()
    await runner.cleanup()
    await payments.stop()


async def test_prefix_purchase_link_by_dm_then_thanks_in_the_channel(world: World) -> None:
    said = await world.say(user="ana", text="!comprar remera M", channel="tienda")

    dm = (await eventually(lambda: world.sent("dm")))[0]
    assert dm["user"] == "ana"
    links = URL.findall(dm["content"])
    assert links
    # The channel may hear that the item is reserved, never the link.
    assert all(links[0] not in m["content"] for m in world.sent("message"))
    (order,) = world.orders(said["user_id"])
    assert order.code in dm["content"]

    before = len(world.sent("message"))
    await world.pay(links[0])

    thanks = (await eventually(lambda: world.sent("message")[before:]))[0]
    assert thanks["channel"] == "tienda"
    assert f"<@{said['user_id']}>" in thanks["content"]
    assert links[0] not in thanks["content"]
    assert world.orders(said["user_id"])[0].status.value == "paid"


async def test_slash_purchase_gets_an_ephemeral_link(world: World) -> None:
    slash = await world.slash(
        user="beto", command="comprar", options={"producto": "taza", "cantidad": 2}
    )

    followups = await eventually(
        lambda: [f for f in world.sent("followup") if URL.search(f["content"])]
    )
    followup = followups[0]
    assert followup["interaction_id"] == slash["id"]
    assert followup["ephemeral"] is True
    assert all(f["ephemeral"] for f in world.sent("followup"))
    link = URL.search(followup["content"])
    assert link is not None
    assert all(link.group() not in m["content"] for m in world.sent("message", "dm"))
    (order,) = await eventually(lambda: world.orders(world.discord.users["beto"].id))
    assert order.code in followup["content"]
    assert [line.quantity for line in order.lines] == [2]


async def test_closing_the_shop_is_refused_to_viewers_and_allowed_by_role(world: World) -> None:
    await world.say(user="beto", text="!cerrar")
    refusal = await eventually(lambda: world.sent("message"))
    assert world.store.is_open()
    assert "cerrar" in refusal[0]["content"]

    await world.say(user="sol", text="!cerrar", roles=["Staff"])

    await eventually(lambda: not world.store.is_open())


async def test_a_resumed_connection_that_redelivers_a_purchase_buys_once(world: World) -> None:
    said = await world.say(user="ana", text="!comprar taza")
    await eventually(lambda: world.sent("dm"))
    session = next(iter(world.discord.sessions.values()))
    purchase = next(f for f in session.log if f["d"].get("id") == said["id"])

    assert await world.discord.drop() == 1
    await world.discord.dispatch("MESSAGE_CREATE", purchase["d"])  # redelivered after resume
    await eventually(lambda: world.discord.counters["resume"] == 1)
    await world.say(user="ana", text="!pedido")
    await eventually(lambda: world.sent("message"))
    assert await world.bot.wait_idle(quiet=0.3)

    assert len(world.orders(said["user_id"])) == 1
    assert len(world.sent("dm")) == 1
