"""`vivo auth twitch`: the device-code sign-in of both accounts, against the Twitch stand-in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, load_tokens
from bots.cli.main import main
from sandbox.app import Sandbox

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"


async def test_signs_in_the_bot_then_the_broadcaster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Sandbox() as sandbox:
        twitch = sandbox.twitch
        twitch.device_interval = 1
        config = tmp_path / "config.toml"
        config.write_text(
            EXAMPLE.read_text(encoding="utf-8").replace(
                'tokens = ".vivo/twitch-tokens.json"',
                f'tokens = ".vivo/twitch-tokens.json"\nendpoint = "{sandbox.url}/twitch"',
            ),
            encoding="utf-8",
        )
        monkeypatch.setenv("MP_ACCESS_TOKEN", "TEST-auth")
        monkeypatch.setenv("TWITCH_CLIENT_ID", twitch.client_id)

        signing_in = asyncio.ensure_future(
            asyncio.to_thread(main, ["auth", "twitch", "--config", str(config)])
        )
        for login in (twitch.bot.login, twitch.broadcaster.login):
            while not (waiting := [g for g in twitch.devices.values() if g.user_id is None]):
                assert not signing_in.done(), capsys.readouterr()
                await asyncio.sleep(0.05)
            [grant] = waiting
            assert twitch.activate(grant.user_code, login)
        assert await asyncio.wait_for(signing_in, 30) == 0

    out = capsys.readouterr().out
    assert "Sign in as the BOT account" in out and "BROADCASTER" in out
    stored = load_tokens(tmp_path / ".vivo" / "twitch-tokens.json")
    assert set(stored) == {"bot", "broadcaster"}
    assert set(BOT_SCOPES) <= set(stored["bot"].scopes)
    assert set(BROADCASTER_SCOPES) <= set(stored["broadcaster"].scopes)
    assert stored["bot"].login == twitch.bot.login
    assert stored["broadcaster"].login == twitch.broadcaster.login
