"""The bot's thank-you in chat repeats a tip's message only as the stream may show it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bots.testing import RecordingAdapter, open_stage


async def test_the_thanks_covers_filtered_words_and_drops_links(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        await chat.tip("ana", Decimal("3.00"), "USD", "sos un P.U.T.O, entrá a spam.com", "c-1")
        await stage.bot.wait_idle(quiet=0.2)
        [thanks] = [r for r in chat.to("ana") if "Gracias" in r.text]
        assert thanks.text.endswith("💜 sos un ***, entrá a")
        assert "spam.com" not in thanks.text and "P.U.T.O" not in thanks.text


async def test_a_held_message_is_never_said_in_chat(tmp_path: Path) -> None:
    chat = RecordingAdapter()
    async with open_stage(tmp_path, lambda *_: [chat]) as stage:
        stage.store.save_moderation_settings("hold", "off", None)
        await chat.tip("ana", Decimal("3.00"), "USD", "qué mierda", "c-2")
        await stage.bot.wait_idle(quiet=0.2)
        [thanks] = [r for r in chat.to("ana") if "Gracias" in r.text]
        assert "mierda" not in thanks.text
        [held] = stage.store.held_alerts()
        assert held.kind == "tip" and held.reason == "words"
