"""The whole bot on Discord: real discord.py, router, Store and MercadoPago provider, all
against the loopback stand-ins. A viewer buys with `!comprar`, gets the link by DM, pays on
the MercadoPago sandbox and is thanked in the channel; roles decide who may close the shop;
a resumed gateway connection that redelivers a purchase does not buy twice; the shop's
buttons buy in two presses, the link arriving where only the buyer sees it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from adapters.discord import DiscordAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.store import Store
from sandbox.app import Sandbox
from sandbox.discord import DiscordStandIn
from tests.adapters.test_discord_delivery import keep_discord_endpoints

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
    keep_discord_endpoints(monkeypatch)
    async with aiohttp.ClientSession() as http, open_stage(tmp_path, discord_adapter) as whole:
        # Links at once: the delivery modal has its own tests (test_discord_delivery.py).
        whole.bot.services.conversations = None
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

    [order] = world.orders(said["user_id"])
    # Bought once: a second run would have joined the cart (2× Taza, a second revision).
    assert [line.quantity for line in order.lines] == [1] and order.revision == 0
    # The purchase's link, then `!pedido` showing the cart with the same link again.
    purchase_link, shown_again = world.sent("dm")
    assert order.payment_url is not None
    assert order.payment_url in str(purchase_link) and order.payment_url in str(shown_again)


def labels(entry: dict[str, Any]) -> list[str]:
    return [b["label"] for row in entry.get("components", []) for b in row["components"]]


async def test_shop_buttons_place_an_order_and_the_link_arrives_privately(world: World) -> None:
    said = await world.say(user="ana", text="!tienda", channel="tienda")
    catalog = await until(lambda: [m for m in world.sent("message") if labels(m)])
    assert "Comprar Remera Vivo" in labels(catalog[0])
    assert catalog[0]["reply_to"] == said["id"]

    pressed = await world._post(
        "/_sandbox/discord/press", {"user": "ana", "label": "Comprar Remera Vivo"}
    )
    assert pressed["message_id"] == catalog[0]["id"]
    # Acknowledged without a message (DEFERRED_UPDATE_MESSAGE); a variant is asked for, with
    # one button per size in stock.
    step = await until(
        lambda: [f for f in world.sent("followup", "message", "interaction") if labels(f)][1:]
    )
    assert step[0]["kind"] == "followup" and step[0]["interaction_id"] == pressed["id"]
    acks = [s for s in world.sent("deferred_update") if s["interaction_id"] == pressed["id"]]
    assert len(acks) == 1
    size = next(label for label in labels(step[0]) if label.split()[-1] == "M")

    chosen = await world._post("/_sandbox/discord/press", {"user": "ana", "label": size})

    (order,) = await until(lambda: world.orders(said["user_id"]))
    assert [(line.sku, line.variant_key) for line in order.lines] == [("REM-VIVO", "talle=M")]
    linked = await until(
        lambda: [
            f for f in world.sent("followup") if URL.search(f["content"] or "") and f["ephemeral"]
        ]
    )
    assert linked[0]["interaction_id"] == chosen["id"]
    assert linked[0]["user"] == "ana"
    link = URL.search(linked[0]["content"])
    assert link is not None
    # The link is never where others can read it.
    public = [s for s in world.discord.sent if not s.get("ephemeral")]
    assert all(link.group() not in (s.get("content") or "") for s in public)


async def test_quoted_input_pings_nobody_but_the_viewer_answered(world: World) -> None:
    """Issue 11: `!propina <@id> …` made the bot mention up to ~22 members in its error."""
    others = [await world.say(user=f"fan{n}", text="hola", channel="tienda") for n in range(5)]
    role = world.discord.roles["Staff"].id
    targets = " ".join(f"<@{o['user_id']}>" for o in others) + f" <@&{role}> @everyone @here"
    ana = await world.say(user="ana", text=f"!propina {targets}", channel="tienda")
    await world.say(user="ana", text=f"!comprar <@!{others[0]['user_id']}>", channel="tienda")
    await world.say(user="ana", text="!precio @everyone", channel="tienda")
    await world.slash(user="eli", command="propina", options={"monto": targets})

    def answers() -> list[dict[str, Any]]:
        return [m for m in world.sent("message", "followup") if m.get("content")]

    replies = await until(lambda: len(answers()) >= 4 and answers())
    channel = [m for m in replies if m["kind"] == "message"]
    followups = [m for m in replies if m["kind"] == "followup"]
    assert len(channel) == 3 and len(followups) == 1
    for reply in replies:
        assert reply["pinged"]["roles"] == [] and reply["pinged"]["everyone"] is False
        for other in others:
            assert f"<@{other['user_id']}>" not in reply["content"]
            assert other["user_id"] not in reply["pinged"]["users"]
        assert "@everyone" not in reply["content"] and f"<@&{role}>" not in reply["content"]
    for reply in channel:  # a reply to ana pings ana, and only her
        assert reply["pinged"]["users"] == [ana["user_id"]]
        allowed = reply["allowed_mentions"]
        assert allowed["parse"] == [] and [str(u) for u in allowed["users"]] == [ana["user_id"]]
    assert followups[0]["pinged"]["users"] == []
