"""The running bot's buy page takes `[web] trusted_proxies` from config.toml."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from bots.runtime.demo import EXAMPLE
from bots.testing import RecordingAdapter, open_stage


async def _buy(web_url: str, visitor: str) -> int:
    page = f"{web_url}/c/STICK-PACK"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(page) as response:
            found = re.search(r'name=token value="([0-9a-f]+)"', await response.text())
            assert found is not None
        async with http.post(
            page,
            data={"name": "eva", "token": found.group(1)},
            headers={"X-Forwarded-For": visitor},
            allow_redirects=False,
        ) as response:
            return response.status


async def _statuses(tmp_path: Path, config_path: Path) -> list[int]:
    async with open_stage(
        tmp_path, lambda *_: [RecordingAdapter("twitch")], config_path=config_path
    ) as stage:
        return [await _buy(stage.web_url, f"203.0.113.{i}") for i in range(6)]


async def test_the_default_trusts_a_proxy_on_this_machine(tmp_path: Path) -> None:
    # six visitors behind a local proxy: each within their own budget
    assert await _statuses(tmp_path, EXAMPLE) == [303] * 6


async def test_with_no_trusted_proxy_forwarded_headers_count_for_nothing(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    text = re.sub(r"^trusted_proxies = .*$", "trusted_proxies = []", text, flags=re.M)
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    assert await _statuses(tmp_path, config) == [303] * 5 + [429]
