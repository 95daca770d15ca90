"""Waitlist and hold reminder on Telegram through the real PTB against the stand-in: a
sold-out `/comprar` offers an inline button; tapping it takes a place in line; when the
holder cancels, the unit is held for the one in line and its link arrives privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bots.testing import open_stage, until
from tests.adapters.test_telegram_e2e import TelegramStage, telegram


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TelegramStage]:
    async with open_stage(tmp_path, telegram, expiry_interval=0.2) as whole:
        whole.bot.services.conversations = None  # the link follows the purchase at once
        yield TelegramStage(**vars(whole))


async def test_a_freed_unit_goes_privately_to_the_first_in_line(stage: TelegramStage) -> None:
    tg, group = stage.telegram, stage.telegram.group_id
    stage.store.set_stock("TAZA-01", 1)
    for name in ("ana", "beto"):
        tg.say(name, "hola", chat="private")
    tg.say("ana", "/comprar taza")
    ana, beto = tg.user("ana"), tg.user("beto")
    await until(lambda: [e for e in stage.sent(ana["id"]) if "http" in e["text"]])

    tg.say("beto", "/comprar taza")
    offer = await until(
        lambda: next((e for e in stage.sent(group) if "avisame" in e["text"]), None)
    )
    [[button]] = offer["reply_markup"]["inline_keyboard"]
    tg.press("beto", button=button["text"])
    await until(lambda: stage.store.waitlist_places("telegram", str(beto["id"])))
    assert stage.store.waitlist_places("telegram", str(beto["id"]))[0].position == 1

    tg.say("ana", "/cancelar")
    held = await until(
        lambda: [e for e in stage.sent(beto["id"]) if "Taza" in e["text"] and "http" in e["text"]]
    )
    [order] = stage.store.viewer_orders("telegram", str(beto["id"]))
    assert order.code in held[0]["text"]
    assert not any(order.code in e["text"] for e in stage.sent(group))  # privately only
    assert stage.store.get_product("TAZA-01").available == 0


async def test_one_reminder_before_the_hold_expires(stage: TelegramStage) -> None:
    tg = stage.telegram
    tg.say("ceci", "hola", chat="private")
    tg.say("ceci", "/comprar taza")
    ceci = tg.user("ceci")
    await until(lambda: [e for e in stage.sent(ceci["id"]) if "http" in e["text"]])
    [order] = stage.store.viewer_orders("telegram", str(ceci["id"]))
    ttl = order.expires_at - order.created_at
    # The reminder window is the whole hold but one second: it comes on the next duty tick.
    stage.bot.config = _remind(stage, ttl - timedelta(seconds=1))
    wanted = f"tu pedido {order.code} vence"
    reminder = await until(lambda: [e for e in stage.sent(ceci["id"]) if wanted in e["text"]])
    await stage.bot.wait_idle(quiet=0.6)
    again = [e for e in stage.sent(ceci["id"]) if e["text"] == reminder[0]["text"]]
    assert len(again) == 1


def _remind(stage: TelegramStage, before: timedelta):  # type: ignore[no-untyped-def]
    import dataclasses

    settings = dataclasses.replace(stage.bot.config.settings, remind_before=before)
    return dataclasses.replace(stage.bot.config, settings=settings)
