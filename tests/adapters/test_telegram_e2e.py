"""The whole bot on Telegram: real PTB, router, store, MercadoPago SDK, all on loopback.

A viewer buys in a group, gets the payment link privately (through a deep link when they
have never opened the bot), pays in the MercadoPago sandbox, and is thanked in the group.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from adapters.telegram import TelegramAdapter
from bots.config import Config
from bots.testing import Stage, open_stage, until
from commerce.db import make_engine
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox
from sandbox.telegram import TelegramStandIn


@dataclass
class TelegramStage(Stage):
    @property
    def telegram(self) -> TelegramStandIn:
        return self.sandbox.telegram

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return [
            e
            for e in self.telegram.sent
            if e["method"] == "sendMessage" and (chat_id is None or e["chat_id"] == chat_id)
        ]


def telegram(config: Config, store: Store, sandbox: Sandbox) -> list[TelegramAdapter]:
    endpoint = f"{sandbox.url}/telegram"
    return [TelegramAdapter(sandbox.telegram.token, endpoint=endpoint, poll_timeout=1.0)]


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TelegramStage]:
    async with open_stage(tmp_path, telegram) as whole:
        # These tests are about links and carts; delivery questions have their own module
        # (test_telegram_delivery_e2e.py), so here the link follows the purchase at once.
        whole.bot.services.conversations = None
        yield TelegramStage(**vars(whole))


async def test_group_purchase_through_a_deep_link_then_thanks_in_the_group(
    stage: TelegramStage,
) -> None:
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


async def test_a_buyer_who_opened_the_bot_gets_the_link_privately(stage: TelegramStage) -> None:
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
    stage: TelegramStage,
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


async def test_shop_buttons_place_an_order(stage: TelegramStage) -> None:
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


async def test_quoted_input_mentions_only_the_viewer_answered(stage: TelegramStage) -> None:
    """Issue 11: an error quoting `@beto_ok` would have notified beto_ok."""
    stage.telegram.say("ana", "/comprar @beto_ok", chat="private")
    [reply] = await until(lambda: stage.sent())
    assert "@beto_ok" not in reply["text"] and "@\u200dbeto_ok" in reply["text"]
    assert all(e.get("type") != "mention" for e in reply.get("entities") or [])


def _links(stage: TelegramStage, user_id: int) -> list[str]:
    """Every payment URL sent to the user privately, in order."""
    return [
        word for e in stage.sent(user_id) for word in e["text"].split() if word.startswith("http")
    ]


def _units(stage: TelegramStage, table: str, where: str) -> tuple[int, int]:
    engine = make_engine(stage.store.url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(f"SELECT reserved, sold FROM {table} WHERE {where}")).one()
            return int(row[0]), int(row[1])
    finally:
        engine.dispose()


async def _cart_of_two(stage: TelegramStage) -> tuple[dict[str, Any], list[str]]:
    """beto opens the bot, then buys a mug and a shirt in the group: two links, one cart."""
    stage.bot.router.cooldowns.seconds = 0.0  # the second purchase comes within 2 s
    stage.telegram.say("beto", "hola", chat="private")
    beto = stage.telegram.user("beto")
    stage.telegram.say("beto", "/comprar taza")
    await until(lambda: _links(stage, beto["id"]))
    stage.telegram.say("beto", "/comprar remera M")
    links = await until(lambda: (found := _links(stage, beto["id"])) and len(found) >= 2 and found)
    return beto, links


async def test_two_purchases_make_one_cart_paid_with_the_final_link(stage: TelegramStage) -> None:
    group = stage.telegram.group_id
    beto, (first_link, final_link) = await _cart_of_two(stage)
    [order] = stage.store.viewer_orders("telegram", str(beto["id"]))
    assert [(line.sku, line.variant_key) for line in order.lines] == [
        ("TAZA-01", None),
        ("REM-VIVO", "talle=M"),
    ]
    assert first_link != final_link and order.preference_id is not None
    assert order.preference_id in final_link and order.preference_id not in first_link
    added = [e for e in stage.sent(group) if order.code in e["text"] and "Sumado" in e["text"]]
    assert len(added) == 1 and stage.bot.messages.money(order.total, "es") in added[0]["text"]

    await stage.pay(preference_id=order.preference_id)
    thanks = await until(
        lambda: [e for e in stage.sent(group) if order.code in e["text"] and "Gracias" in e["text"]]
    )
    await stage.bot.wait_idle(quiet=0.3)
    assert len([e for e in stage.sent(group) if "Gracias" in e["text"]]) == len(thanks) == 1
    assert stage.store.get_order(order.code).status is OrderStatus.PAID
    taza = stage.store.get_product("TAZA-01").id
    assert _units(stage, "products", f"id = {taza}") == (0, 1)
    medium = next(v for v in stage.store.get_product("REM-VIVO").variants if v.key == "talle=M")
    assert _units(stage, "variants", f"id = {medium.id}") == (0, 1)


async def test_paying_the_superseded_link_keeps_the_money_and_the_cart(
    stage: TelegramStage, caplog: pytest.LogCaptureFixture
) -> None:
    group = stage.telegram.group_id
    beto, (first_link, _) = await _cart_of_two(stage)
    [order] = stage.store.viewer_orders("telegram", str(beto["id"]))
    old_preference = first_link.split("pref_id=")[-1]
    await stage.pay(preference_id=old_preference)
    told = await until(lambda: [e for e in stage.sent(beto["id"]) if "link anterior" in e["text"]])
    assert order.code in told[0]["text"]
    flagged = stage.store.get_order(order.code)
    assert flagged.status is OrderStatus.PENDING and flagged.needs_refund
    assert [p.effect for p in stage.store.payments_for(order.code)] == ["refund_needed"]
    assert not [e for e in stage.sent(group) if "Gracias" in e["text"]]
    owner = stage.bot.messages.t(
        "es",
        "refund_needed_superseded_owner",
        code=order.code,
        name="beto",
        amount=stage.bot.messages.money(stage.store.get_product("TAZA-01").price, "es"),
        total=stage.bot.messages.money(order.total, "es"),
    )
    assert owner in [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]

    await stage.pay(preference_id=order.preference_id)
    await until(lambda: [e for e in stage.sent(group) if "Gracias" in e["text"]])
    assert stage.store.get_order(order.code).status is OrderStatus.PAID
