"""The whole bot runs a giveaway by itself: its clock duty draws when the time is up, the
platforms that took part hear the winner and the seed, the Discord winner is told
privately, YouTube's only by the mention (it has no private channel)."""

from __future__ import annotations

from pathlib import Path

from adapters.base import Role
from bots.testing import RecordingAdapter, open_stage, until
from commerce import giveaways


async def test_the_clock_draws_on_time_and_chats_hear_it(tmp_path: Path) -> None:
    youtube, discord = RecordingAdapter("youtube", "live"), RecordingAdapter("discord", "canal")
    async with open_stage(tmp_path, lambda *_: [youtube, discord]) as stage:
        await youtube.say("lu", "!sorteo taza 2s", role=Role.OWNER)
        await until(lambda: any("Sorteo de Taza" in r.text for r in youtube.sent))
        await discord.say("beto", "!participo")
        await until(lambda: discord.to("beto"))
        drawn = await until(
            lambda: (
                (g := stage.store.current_giveaway()) is not None
                and g.status == giveaways.DRAWN
                and g
            ),
            timeout=10,
        )
        assert drawn and drawn.winner is not None and drawn.winner.name == "beto"
        seed = drawn.seed_hex or ""
        await until(lambda: any("beto" in r.text and seed in r.text for r in youtube.sent))
        [_mention] = await until(  # the mention in the channel, with the seed
            lambda: [r for r in discord.to("beto") if seed in r.text and not r.private]
        )
        [private] = await until(lambda: [r for r in discord.to("beto") if r.private])
        assert drawn.order_code is not None and drawn.order_code in private.text
        assert not any(r.private for r in youtube.sent)
