"""Claim words end to end on two platforms: real twitchio and real PTB against the
stand-ins, the router, the store and the MercadoPago SDK.

The owner turns claim words on and spotlights the remera from the Telegram group; a
Twitch viewer types `quiero M` (three times, one unit), a Telegram viewer types just `L`
and pays; chatter stays silent; `/palabras off` makes `M` plain chat again. In a Telegram
group the bot must read every message (privacy mode off in BotFather): the stand-in
plays that setting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots.testing import until
from commerce.store import Store
from commerce.views import OrderStatus
from tests.adapters.two_chats import TwoChats, two_chats


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TwoChats]:
    async with two_chats(tmp_path) as whole:
        whole.sandbox.telegram.privacy_mode = False  # the bot reads the whole group
        yield whole


def _left(store: Store, talle: str) -> int:
    remera = store.get_product("REM-VIVO")
    return next(v.available for v in remera.variants if v.options.get("talle") == talle)


async def test_claim_words_across_twitch_and_telegram(stage: TwoChats) -> None:
    telegram: Any = stage.sandbox.telegram
    group = telegram.group_id
    m_before, l_before = _left(stage.store, "M"), _left(stage.store, "L")
    telegram.say("beto", "/start", chat="private")  # beto has opened the bot before
    beto = telegram.user("beto")

    await stage.twitch("ana", "quiero M")  # off by default: plain chat
    telegram.say("lu", "/palabras on", role="creator")
    await until(lambda: stage.telegram_said(group, "encendidas", "no hay nada destacado"))
    telegram.say("lu", "/destacar remera", role="creator")
    await until(lambda: stage.telegram_said(group, "Remera"))
    assert stage.store.spotlight() == "REM-VIVO"

    for _ in range(3):  # excited: the same claim three times in a row
        await stage.twitch("ana", "quiero M")
    await until(lambda: stage.twitch_said("@ana", "Reservado"))
    ana = stage.sandbox.twitch.user("ana").id
    [order] = await until(lambda: stage.store.viewer_orders("twitch", ana))
    assert [(line.variant_key, line.quantity) for line in order.lines] == [("talle=M", 1)]
    assert _left(stage.store, "M") == m_before - 1

    telegram.say("beto", "L")  # a size alone, in the group
    [link] = await until(lambda: stage.telegram_said(beto["id"], "http"))
    [bought] = stage.store.viewer_orders("telegram", str(beto["id"]))
    assert bought.code in link and _left(stage.store, "L") == l_before - 1
    assert stage.telegram_said(group, "Reservado", "Remera")
    await stage.pay(bought.code)
    await until(lambda: stage.store.get_order(bought.code).status is OrderStatus.PAID)

    said = len(stage.sandbox.telegram.sent)
    telegram.say("caro", "jajaja qué linda remera")  # chatter: never a reply
    telegram.say("lu", "/palabras off", role="creator")
    await until(lambda: stage.telegram_said(group, "apagadas"))
    telegram.say("caro", "M")
    await stage.twitch("dani", "quiero")
    telegram.say("lu", "/palabras", role="creator")
    await until(lambda: len(stage.telegram_said(group, "apagadas")) == 2)
    later = [e["text"] for e in stage.sandbox.telegram.sent[said:] if "text" in e]
    assert not [t for t in later if "caro" in t or "Reservado" in t]  # nothing for chatter
    assert not stage.twitch_said("dani")
    assert stage.store.viewer_orders("telegram", str(telegram.user("caro")["id"])) == []
    assert _left(stage.store, "M") == m_before - 1
    assert await stage.rig.violations() == []
