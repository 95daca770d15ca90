"""A flash sale and a coupon on the whole bot, through the official SDKs against the stand-ins
(python-telegram-bot on Telegram, twitchio on Twitch) and the MercadoPago SDK: a moderator
starts `!oferta`, a viewer buys with a coupon as the last word, the reply shows both prices
and the discount, the MercadoPago preference adds up to the discounted total, and the
payment of exactly that total marks the order paid."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from adapters.telegram import TelegramAdapter
from adapters.twitch import TwitchAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox
from tests.adapters.twitch_support import Rig

SALE = Decimal("6800")  # the example's Taza del stream, 8500, 20% off
PAID = Decimal("5800")  # with MENOS1000


def _preference_total(sandbox: Sandbox, code: str) -> Decimal:
    [preference] = [
        p for p in sandbox.mercadopago.preferences.values() if p.get("external_reference") == code
    ]
    items: list[dict[str, Any]] = preference["items"]  # type: ignore[assignment]
    assert all(Decimal(str(i["unit_price"])) > 0 for i in items)
    return sum((Decimal(str(i["unit_price"])) * i["quantity"] for i in items), Decimal(0))


async def _buy_and_pay(stage: Stage, platform: str, user_id: Callable[[], str]) -> None:
    [order] = await until(lambda: stage.store.viewer_orders(platform, user_id()))
    assert order.lines[0].unit_price.amount == SALE
    await until(lambda: stage.store.get_order(order.code).preference_id is not None)
    order = stage.store.get_order(order.code)
    assert order.total.amount == PAID and order.coupon == "MENOS1000"
    assert _preference_total(stage.sandbox, order.code) == PAID
    await stage.pay(order.code)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
    assert [c.uses for c in stage.store.list_coupons() if c.code == "MENOS1000"] == [1]


async def test_on_telegram(tmp_path: Path) -> None:
    def telegram(config: Config, store: Store, sandbox: Sandbox) -> list[TelegramAdapter]:
        endpoint = f"{sandbox.url}/telegram"
        return [TelegramAdapter(sandbox.telegram.token, endpoint=endpoint, poll_timeout=1.0)]

    async with open_stage(tmp_path, telegram) as stage:
        stage.bot.services.conversations = None  # straight to the link (no delivery questions)
        world = stage.sandbox.telegram

        def said(*words: str) -> list[str]:
            return [
                e["text"]
                for e in world.sent
                if e["method"] == "sendMessage" and all(w in e["text"] for w in words)
            ]

        world.say("Mora", "/oferta taza 20% 5m", role="administrator")
        [started] = await until(lambda: said("⚡", "Taza del stream"))
        assert "$ 6.800,00" in started and "$ 8.500,00" in started
        world.say("ana", "/comprar taza MENOS1000")
        await until(lambda: said("MENOS1000", "$ 5.800,00"))
        await until(lambda: said("$ 6.800,00", "antes $ 8.500,00"))
        await _buy_and_pay(stage, "telegram", lambda: str(world.user("ana")["id"]))
        world.say("beto", "/cupon VIEJO99")
        await until(lambda: said("VIEJO99"))  # a helpful word, not silence


async def test_on_twitch(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:

        async def twitch(config: Config, store: Store, sandbox: Sandbox) -> list[TwitchAdapter]:
            return [await Rig(sandbox.twitch, sandbox.url, http).adapter()]

        async with open_stage(tmp_path, twitch) as stage:
            stage.bot.services.conversations = None
            rig = Rig(stage.sandbox.twitch, stage.sandbox.url, http)

            def said(*words: str) -> list[str]:
                return [
                    m["message"]
                    for m in rig.twitch.sent
                    if m["is_sent"] and all(w in m["message"] for w in words)
                ]

            await rig.control(
                "POST", "say", {"user": "mora", "text": "!sale mug 20% 5m", "role": "moderator"}
            )
            await until(lambda: said("⚡", "Taza del stream"))
            await rig.control("POST", "say", {"user": "ana", "text": "!buy mug MENOS1000"})
            await until(lambda: said("MENOS1000", "5,800.00") or said("MENOS1000", "5.800,00"))
            await _buy_and_pay(stage, "twitch", lambda: rig.twitch.user("ana").id)
            assert await rig.violations() == []
