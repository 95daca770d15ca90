"""The whole bot on Twitch: real twitchio, router, store, MercadoPago SDK, all on loopback.

A viewer buys in chat, gets the payment link in chat with a mention, pays in the
MercadoPago sandbox and is thanked; a cheer is recorded as a tip with its message; a
moderator-only command works for a moderator's badge and not for a viewer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bots.config import load_config
from bots.launch import make_provider, open_store
from bots.runtime import Bot
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox, SandboxConfig
from sandbox.twitch import TwitchStandIn
from tests.adapters.twitch_support import Rig, running, until

ROOT = Path(__file__).resolve().parents[2]
MP_TOKEN = "TEST-0000000000000000-twitch-e2e"
MP_SECRET = "twitch-e2e-webhook-secret"


@dataclass
class Stage:
    rig: Rig
    sandbox: Sandbox
    bot: Bot
    store: Store

    def said(self, *words: str) -> list[dict[str, Any]]:
        return [
            m
            for m in self.rig.twitch.sent
            if m["is_sent"] and all(w.lower() in m["message"].lower() for w in words)
        ]

    async def pay(self, code: str) -> None:
        url = f"{self.sandbox.url}/_sandbox/mercadopago/pay"
        body = {"external_reference": code, "status": "approved"}
        async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
            assert resp.status < 300, await resp.text()


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    async with running(TwitchStandIn(bot_is_moderator=True)) as rig:
        sandbox = Sandbox(SandboxConfig(mp_webhook_secret=MP_SECRET, mp_access_token=MP_TOKEN))
        await sandbox.start()
        env = {"MP_ACCESS_TOKEN": MP_TOKEN, "MP_WEBHOOK_SECRET": MP_SECRET}
        config = load_config(ROOT / "config.example.toml", env)
        assert config.mercadopago is not None
        config = dataclasses.replace(
            config,
            database_url=f"sqlite:///{tmp_path / 'vivo.db'}",
            mercadopago=dataclasses.replace(
                config.mercadopago, endpoint=f"{sandbox.url}/mercadopago"
            ),
        )
        store = open_store(config)
        adapter = await rig.adapter()
        bot = Bot(config, store, make_provider(config), [adapter], poll_payments=True, web_port=0)
        endpoints = await bot.start()
        sandbox.config.mp_webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
        try:
            yield Stage(rig, sandbox, bot, store)
        finally:
            await bot.stop()
            await sandbox.stop()
            store.close()


async def test_a_purchase_end_to_end(stage: Stage) -> None:
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


async def test_a_cheer_is_recorded_as_a_tip_with_its_message(stage: Stage) -> None:
    await stage.rig.control(
        "POST", "cheer", {"user": "beto", "bits": 300, "message": "¡Aguante la tienda!"}
    )
    tips = await until(lambda: [t for t in stage.store.list_tips() if t.platform == "twitch"])
    [tip] = tips
    assert tip.message == "¡Aguante la tienda!"
    assert tip.amount.amount == Decimal("3.00") and tip.amount.currency == "USD"
    assert tip.viewer.user_id == stage.rig.twitch.user("beto").id


async def test_a_moderator_only_command_follows_the_badge(stage: Stage) -> None:
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
