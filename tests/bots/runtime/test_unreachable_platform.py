"""`vivo run` with one platform unreachable at start: one line says which and why, the
other platform serves meanwhile, and the missing one connects once it is up. Runs the real
`python -m bots.cli run` against stand-ins started here."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sandbox.app import Sandbox, SandboxConfig
from tests.bots.runtime.test_payments_restart import BotProcess, eventually

SECRET = "unreachable-secret"
TOKEN = "TEST-unreachable"
DISCORD_TOKEN = "sandbox-discord-token"


def closed_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def platform_sections(down: str, up_url: str, down_url: str, telegram_token: str) -> str:
    urls = {"telegram": up_url, "discord": up_url, down: down_url}
    return f"""
[platforms.telegram]
enabled = true
token = "{telegram_token}"
endpoint = "{urls["telegram"]}/telegram"
[platforms.discord]
enabled = true
token = "{DISCORD_TOKEN}"
endpoint = "{urls["discord"]}/discord"
"""


async def scrape(web_url: str) -> dict[tuple[str, str], float]:
    """`/metrics` of the running process, by (sample name, platform)."""
    async with aiohttp.ClientSession() as http, http.get(f"{web_url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, sample.labels.get("platform", "")): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def shop_reply(sandbox: Sandbox, platform: str) -> Callable[[], bool]:
    """Ask for `!tienda` on `platform`; a check that its answer came."""
    if platform == "telegram":
        sandbox.telegram.say("ana", "!tienda", chat="private")
        return lambda: any("Taza" in e["text"] for e in sandbox.telegram.sent)
    await sandbox.discord.say({"user": "ana", "text": "!tienda"})
    return lambda: any("Taza" in str(e.get("content")) for e in sandbox.discord.sent)


@pytest.mark.parametrize(("down", "up"), [("telegram", "discord"), ("discord", "telegram")])
async def test_one_platform_down_at_start(tmp_path: Path, down: str, up: str) -> None:
    port = closed_port()
    config = SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN)
    serving = Sandbox(config)
    later = Sandbox(config)  # plays the platform that is down, once it comes up
    await serving.start()
    try:
        telegram_token = (serving if up == "telegram" else later).telegram.token
        toml = tmp_path / "config.toml"
        toml.write_text(
            f"""
[store]
name = "Caida"
database_url = "sqlite:///{tmp_path / "vivo.db"}"
[web]
port = 0
[payments.mercadopago]
access_token = "{TOKEN}"
webhook_secret = "{SECRET}"
endpoint = "{serving.url}/mercadopago"
[[products]]
sku = "TAZA"
name = "Taza"
price = "8500"
stock = 3
"""
            + platform_sections(down, serving.url, f"http://127.0.0.1:{port}", telegram_token)
        )
        bot = BotProcess(toml, tmp_path / "bot.log")
        web_url = await bot.start()
        try:
            log = bot.log

            def said(pattern: str) -> Any:
                return re.search(pattern, log.read_text(), re.MULTILINE)

            where = rf"{down}: cannot connect to http://127\.0\.0\.1:{port}/{down} "
            await eventually(lambda: said(where), "the one-line report")
            line = said(where + r"\((?P<why>.+)\); retrying in \d+ s$")
            assert line is not None and "onnect" in line["why"]  # it says why
            assert "Traceback" not in log.read_text()
            assert bot.proc is not None and bot.proc.returncode is None  # still running

            answered = await shop_reply(serving, up)
            await eventually(answered, f"{up} answers !tienda while {down} is down")

            await later.start(port=port)
            await eventually(lambda: said(rf"{down}: connected"), f"{down} connects")
            answered = await shop_reply(later, down)
            await eventually(answered, f"{down} answers !tienda once it is up")
            assert "Traceback" not in log.read_text()
            metrics = await scrape(web_url)
            assert metrics[("vivo_connect_failures_total", down)] >= 1
            assert metrics[("vivo_reconnects_total", down)] == 1
            assert metrics[("vivo_reconnects_total", up)] == 0
            assert metrics[("vivo_platform_connected", down)] == 1
        finally:
            await bot.kill()
    finally:
        await later.stop()
        await serving.stop()
