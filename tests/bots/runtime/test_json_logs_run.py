"""`vivo run` with `[logging] format = "json"`: what it logs is one JSON object a line,
naming the platform it is about, with every secret masked."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.app import Sandbox, SandboxConfig
from tests.bots.runtime.test_payments_restart import BotProcess, eventually
from tests.bots.runtime.test_unreachable_platform import closed_port

SECRET = "json-logs-webhook-secret"
TOKEN = "TEST-json-logs-access-token"
TELEGRAM = "7000000001:AAH-json-logs-secret"


async def test_log_lines_are_json_objects_about_their_platform(tmp_path: Path) -> None:
    payments = Sandbox(SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN))
    await payments.start()
    port = closed_port()
    toml = tmp_path / "config.toml"
    toml.write_text(
        f"""
[store]
name = "Json"
database_url = "sqlite:///{tmp_path / "vivo.db"}"
[web]
port = 0
[logging]
format = "json"
[payments.mercadopago]
access_token = "{TOKEN}"
webhook_secret = "{SECRET}"
endpoint = "{payments.url}/mercadopago"
[platforms.telegram]
enabled = true
token = "{TELEGRAM}"
endpoint = "http://127.0.0.1:{port}/telegram"
[[products]]
sku = "TAZA"
name = "Taza"
price = "8500"
stock = 3
"""
    )
    bot = BotProcess(toml, tmp_path / "bot.log")
    try:
        await bot.start()

        def logged() -> list[dict[str, str]]:
            # stdout (the start-up summary, for people) shares the file: keep the log lines
            lines = bot.log.read_text().splitlines()
            return [json.loads(line) for line in lines if line.startswith("{")]

        def refused() -> list[dict[str, str]]:
            return [line for line in logged() if "cannot connect" in line["message"]]

        await eventually(refused, "the JSON line saying telegram is unreachable")
        line = refused()[0]
        assert line["level"] == "error" and line["logger"] == "bots.runtime.bot"
        assert line["platform"] == "telegram" and line["time"].endswith("+00:00")
        assert (
            TELEGRAM not in bot.log.read_text()
            and "AAH-json-logs-secret" not in bot.log.read_text()
        )
    finally:
        await bot.kill()
        await payments.stop()
