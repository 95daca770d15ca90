"""The whole bot on Telegram: real PTB, router, store, MercadoPago SDK, all on loopback.

A viewer buys in a group, gets the payment link privately (through a deep link when they
have never opened the bot), pays in the MercadoPago sandbox, and is thanked in the group.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.telegram import TelegramAdapter
from bots.config import load_config
from bots.launch import make_provider, open_store
from bots.runtime import Bot
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox, SandboxConfig
from sandbox.telegram import DEFAULT_TOKEN, TelegramStandIn

ROOT = Path(__file__).resolve().parents[2]
MP_TOKEN = "TEST-0000000000000000-telegram-e2e"
MP_SECRET = "telegram-e2e-webhook-secret"
DEADLINE = 20.0


async def until(condition: Callable[[], Any]) -> Any:
    async def check() -> Any:
        while not (value := condition()):
            await asyncio.sleep(0.02)
        return value

    return await asyncio.wait_for(check(), DEADLINE)


@dataclass
class Stage:
    telegram: TelegramStandIn
    sandbox: Sandbox
    bot: Bot
    store: Store

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.telegram.sent
            if e["method"] == "sendMessage" and (chat_id is None or e["chat_id"] == chat_id)
        ]

    async def pay(self, code: str) -> None:
        url = f"{self.sandbox.url}/_sandbox/mercadopago/pay"
        async with (
            aiohttp.ClientSession() as http,
            http.post(url, json={"external_reference": code, "status": "approved"}) as resp,
        ):
            assert resp.status < 300, await resp.text()


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    telegram = TelegramStandIn()
    app = web.Application()
    telegram.setup(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    endpoint = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram"

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
    adapter = TelegramAdapter(DEFAULT_TOKEN, endpoint=endpoint, poll_timeout=1.0)
    bot = Bot(config, store, make_provider(config), [adapter], poll_payments=True, web_port=0)
    endpoints = await bot.start()
    sandbox.config.mp_webhook_url = f"{endpoints.web_url}/webhooks/mercadopago"
    yield Stage(telegram, sandbox, bot, store)
    await bot.stop()
    await sandbox.stop()
    await telegram.close()
    await runner.cleanup()
    store.close()


async def test_group_purchase_through_a_deep_link_then_thanks_in_the_group(stage: Stage) -> None:
    group = stage.telegram.group_id
    stage.telegram.say("ana", "/comprar remera M")
    ana = stage.telegram.user("ana")

    prompt = await until(lambda: next((e for e in stage.sent(group) if "reply_markup" in e), None))
    [[button]] = prompt["reply_markup"]["inline_keyboard"]
    assert button["url"].startswith("https://t.me/vivo_sandbox_bot?start=")
    assert not stage.sent(ana["id"])  # ana never opened the bot: nothing private yet

    stage.telegram.press("ana", button=button["text"])
    [link] = await until(lambda: stage.sent(ana["id"]))
    [order] = stage.store.viewer_orders("telegram", str(ana["id"]))
    assert order.code in link["text"]
    assert order.channel_id == str(group)

    await stage.pay(order.code)
    thanks = await until(
        lambda: [e for e in stage.sent(group) if order.code in e["text"] and "Gracias" in e["text"]]
    )
    assert len(thanks) == 1
    assert stage.store.viewer_orders("telegram", str(ana["id"]))[0].status is OrderStatus.PAID


async def test_a_buyer_who_opened_the_bot_gets_the_link_privately(stage: Stage) -> None:
    group = stage.telegram.group_id
    stage.telegram.say("beto", "hola", chat="private")
    stage.telegram.say("beto", "/comprar remera L")
    beto = stage.telegram.user("beto")
    links = await until(lambda: [e for e in stage.sent(beto["id"]) if "http" in e["text"]])
    [order] = stage.store.viewer_orders("telegram", str(beto["id"]))
    assert order.code in links[0]["text"]
    url = next(word for word in links[0]["text"].split() if word.startswith("http"))
    assert not any(url in e["text"] for e in stage.sent(group))  # the link stays private


async def test_admin_only_command_is_refused_for_a_member_and_run_for_an_admin(
    stage: Stage,
) -> None:
    group = stage.telegram.group_id
    before = stage.store.get_product("REM-VIVO")
    stage.telegram.say("ana", "/stock remera M 50")
    [refusal] = await until(lambda: stage.sent(group))
    assert "/stock" in refusal["text"]
    medium = next(v for v in stage.store.get_product("REM-VIVO").variants if v.key == "talle=M")
    assert medium.stock == next(v.stock for v in before.variants if v.key == "talle=M")

    stage.telegram.say("Mora", "/stock remera M 50", role="administrator")
    await until(
        lambda: (
            next(
                v for v in stage.store.get_product("REM-VIVO").variants if v.key == "talle=M"
            ).stock
            == 50
        )
    )


async def test_shop_buttons_place_an_order(stage: Stage) -> None:
    group = stage.telegram.group_id
    stage.telegram.say("ana", "/tienda")
    catalog = await until(lambda: next((e for e in stage.sent(group) if "reply_markup" in e), None))
    labels = [row[0]["text"] for row in catalog["reply_markup"]["inline_keyboard"]]
    remera = next(label for label in labels if "Remera" in label)
    stage.telegram.press("ana", button=remera)

    # A product with variants asks for one as a second step, with buttons again.
    step = await until(
        lambda: next(
            (
                e
                for e in stage.sent(group)
                if "reply_markup" in e and e["message_id"] != catalog["message_id"]
            ),
            None,
        )
    )
    sizes = [row[0]["text"] for row in step["reply_markup"]["inline_keyboard"]]
    stage.telegram.press("ana", button=next(s for s in sizes if s.split()[-1] == "M"))
    ana = stage.telegram.user("ana")
    [order] = await until(lambda: stage.store.viewer_orders("telegram", str(ana["id"])))
    assert [(line.sku, line.variant_key) for line in order.lines] == [("REM-VIVO", "talle=M")]
