"""Delivery on Twitch without a public URL: real twitchio against the stand-in.

Twitch has no private channel a bot may rely on (whispers are rationed and dropped), so
nobody can ask the buyer for an address before paying. The payment brings the payer's name
and email (MercadoPago's checkout asks them), the Store keeps them, and the thank-you is
followed by where to send the address: the contact the owner wrote in `[delivery]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.twitch import TwitchAdapter
from bots.config import Config
from bots.runtime.demo import EXAMPLE
from bots.testing import Stage, open_stage, until
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox
from tests.adapters.twitch_support import Rig

CONTACT = "WhatsApp +54 9 11 5555-0000"


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
    config = tmp_path / "config.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    config.write_text(text.replace("[delivery]\n", f'[delivery]\ncontact = "{CONTACT}"\n', 1))
    async with aiohttp.ClientSession() as http:

        async def twitch(config: Config, store: Store, sandbox: Sandbox) -> list[TwitchAdapter]:
            return [await Rig(sandbox.twitch, sandbox.url, http).adapter()]

        async with open_stage(tmp_path, twitch, config_path=config) as whole:
            assert whole.config.web.public_url is None
            yield TwitchStage(**vars(whole), rig=Rig(whole.sandbox.twitch, whole.sandbox.url, http))


async def test_a_purchase_without_a_public_url_records_the_payer_and_says_where_to_write(
    stage: TwitchStage,
) -> None:
    await stage.rig.control("POST", "say", {"user": "ana", "text": "!comprar remera M"})
    ana = stage.rig.twitch.user("ana")
    [order] = await until(lambda: stage.store.viewer_orders("twitch", ana.id))
    links = await until(lambda: stage.said("@ana", order.code, "http"))

    payer = {"email": "Ana.Paga@Example.com", "first_name": "Ana", "last_name": "Pérez"}
    await stage.pay(order.code, payer=payer)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
    follow_up = await until(lambda: stage.said("@ana", order.code, CONTACT))
    assert len(follow_up) == 1 and follow_up[0] not in links
    thanks = [m for m in stage.said("@ana", order.code, "Gracias") if m not in follow_up]
    assert len(thanks) == 1

    details = stage.store.delivery_details(order.code)
    assert details is not None and details.source == "payer"
    assert (details.name, details.contact) == ("Ana Pérez", "ana.paga@example.com")
    assert not stage.said("example.com")  # the payer's email never reaches the chat
    assert not stage.store.get_order(order.code).details_complete  # the address is still due


async def test_a_digital_purchase_gets_no_follow_up(stage: TwitchStage) -> None:
    await stage.rig.control("POST", "say", {"user": "beto", "text": "!comprar saludo"})
    beto = stage.rig.twitch.user("beto")
    [order] = await until(lambda: stage.store.viewer_orders("twitch", beto.id))
    await until(lambda: stage.said("@beto", order.code, "http"))
    await stage.pay(order.code, payer={"email": "beto@example.com"})
    await until(lambda: stage.said("@beto", order.code, "Gracias"))
    await stage.bot.wait_idle(quiet=0.3)
    assert not stage.said(CONTACT)
    assert stage.store.delivery_details(order.code) is None
