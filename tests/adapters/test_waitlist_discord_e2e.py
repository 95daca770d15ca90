"""Waitlist on Discord through real discord.py against the stand-in: a sold-out `!comprar`
answers with an "Avísame" button; pressing it takes a place in line; when the holder
cancels, the freed unit is held for the one in line and its link reaches only them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.testing import until
from tests.adapters.test_discord_delivery import URL, World, discord_world, labels


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    async with discord_world(tmp_path, monkeypatch, expiry_interval=0.2) as whole:
        yield whole


async def test_the_button_takes_a_place_and_the_freed_unit_comes_privately(world: World) -> None:
    world.store.set_stock("TAZA-01", 1)
    await world.post(
        "slash", {"user": "ana", "command": "comprar", "options": {"producto": "taza"}}
    )
    ana = await until(lambda: world.discord.users.get("ana"))
    (first,) = await until(lambda: world.store.viewer_orders("discord", ana.id))
    await world.post(
        "slash", {"user": "beto", "command": "comprar", "options": {"producto": "taza"}}
    )
    offer = await until(lambda: [s for s in world.discord.sent if "Avísame" in labels(s)])
    assert offer
    await world.post("press", {"user": "beto", "label": "Avísame"})
    beto = await until(lambda: world.discord.users.get("beto"))
    await until(lambda: world.store.waitlist_places("discord", beto.id))

    world.store.cancel_order(first.code)
    (hold,) = await until(
        lambda: [o for o in world.store.viewer_orders("discord", beto.id) if o.payment_url]
    )
    told = await until(
        lambda: [
            s
            for s in world.discord.sent
            if hold.code in (s.get("content") or "") and URL.search(s.get("content") or "")
        ]
    )
    assert all(s.get("ephemeral") or s["kind"] == "dm" for s in told)
