"""Claim words on Discord through real discord.py against the stand-in: the guild's owner
turns them on and spotlights the remera with prefix commands; a viewer's plain `quiero M`
(twice) reserves one unit, with the link by DM or ephemeral; chatter gets no answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.testing import until
from tests.adapters.test_discord_delivery import URL, World, discord_world


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    async with discord_world(tmp_path, monkeypatch) as whole:
        yield whole


def _said(world: World, *words: str) -> list[str]:
    return [
        s.get("content") or ""
        for s in world.discord.sent
        if all(w.lower() in (s.get("content") or "").lower() for w in words)
    ]


def _left(world: World, talle: str) -> int:
    remera = world.store.get_product("REM-VIVO")
    return next(v.available for v in remera.variants if v.options.get("talle") == talle)


async def test_quiero_m_buys_the_spotlighted_remera_on_discord(world: World) -> None:
    before = _left(world, "M")
    await world.post("say", {"user": "lu", "text": "!palabras on", "role": "owner"})
    await until(lambda: _said(world, "encendidas"))
    await world.post("say", {"user": "lu", "text": "!destacar remera", "role": "owner"})
    await until(lambda: world.store.spotlight() == "REM-VIVO")

    await world.post("say", {"user": "ana", "text": "Quiero M"})
    await world.post("say", {"user": "ana", "text": "quiero M!!"})  # a repeat: ignored
    ana = await until(lambda: world.discord.users.get("ana"))
    (order,) = await until(lambda: world.store.viewer_orders("discord", ana.id))
    assert [(line.variant_key, line.quantity) for line in order.lines] == [("talle=M", 1)]
    told = await until(
        lambda: [
            s
            for s in world.discord.sent
            if order.code in (s.get("content") or "") and URL.search(s.get("content") or "")
        ]
    )
    assert all(s.get("ephemeral") or s["kind"] == "dm" for s in told)
    await until(lambda: _said(world, "Reservado", "Remera Vivo"))
    assert _left(world, "M") == before - 1

    sent = len(world.discord.sent)
    await world.post("say", {"user": "beto", "text": "qué linda la remera!"})
    await world.post("say", {"user": "lu", "text": "!palabras", "role": "owner"})
    await until(lambda: len(_said(world, "encendidas")) == 2)
    later = [s.get("content") or "" for s in world.discord.sent[sent:]]
    assert len(later) == 1 and "encendidas" in later[0]  # beto's chatter: no answer
