"""`vivo run`'s wiring: each enabled [platforms.*] table becomes its real adapter."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from adapters.console import ConsoleAdapter
from adapters.discord import DiscordAdapter
from adapters.telegram import TelegramAdapter
from adapters.twitch import TwitchAdapter
from adapters.twitch_auth import Tokens, save_tokens
from bots.config import ConfigError, parse_config
from bots.runtime.launch import make_adapters

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"
ENV = {
    "MP_ACCESS_TOKEN": "TEST-x",
    "MP_WEBHOOK_SECRET": "s",
    "TELEGRAM_TOKEN": "123:abc",
    "DISCORD_TOKEN": "discord-token",
    "TWITCH_CLIENT_ID": "cid",
    "TWITCH_CLIENT_SECRET": "csecret",
}


def config_with(tmp_path: Path, **enabled: bool) -> Any:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for name, on in enabled.items():
        raw["platforms"][name]["enabled"] = on
    return parse_config(raw, ENV, path=tmp_path / "config.toml")


def test_each_enabled_platform_gets_its_adapter(tmp_path: Path) -> None:
    save_tokens(tmp_path / ".vivo" / "twitch-tokens.json", "bot", Tokens("bot-access", "r"))
    config = config_with(tmp_path, telegram=True, discord=True, twitch=True)
    adapters = make_adapters(config)
    kinds = {type(a) for a in adapters}
    assert kinds == {ConsoleAdapter, TelegramAdapter, DiscordAdapter, TwitchAdapter}


def test_missing_environment_secret_names_the_platform_key(tmp_path: Path) -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw["platforms"]["telegram"]["enabled"] = True
    env = {k: v for k, v in ENV.items() if k != "TELEGRAM_TOKEN"}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, env)
    keys = [p.key for p in info.value.problems]
    assert keys == ["platforms.telegram.token"]


def test_disabled_platforms_need_no_secrets(tmp_path: Path) -> None:
    env = {"MP_ACCESS_TOKEN": "TEST-x", "MP_WEBHOOK_SECRET": "s"}
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    config = parse_config(raw, env)
    assert config.enabled_platforms() == ["console"]


def test_twitch_without_stored_tokens_says_to_sign_in(tmp_path: Path) -> None:
    config = config_with(tmp_path, twitch=True)
    with pytest.raises(ConfigError) as info:
        make_adapters(config)
    text = str(info.value)
    assert "platforms.twitch" in text and "vivo auth twitch" in text


def test_youtube_without_a_token_says_to_sign_in(tmp_path: Path) -> None:
    config = config_with(tmp_path, youtube=True)
    with pytest.raises(ConfigError) as info:
        make_adapters(config)
    assert "vivo auth youtube" in str(info.value)


def test_stored_platform_tokens_are_known_secrets(tmp_path: Path) -> None:
    from bots.runtime.launch import stored_secrets

    save_tokens(tmp_path / ".vivo" / "twitch-tokens.json", "bot", Tokens("bot-access-x", "r-1"))
    assert stored_secrets(config_with(tmp_path, twitch=False)) == []
    assert set(stored_secrets(config_with(tmp_path, twitch=True))) == {"bot-access-x", "r-1"}
