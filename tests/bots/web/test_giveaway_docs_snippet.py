"""The snippet docs/live-selling.md gives viewers to check a draw, run as written against
a real draw served by the bot's public page."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bots.web import giveaways as giveaway_pages
from commerce.views import ViewerRef

DOC = Path(__file__).parents[3] / "docs" / "live-selling.md"


def snippet() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### How the draw can be checked") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "the Giveaways section lost its snippet"
    return found.group(1)


async def test_the_documented_snippet_recomputes_a_real_draw(store: Any) -> None:
    shown = store.giveaway_start(
        "TAZA", None, timedelta(minutes=5), platform="twitch", channel_id="c"
    )
    viewers = [
        ViewerRef("twitch", "41", "ana"),
        ViewerRef("telegram", "1002", "beto"),
        ViewerRef("discord", "77", "carla"),
        ViewerRef("youtube", "UCx", "dani"),
        ViewerRef("twitch", "42", "eli"),
    ]
    for viewer in viewers:
        assert store.giveaway_enter(viewer, "c").accepted
    drawn = store.giveaway_draw().changed[0]
    app = web.Application()
    giveaway_pages.setup(app, store)
    server = TestServer(app)
    await server.start_server()
    try:
        namespace: dict[str, Any] = {}
        exec(snippet(), namespace)  # exactly the documented code
        url = str(server.make_url(f"/giveaways/{shown.id}"))
        name = await asyncio.to_thread(namespace["check"], url, shown.commitment)
        assert drawn.winner is not None and name == drawn.winner.name
        try:
            await asyncio.to_thread(namespace["check"], url, "0" * 64)
        except AssertionError as refused:
            assert "not the seed" in str(refused)
        else:
            raise AssertionError("a wrong commitment passed")
    finally:
        await server.close()
