"""One auction across two platforms, end to end: real twitchio and real PTB against the
stand-ins, the router, the store, the auction clock duty and the MercadoPago SDK.

The owner opens it from the Telegram group; a Twitch viewer and a Telegram viewer bid
against each other; a bid too low is told what it needs in the bidder's chat; both chats
hear the leaders; `/subasta fin` sells it; the winner gets the link in their private chat
with the bot and pays; the auction is then sold, and the unit is sold once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots.testing import until
from commerce import auctions
from commerce.views import OrderStatus
from tests.adapters.two_chats import TwoChats, two_chats


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TwoChats]:
    async with two_chats(tmp_path) as whole:
        yield whole


async def test_an_auction_across_twitch_and_telegram(stage: TwoChats) -> None:
    telegram: Any = stage.sandbox.telegram
    group = telegram.group_id
    before = stage.store.get_product("TAZA-01").available
    telegram.say("beto", "/start", chat="private")  # beto has opened the bot before
    beto = telegram.user("beto")

    telegram.say("lu", "/subasta taza 5000 2m", role="creator")
    await until(lambda: stage.telegram_said(group, "Subasta", "Taza del stream"))
    assert stage.store.get_product("TAZA-01").available == before - 1

    await stage.twitch("ana", "!oferto 5000")
    await until(lambda: stage.twitch_said("ana", "va ganando", "5250"))
    await until(lambda: stage.telegram_said(group, "ana (Twitch) va ganando"))

    telegram.say("beto", "/oferto 5100")
    low = await until(lambda: stage.telegram_said(group, "hace falta al menos", "5250"))
    assert "ana" in low[0]

    telegram.say("beto", "/oferto 6000")
    await until(lambda: stage.twitch_said("beto (Telegram) va ganando", "6250"))

    await stage.twitch("ana", "!oferto 6000")  # the same amount, after beto's: too low
    await until(lambda: stage.twitch_said("@ana", "hace falta al menos", "6250"))

    telegram.say("lu", "/subasta fin", role="creator")
    await until(lambda: stage.twitch_said("Vendido", "beto"))
    await until(lambda: stage.telegram_said(group, "Vendido", "beto"))
    [link] = await until(lambda: stage.telegram_said(beto["id"], "ganaste"))
    [order] = stage.store.viewer_orders("telegram", str(beto["id"]))
    assert order.code in link and order.total.amount == 6000
    assert order.channel_id == str(group)

    await stage.pay(order.code)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
    sold = await until(
        lambda: (a := stage.store.current_auction()) is not None and a.status == auctions.SOLD
    )
    assert sold
    assert stage.store.get_product("TAZA-01").available == before - 1  # one unit, sold once
    recorded = stage.store.auction_bids(stage.store.current_auction().id)  # type: ignore[union-attr]
    assert [(b.name, b.platform, b.amount.amount, why) for b, why in recorded] == [
        ("ana", "twitch", 5000, None),
        ("beto", "telegram", 5100, "below_needed"),
        ("beto", "telegram", 6000, None),
        ("ana", "twitch", 6000, "below_needed"),
    ]
    assert await stage.rig.violations() == []
