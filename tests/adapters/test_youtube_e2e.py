"""The whole bot on YouTube: real googleapiclient, router, store, MercadoPago SDK, on loopback.

A viewer buys in the live chat, gets the payment link as a mention, pays in the MercadoPago
sandbox and is thanked; a Super Chat becomes a recorded tip; `!stock` works for a moderator
only; the stream ending stops the adapter and nothing else.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from google.oauth2.credentials import Credentials

from adapters.youtube import YouTubeAdapter
from adapters.youtube_quota import QuotaPlanner
from bots.config import load_config
from bots.launch import make_provider, open_store
from bots.runtime import Bot
from commerce.store import Store
from commerce.views import OrderStatus, TipSource
from sandbox.app import Sandbox, SandboxConfig
from sandbox.youtube import YouTubeStandIn

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ya29.youtube-e2e"
MP_TOKEN = "TEST-0000000000000000-youtube-e2e"
MP_SECRET = "youtube-e2e-webhook-secret"
DEADLINE = 20.0


async def until(condition: Callable[[], Any]) -> Any:
    """The condition's first truthy value; the deadline only bounds a failing test."""

    async def check() -> Any:
        while not (value := condition()):
            await asyncio.sleep(0.02)
        return value

    return await asyncio.wait_for(check(), DEADLINE)


@dataclass
class Stage:
    youtube: YouTubeStandIn
    adapter: YouTubeAdapter
    sandbox: Sandbox
    bot: Bot
    store: Store

    def sent(self) -> list[str]:
        return [m["text"] for m in self.youtube.sent]

    async def pay(self, code: str) -> None:
        url = f"{self.sandbox.url}/_sandbox/mercadopago/pay"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"external_reference": code, "status": "approved"}) as resp,
        ):
            assert resp.status < 300, await resp.text()


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    youtube = YouTubeStandIn(access_token=TOKEN, polling_interval_ms=50)
    app = web.Application()
    youtube.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint = f"http://127.0.0.1:{runner.addresses[0][1]}/youtube"

    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=MP_SECRET, mp_access_token=MP_TOKEN))
    await sandbox.start()
    env = {"MP_ACCESS_TOKEN": MP_TOKEN, "MP_WEBHOOK_SECRET": MP_SECRET}
    config = load_config(ROOT / "config.example.toml", env)
    assert config.mercadopago is not None
    config = dataclasses.replace(
        config,
        database_url=f"sqlite:///{tmp_path / 'vivo.db'}",
        mercadopago=dataclasses.replace(config.mercadopago, endpoint=f"{sandbox.url}/mercadopago"),
    )
    store = open_store(config)
    planner = QuotaPlanner(
        stream_seconds=600,
        min_interval=0.05,
        max_interval=0.5,
        gather=0.05,
        reply_hold=0.3,
        announce_hold=0.1,
    )
    adapter = YouTubeAdapter(
        Credentials(token=TOKEN), endpoint=endpoint, planner=planner, send_gap=0.05
    )
    bot = Bot(config, store, make_provider(config), [adapter], poll_payments=True, web_port=0)
    endpoints = await bot.start()
    sandbox.mercadopago.webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
    yield Stage(youtube, adapter, sandbox, bot, store)
    await bot.stop()
    await sandbox.stop()
    await youtube.close()
    await runner.cleanup()
    store.close()


async def test_a_purchase_end_to_end(stage: Stage) -> None:
    said = stage.youtube.say("ana", "!comprar remera M")
    ana = said["authorDetails"]["channelId"]

    [order] = await until(lambda: stage.store.viewer_orders("youtube", ana))
    assert order.channel_id == stage.youtube.live_chat_id
    link = await until(lambda: next((t for t in stage.sent() if "http" in t), None))
    assert "@ana" in link and order.code in link
    assert len(link) <= 200
    assert re.search(r"https?://\S+pref_id=", link)

    await stage.pay(order.code)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
    thanks = await until(lambda: [t for t in stage.sent() if "Gracias" in t and order.code in t])
    assert "@ana" in thanks[0]
    assert stage.adapter.planner.spent == stage.youtube.spent  # the bot knows what it spent


async def test_a_super_chat_is_recorded_as_a_tip_and_thanked(stage: Stage) -> None:
    stage.youtube.superchat("beto", 5_000_000_000, "ARS", "¡Saludos!")
    thanks = await until(lambda: [t for t in stage.sent() if "beto" in t and "Gracias" in t])
    assert "¡Saludos!" in thanks[0]
    [tip] = stage.store.list_tips()
    assert (tip.platform, tip.source) == ("youtube", TipSource.SUPERCHAT)
    assert tip.viewer.user_id == stage.youtube.messages[0]["authorDetails"]["channelId"]
    assert tip.amount.amount == Decimal("5000")
    assert tip.amount.currency == "ARS"
    assert tip.message == "¡Saludos!"


async def test_stock_is_a_moderator_only_command(stage: Stage) -> None:
    stage.youtube.say("troll", "!stock taza 0")
    refusal = await until(lambda: [t for t in stage.sent() if "moderadores" in t])
    assert "@troll" in refusal[0]
    stage.youtube.say("moni", "!stock taza 7", role="moderator")
    await until(lambda: [t for t in stage.sent() if "Stock de Taza del stream: 7" in t])
    [taza] = [p for p in stage.store.list_products() if p.sku == "TAZA-01"]
    assert taza.stock == 7


async def test_the_stream_ending_stops_the_adapter_not_the_bot(stage: Stage) -> None:
    stage.youtube.end()
    await asyncio.wait_for(stage.adapter.ended.wait(), DEADLINE)
    assert stage.adapter.end_reason == "liveChatEnded"
    assert await stage.bot.wait_idle(quiet=0.2, timeout=DEADLINE)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{stage.bot.endpoints.web_url}/healthz") as resp,  # type: ignore[union-attr]
    ):
        assert resp.status < 500
