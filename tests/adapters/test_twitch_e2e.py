"""The whole bot on Twitch: real twitchio, router, store, MercadoPago SDK, all on loopback.

A viewer buys in chat, gets the payment link in chat with a mention, pays in the
MercadoPago sandbox and is thanked; a cheer is recorded as a tip with its message; a
moderator-only command works for a moderator's badge and not for a viewer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.twitch import TwitchAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox
from tests.adapters.twitch_support import Rig


@dataclass
class TwitchStage(Stage):
    rig: Rig

    def said(self, *words: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.rig.twitch.sent
            if m["is_sent"] and all(w.lower() in m["message"].lower() for w in words)
        ]


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TwitchStage]:
    async with aiohttp.ClientSession() as http:

        async def twitch(config: Config, store: Store, sandbox: Sandbox) -> list[TwitchAdapter]:
            return [await Rig(sandbox.twitch, sandbox.url, http).adapter()]

        async with open_stage(tmp_path, twitch) as whole:
            yield TwitchStage(**vars(whole), rig=Rig(whole.sandbox.twitch, whole.sandbox.url, http))


async def test_a_purchase_end_to_end(stage: TwitchStage) -> None:
    await stage.rig.control("POST", "say", {"user": "ana", "text": "!comprar remera M"})
    ana = stage.rig.twitch.user("ana")
    [order] = await until(lambda: stage.store.viewer_orders("twitch", ana.id))
    assert order.channel_id == stage.rig.twitch.broadcaster.id
    links = await until(lambda: stage.said("@ana", order.code, "http"))
    assert len(links) == 1

    await stage.pay(order.code)
    await until(lambda: stage.store.viewer_orders("twitch", ana.id)[0].status is OrderStatus.PAID)
    thanks = await until(lambda: [m for m in stage.said("@ana", order.code) if m not in links])
    assert thanks
    assert await stage.rig.violations() == []


async def test_a_cheer_is_recorded_as_a_tip_with_its_message(stage: TwitchStage) -> None:
    await stage.rig.control(
        "POST", "cheer", {"user": "beto", "bits": 300, "message": "¡Aguante la tienda!"}
    )
    tips = await until(lambda: [t for t in stage.store.list_tips() if t.platform == "twitch"])
    [tip] = tips
    assert tip.message == "¡Aguante la tienda!"
    assert tip.amount.amount == Decimal("3.00") and tip.amount.currency == "USD"
    assert tip.viewer.user_id == stage.rig.twitch.user("beto").id


async def test_a_moderator_only_command_follows_the_badge(stage: TwitchStage) -> None:
    def medium() -> int:
        product = stage.store.get_product("REM-VIVO")
        return next(v.stock for v in product.variants if v.key == "talle=M")

    before = medium()
    await stage.rig.control("POST", "say", {"user": "ana", "text": "!stock remera M 50"})
    await until(lambda: stage.said("@ana"))
    assert medium() == before

    await stage.rig.control(
        "POST", "say", {"user": "mora", "text": "!stock remera M 50", "role": "moderator"}
    )
    await until(lambda: medium() == 50)


async def test_quoted_input_mentions_only_the_viewer_answered(stage: TwitchStage) -> None:
    """Issue 11: an error quoting `@beto` would have pinged beto."""
    await stage.rig.control("POST", "say", {"user": "ana", "text": "!comprar @beto @carla"})
    [reply] = await until(lambda: stage.said("@ana"))
    assert "@beto" not in reply["message"] and "@carla" not in reply["message"]
    assert "@\u200dbeto" in reply["message"]


async def test_a_command_in_the_documentation_examples_shape_is_answered(
    stage: TwitchStage,
) -> None:
    """Twitch's example event has no `channel_points_animation_id`; it still reaches the router."""
    path = Path(__file__).resolve().parents[1] / "payloads" / "twitch"
    raw = json.loads((path / "channel_chat_message_docs.json").read_text())
    event = raw["payload"]["event"]
    event.update(stage.rig.twitch.broadcaster.ref("broadcaster_user"))
    event["message"]["text"] = event["message"]["fragments"][0]["text"] = "!tienda"
    injected = await stage.rig.control(
        "POST", "inject", {"subscription_type": "channel.chat.message", "event": event}
    )
    assert injected["delivered"] == 1
    [reply] = await until(lambda: stage.said("@viewer32"))
    assert reply["reply_parent_message_id"] == event["message_id"]
