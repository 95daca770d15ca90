"""What one `vivo run` runs (`--only`, `--web-only`, `--no-web`), and one process per SQLite
store."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from bots.config import ConfigError, parse_config
from bots.runtime.launch import Scope, make_adapters, single_process_guard

EXAMPLE = Path(__file__).resolve().parents[3] / "config.example.toml"
ENV = {
    "MP_ACCESS_TOKEN": "TEST-x",
    "MP_WEBHOOK_SECRET": "s",
    "TELEGRAM_TOKEN": "123:abc",
    "DISCORD_TOKEN": "discord-token",
}


def config_with(tmp_path: Path, database_url: str | None = None, **enabled: bool) -> Any:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for name, on in enabled.items():
        raw["platforms"][name]["enabled"] = on
    config = parse_config(raw, ENV, path=tmp_path / "config.toml")
    if database_url is not None:
        config = dataclasses.replace(config, database_url=database_url)
    return config


def test_only_keeps_the_named_platforms(tmp_path: Path) -> None:
    config = config_with(tmp_path, console=False, discord=True, telegram=True)
    adapters = make_adapters(config, scope=Scope(only=("discord",)))
    assert [type(a) for a in adapters] == [DiscordAdapter]
    assert make_adapters(config, scope=Scope(only=())) == []  # --web-only


def test_only_naming_a_platform_the_config_does_not_enable_says_which(tmp_path: Path) -> None:
    config = config_with(tmp_path, console=False, discord=True)
    with pytest.raises(ConfigError) as caught:
        Scope(only=("twitch",)).platforms(config)
    [problem] = caught.value.problems
    assert problem.key == "platforms.twitch"
    assert "--only" in str(problem) and "enabled = true" in str(problem)


def test_a_second_process_on_one_sqlite_store_is_refused_in_words(tmp_path: Path) -> None:
    config = config_with(tmp_path, database_url=f"sqlite:///{tmp_path / 'vivo.db'}")
    held = single_process_guard(config)
    assert held is not None
    with pytest.raises(ConfigError) as caught:
        single_process_guard(config)
    [problem] = caught.value.problems
    assert problem.key == "store.database_url"
    assert "PostgreSQL" in str(problem) and "docs/deploy.md" in str(problem)
    held.close()  # the first one stops: the next may start
    again = single_process_guard(config)
    assert again is not None
    again.close()


def test_postgresql_stores_take_any_number_of_processes(tmp_path: Path) -> None:
    config = config_with(tmp_path, database_url="postgresql://vivo@127.0.0.1/vivo")
    assert single_process_guard(config) is None
    assert single_process_guard(config) is None
