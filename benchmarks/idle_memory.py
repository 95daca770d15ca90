"""Idle memory: one `vivo run` with Twitch, YouTube, Discord and Telegram connected.

The sandbox runs in this process; the bot is a real `python -m bots.cli run` child on a
fresh SQLite store, so its resident memory is the bot's alone. Once `/metrics` says all four
platforms are connected, the bot idles for `--idle` seconds and its RSS is read from
/proc. The last line is one JSON object: platforms_connected, rss_mb, peak_rss_mb,
target_mb (150).

    python benchmarks/idle_memory.py [--idle 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, Tokens, save_tokens
from sandbox.app import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parent.parent
SECRET = "idle-memory-secret"
TOKEN = "TEST-idle-memory"
YOUTUBE_TOKEN = "sandbox-youtube-token"
PLATFORMS = ("twitch", "youtube", "discord", "telegram")
TARGET_MB = 150


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def write_config(workdir: Path, sandbox: Sandbox, web_port: int) -> Path:
    twitch = sandbox.twitch
    for role, login, scopes in (
        ("bot", twitch.bot.login, BOT_SCOPES),
        ("broadcaster", twitch.broadcaster.login, BROADCASTER_SCOPES),
    ):
        minted = twitch.mint(login, scopes)
        save_tokens(
            workdir / ".vivo" / "twitch-tokens.json",
            role,
            Tokens(minted.access, minted.refresh or ""),
        )
    (workdir / ".vivo" / "youtube-token.json").write_text(
        json.dumps(
            {
                "token": YOUTUBE_TOKEN,
                "refresh_token": "sandbox-youtube-refresh",
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
                "token_uri": f"{sandbox.url}/youtube/token",
                "expiry": "2099-01-01T00:00:00Z",
            }
        )
    )
    config = workdir / "config.toml"
    config.write_text(
        f"""
[store]
name = "Memoria"
database_url = "sqlite:///{workdir / "idle.db"}"
[web]
port = {web_port}
[payments.mercadopago]
access_token = "{TOKEN}"
webhook_secret = "{SECRET}"
endpoint = "{sandbox.url}/mercadopago"
[platforms.twitch]
enabled = true
channel = "{twitch.broadcaster.login}"
client_id = "{twitch.client_id}"
client_secret = "{twitch.client_secret}"
endpoint = "{sandbox.url}/twitch"
[platforms.youtube]
enabled = true
endpoint = "{sandbox.url}/youtube"
[platforms.discord]
enabled = true
token = "sandbox-discord-token"
endpoint = "{sandbox.url}/discord"
[platforms.telegram]
enabled = true
token = "{sandbox.telegram.token}"
endpoint = "{sandbox.url}/telegram"
[[products]]
sku = "TAZA"
name = "Taza"
price = "8500"
stock = 5
"""
    )
    return config


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of `pid`, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def connected(web_url: str) -> set[str]:
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{web_url}/metrics") as response:
            text = await response.text()
    except aiohttp.ClientError:
        return set()
    return {
        sample.labels["platform"]
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "vivo_platform_connected" and sample.value == 1
    }


async def measure(idle: float, timeout: float) -> dict[str, object]:
    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=SECRET, mp_access_token=TOKEN))
    await sandbox.start()
    try:
        with tempfile.TemporaryDirectory(prefix="vivo-idle-") as tmp:
            workdir = Path(tmp)
            (workdir / ".vivo").mkdir()
            port = free_port()
            config = write_config(workdir, sandbox, port)
            log = (workdir / "bot.log").open("w")
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bots.cli",
                "run",
                "--config",
                str(config),
                cwd=ROOT,
                stdout=log,
                stderr=log,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            try:
                web_url = f"http://127.0.0.1:{port}"
                deadline = time.monotonic() + timeout
                up: set[str] = set()
                while time.monotonic() < deadline and proc.returncode is None:
                    up = await connected(web_url)
                    if up >= set(PLATFORMS):
                        break
                    await asyncio.sleep(0.5)
                if not up >= set(PLATFORMS):
                    raise SystemExit(
                        f"not all platforms connected ({sorted(up)}):\n"
                        + (workdir / "bot.log").read_text()[-3000:]
                    )
                await asyncio.sleep(idle)
                current, peak = rss_mb(proc.pid)
            finally:
                proc.terminate()
                await proc.wait()
                log.close()
    finally:
        await sandbox.stop()
    return {
        "platforms_connected": len(up & set(PLATFORMS)),
        "rss_mb": round(current, 1),
        "peak_rss_mb": round(peak, 1),
        "target_mb": TARGET_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args()
    result = asyncio.run(measure(args.idle, args.timeout))
    print(
        f"vivo run, {result['platforms_connected']} platforms connected, idle {args.idle:.0f} s: "
        f"RSS {result['rss_mb']} MB (peak {result['peak_rss_mb']} MB; target ≤ {TARGET_MB} MB)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
