"""Four real `vivo run` processes on one PostgreSQL store, with the sandbox on loopback.

A (`--only twitch --no-web`) hears a buyer and sends the link; the buyer pays; MercadoPago's webhook
reaches B (`--web-only`), which records the payment; A, and only A, thanks the buyer in
Twitch, once; B's overlay shows the alert. C (`--only discord --no-web`) and D
(`--only telegram --no-web`) run the other platforms. Then the process that leads the
background duties is killed with SIGKILL, and another one expires reservations instead.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import create_engine, text

from adapters.twitch_auth import BOT_SCOPES, BROADCASTER_SCOPES, Tokens, save_tokens
from bots.runtime.leases import DUTIES, LEASE_CLASS, lease_key
from bots.testing import pay
from commerce.db import normalize_url
from commerce.store import Store
from commerce.views import OrderStatus
from sandbox.app import Sandbox, SandboxConfig
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parents[2]
SECRET = "scale-secret"
TOKEN = "TEST-scale-token"


class VivoProcess:
    """One `vivo run` with its own arguments and log file."""

    def __init__(self, name: str, config: Path, *args: str) -> None:
        self.name = name
        self.config = config
        self.args = args
        self.log = config.parent / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("w") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bots.cli",
                "run",
                "--config",
                str(self.config),
                *self.args,
                cwd=ROOT,
                stdout=out,
                stderr=out,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    async def started(self) -> None:
        assert self.proc is not None
        for _ in range(2400):  # 120 s: bounds a start that hangs, on a loaded machine
            if re.search(r"Web app:", self.log.read_text()):
                return
            if self.proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not start:\n{self.log.read_text()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(sig)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def eventually(check: object, what: str, seconds: float = 40.0) -> object:
    for _ in range(int(seconds / 0.1)):
        found = await asyncio.to_thread(check)  # type: ignore[arg-type]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def web_port() -> int:
    return _free_port()


@pytest.fixture
async def sandbox(web_port: int) -> AsyncIterator[Sandbox]:
    """MercadoPago's webhooks go to B, the one process that serves the web."""
    config = SandboxConfig(
        mp_webhook_secret=SECRET,
        mp_access_token=TOKEN,
        mp_webhook_retry_delay=0.05,
        mp_webhook_url=f"http://127.0.0.1:{web_port}/webhooks/mercadopago",
    )
    async with Sandbox(config) as running:
        yield running


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database("vivo_scale") as url:
        yield url


def _config(tmp_path: Path, sandbox: Sandbox, url: str, web_port: int) -> Path:
    twitch = sandbox.twitch
    tokens = tmp_path / ".vivo" / "twitch-tokens.json"
    for role, login, scopes in (
        ("bot", twitch.bot.login, BOT_SCOPES),
        ("broadcaster", twitch.broadcaster.login, BROADCASTER_SCOPES),
    ):
        minted = twitch.mint(login, scopes)
        save_tokens(tokens, role, Tokens(minted.access, minted.refresh or ""))
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[store]
name = "Escala"
database_url = "{url}"
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


def _duty_holder(url: str) -> int | None:
    """The pid of the `vivo run` whose lease connection holds the duties' advisory lock."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            name = conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                    "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = :c AND l.objid = :o"
                ),
                {"c": LEASE_CLASS, "o": lease_key(DUTIES) & 0xFFFFFFFF},
            ).scalar()
    finally:
        engine.dispose()
    return int(name.rsplit("-", 1)[1]) if name else None


async def _say(sandbox: Sandbox, user: str, words: str) -> None:
    url = f"{sandbox.url}/_sandbox/twitch/say"
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json={"user": user, "text": words}) as response,
    ):
        assert response.status < 400, await response.text()


def _twitch_said(sandbox: Sandbox, *words: str) -> list[str]:
    return [
        m["message"]
        for m in sandbox.twitch.sent
        if m.get("is_sent") and all(w.lower() in m["message"].lower() for w in words)
    ]


async def _overlay_alert(web: str, code_words: tuple[str, ...], ready: asyncio.Event) -> str:
    """Read B's overlay stream until an alert carrying every word arrives."""
    async with aiohttp.ClientSession() as http, http.get(f"{web}/overlay/events") as response:
        ready.set()
        event = ""
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif (
                line.startswith("data:")
                and event == "alert"
                and all(w.lower() in line.lower() for w in code_words)
            ):
                return line
    raise AssertionError("the overlay stream ended")


