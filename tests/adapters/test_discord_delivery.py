"""Delivery details on Discord through a modal: real discord.py against the stand-in.

A purchase that needs shipping answers with the delivery options as buttons; pressing one
opens a modal (interaction callback type 9) with the name, contact and address boxes; the
stand-in's `submit` sends the documented MODAL_SUBMIT back; the Store keeps the details and
the payment link, with shipping in the total, arrives where only the buyer sees it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import pytest

from adapters.discord import DiscordAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.money import Money
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

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(f"{self.sandbox.url}/_sandbox/discord/{path}", json=body) as r:
            assert r.status == 200, await r.text()
            result: dict[str, Any] = await r.json()
            return result

    def sent(self, *kinds: str) -> list[dict[str, Any]]:
        return [s for s in self.discord.sent if s["kind"] in kinds]


def labels(entry: dict[str, Any]) -> list[str]:
    return [b["label"] for row in entry.get("components") or [] for b in row["components"]]


def discord_adapter(config: Config, store: Store, sandbox: Sandbox) -> list[DiscordAdapter]:
    return [DiscordAdapter(TOKEN, endpoint=f"{sandbox.url}/discord", guild_ready_timeout=0.05)]


def keep_discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter points discord.py's module-wide endpoints at the stand-in: put them back
    after the test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )


@asynccontextmanager
async def discord_world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    questions: bool = False,
    **stage_options: Any,
) -> AsyncIterator[World]:
    """The whole bot on the Discord stand-in. Without `questions` the payment link follows a
    purchase at once (the delivery modal has its own tests, here)."""
    keep_discord_endpoints(monkeypatch)
    async with (
        aiohttp.ClientSession() as http,
        open_stage(tmp_path, discord_adapter, **stage_options) as whole,
    ):
        if not questions:
            whole.bot.services.conversations = None
        yield World(**vars(whole), http=http)


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    async with discord_world(tmp_path, monkeypatch, questions=True) as whole:
        yield whole


async def test_a_purchase_gives_its_delivery_details_through_a_modal(world: World) -> None:
    await world.post(
        "slash", {"user": "ana", "command": "comprar", "options": {"producto": "remera M"}}
    )
    ana = await until(lambda: world.discord.users.get("ana"))
    (order,) = await until(lambda: world.store.viewer_orders("discord", ana.id))
    asked = await until(
        lambda: [f for f in world.sent("followup") if any("Correo" in x for x in labels(f))]
    )
    assert asked[0]["ephemeral"] and order.code in asked[0]["content"]
    early = world.sent("followup", "dm", "message")
    assert not [f for f in early if URL.search(f["content"] or "")]  # no link before details
    correo = next(label for label in labels(asked[0]) if label.startswith("Correo"))
    assert world.bot.messages.money(Money(Decimal("3500"), "ARS"), "es") in correo

    await world.post("press", {"user": "ana", "label": correo})
    [modal] = await until(lambda: world.sent("modal"))
    assert modal["user"] == "ana" and order.code in modal["title"]
    boxes = [row["components"][0] for row in modal["components"]]
    assert [b["custom_id"] for b in boxes] == ["name", "contact", "street", "place", "postal_code"]
    assert all(b["type"] == 4 and len(b["label"]) <= 45 for b in boxes)
    assert not world.sent("deferred_update")  # the modal was the press's only answer

    values = {
        "name": "Ana Pérez",
        "contact": "+54 9 351 555-0000",
        "street": "Av. Colón 1234",
        "place": "Córdoba, Córdoba",
        "postal_code": "5000",
    }
    submitted = await world.post("submit", {"user": "ana", "values": values})
    linked = await until(
        lambda: [
            f
            for f in world.sent("followup")
            if f["interaction_id"] == submitted["id"] and URL.search(f["content"] or "")
        ]
    )
    assert linked[0]["ephemeral"]
    paid_for = world.store.get_order(order.code)
    goods = world.store.get_product("REM-VIVO").price.amount
    assert paid_for.total.amount == goods + Decimal("3500") and paid_for.details_complete
    details = world.store.delivery_details(order.code)
    assert details is not None
    assert (details.name, details.contact, details.city, details.province) == (
        "Ana Pérez",
        "+5493515550000",
        "Córdoba",
        "Córdoba",
    )
    assert paid_for.preference_id is not None and paid_for.preference_id in linked[0]["content"]
    public = [s for s in world.discord.sent if not s.get("ephemeral") and s["kind"] != "modal"]
    assert all("Colón" not in (s.get("content") or "") for s in public)


async def test_a_bad_contact_shows_the_modal_again_prefilled(world: World) -> None:
    await world.post(
        "slash", {"user": "beto", "command": "comprar", "options": {"producto": "taza"}}
    )
    asked = await until(
        lambda: [f for f in world.sent("followup") if any("Retiro" in x for x in labels(f))]
    )
    pickup = next(label for label in labels(asked[0]) if label.startswith("Retiro"))
    await world.post("press", {"user": "beto", "label": pickup})
    [modal] = await until(lambda: world.sent("modal"))
    assert [row["components"][0]["custom_id"] for row in modal["components"]] == [
        "name",
        "contact",
    ]
    values = {"name": "Beto", "contact": "nope"}
    submitted = await world.post("submit", {"user": "beto", "values": values})
    t = world.bot.messages.t
    refusal = t("es", "error_invalid_delivery", field=t("es", "delivery_field_contact"))
    told = await until(
        lambda: [
            f
            for f in world.sent("followup")
            if f["interaction_id"] == submitted["id"] and refusal in f["content"]
        ]
    )
    assert told[0]["ephemeral"]
    (order,) = world.store.viewer_orders("discord", world.discord.users["beto"].id)
    assert world.store.delivery_details(order.code) is None and order.payment_url is None
    await until(
        lambda: [f for f in world.sent("followup") if any("Retiro" in x for x in labels(f))][1:]
    )
    await world.post("press", {"user": "beto", "label": pickup})
    second = await until(lambda: world.sent("modal")[1:])
    name_box = second[0]["components"][0]["components"][0]
    assert name_box["value"] == "Beto"  # what was typed comes back
