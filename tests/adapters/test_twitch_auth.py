"""`vivo auth twitch`: the device code flow against the stand-in, and token storage."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

from adapters.twitch_auth import BOT_SCOPES, Tokens, device_login, load_tokens, save_tokens
from sandbox.twitch import TwitchStandIn
from tests.adapters.twitch_support import running, until


async def test_device_login_returns_the_approving_users_tokens() -> None:
    async with running(TwitchStandIn(device_interval=1)) as rig:
        shown: list[str] = []
        login = asyncio.create_task(
            device_login(rig.twitch.client_id, BOT_SCOPES, rig.endpoint, print=shown.append)
        )
        await until(lambda: shown)
        user_code = next(g.user_code for g in rig.twitch.devices.values())
        assert user_code in shown[0]
        await rig.control("POST", "activate", {"user_code": user_code, "user": "vivobot"})
        tokens = await asyncio.wait_for(login, 10)
        assert tokens.user_id == rig.twitch.bot.id and tokens.login == "vivobot"
        assert tokens.scopes == BOT_SCOPES
        assert rig.twitch.tokens[tokens.access_token].user_id == rig.twitch.bot.id


def test_tokens_are_stored_per_role_and_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "twitch.json"
    bot = Tokens("a1", "r1", ("user:bot",), "2", "vivobot")
    owner = Tokens("a2", "r2", ("channel:bot",), "1", "vivotienda")
    save_tokens(path, "bot", bot)
    save_tokens(path, "broadcaster", owner)
    assert load_tokens(path) == {"bot": bot, "broadcaster": owner}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_tokens(tmp_path / "missing.json") == {}