async def test_four_processes_share_one_store(
    tmp_path: Path, sandbox: Sandbox, database: str, web_port: int
) -> None:
    config = _config(tmp_path, sandbox, database, web_port)
    a = VivoProcess("a", config, "--only", "twitch", "--no-web")
    b = VivoProcess("b", config, "--web-only")
    c = VivoProcess("c", config, "--only", "discord", "--no-web")
    d = VivoProcess("d", config, "--only", "telegram", "--no-web")
    everyone = (a, b, c, d)
    try:
        for process in everyone:
            await process.start()
        for process in everyone:
            await process.started()
        store = Store(database)
        web = f"http://127.0.0.1:{web_port}"

        # A buyer on Twitch; A answers with the link.
        await eventually(lambda: sandbox.twitch.subscriptions, "A subscribes to Twitch chat")
        await _say(sandbox, "ana", "!comprar taza")
        ana = sandbox.twitch.user("ana")
        orders = await eventually(
            lambda: store.viewer_orders("twitch", ana.id), "ana's order is reserved"
        )
        [order] = orders  # type: ignore[misc]
        await eventually(lambda: _twitch_said(sandbox, "@ana", order.code, "http"), "the link")

        # B's overlay is open; the buyer pays; the webhook goes to B.
        ready = asyncio.Event()
        alert = asyncio.ensure_future(asyncio.wait_for(_overlay_alert(web, ("ana",), ready), 40))
        await asyncio.wait_for(ready.wait(), 10)
        payment = await pay(sandbox, order.code)
        await eventually(
            lambda: store.get_order(order.code).status is OrderStatus.PAID, "the order is paid"
        )
        thanks = await eventually(
            lambda: _twitch_said(sandbox, "gracias", "@ana", order.code), "ana is thanked"
        )
        assert "ana" in await alert
        received = await eventually(  # B received the webhook and kept it
            lambda: [
                n for n in store.recent_notifications() if n.resource_id == str(payment["id"])
            ],
            "B keeps the webhook",
        )
        assert received
        await asyncio.sleep(2.0)  # every process has had its chance to thank her again
        assert _twitch_said(sandbox, "gracias", "@ana", order.code) == thanks
        assert len(thanks) == 1  # type: ignore[arg-type]

        # SIGKILL the process that leads the duties; another expires reservations.
        await _say(sandbox, "beto", "!comprar taza")
        beto = sandbox.twitch.user("beto")
        [pending] = await eventually(  # type: ignore[misc]
            lambda: store.viewer_orders("twitch", beto.id), "beto's order is reserved"
        )
        leader = await eventually(lambda: _duty_holder(database), "someone leads the duties")
        [killed] = [p for p in everyone if p.pid == leader]
        await killed.stop(signal.SIGKILL)
        engine = create_engine(normalize_url(database))
        with engine.begin() as conn:  # its reservation is past due now
            conn.execute(
                text("UPDATE orders SET expires_at = now() - interval '1 second' WHERE code = :c"),
                {"c": pending.code},
            )
        engine.dispose()
        await eventually(
            lambda: store.get_order(pending.code).status is OrderStatus.EXPIRED,
            "another process expires the reservation",
            seconds=30,
        )
        successor = await eventually(lambda: _duty_holder(database), "a new leader")
        assert successor != leader
        assert successor in {p.pid for p in everyone if p is not killed}
        store.close()
    finally:
        for process in everyone:
            await process.stop()
