"""The `vivo` executable as an owner first meets it: `check`, then `run`.

Every test here runs the installed `vivo` script in a subprocess, with its real terminal
streams, so what is asserted is what the owner reads.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bots.chat.i18n import Messages
from sandbox.app import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "config.example.toml"
VIVO = str(Path(sys.executable).parent / "vivo")
MP_TOKEN = "APP_USR-1234567890-startup-test-token"
MP_SECRET = "startup-webhook-secret-value"


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: MercadoPago, down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port another program is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MP_", "TELEGRAM_"))}
    return {**env, "MP_ACCESS_TOKEN": MP_TOKEN, "MP_WEBHOOK_SECRET": MP_SECRET, **extra}


def write_config(workdir: Path, mp_endpoint: str, *replacements: tuple[str, str]) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        '# endpoint = "http://127.0.0.1:8765/mercadopago"', f'endpoint = "{mp_endpoint}"'
    )
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = workdir / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def vivo(
    workdir: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIVO, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=workdir,
        env=environment(**env),
    )


# ---------------------------------------------------------------------------- vivo check

OWNER_MISTAKES = [
    ("reservation_minutes = 15", "reservaton_minutes = 15", "store.reservaton_minutes"),
    ('prefix = "!"', 'prefx = "!"', "bot.prefx"),
    ('price = "8500"\nstock = 20', 'price = "8500"\nstok = 20', "products[TAZA-01].stok"),
    ("port = 8080", "port = 99999", "web.port"),
    (
        'enabled = false\ntoken = "env:DISCORD_TOKEN"',
        'enabled = "yes"\ntoken = ""',
        "platforms.discord.enabled",
    ),
    (
        'access_token = "env:MP_ACCESS_TOKEN"',
        "access_token = 123456789012",
        "payments.mercadopago.access_token",
    ),
]


def test_check_reports_every_mistake_at_once(tmp_path: Path, closed_port: int) -> None:
    write_config(
        tmp_path,
        f"http://127.0.0.1:{closed_port}",
        *((old, new) for old, new, _ in OWNER_MISTAKES),
    )
    done = vivo(tmp_path, "check")
    assert done.returncode == 2, done.stderr
    assert "is valid" not in done.stdout
    # one header naming the file, then one line per problem: the key, what is wrong, the fix
    header, *lines = done.stderr.strip().splitlines()
    assert header == f"config.toml has {len(lines)} problems:"
    keys = [key for _, _, key in OWNER_MISTAKES] + ["platforms.discord.token"]
    for key in keys:
        line = next((line for line in lines if line.startswith(f"  - {key}: ")), None)
        assert line is not None, (key, done.stderr)
        assert " — " in line  # every problem carries its fix
    assert "did you mean reservation_minutes?" in done.stderr
    assert "did you mean stock?" in done.stderr
    assert "123456789012" not in done.stderr  # a secret's value is never printed
    assert "Traceback" not in done.stderr


def test_check_names_the_sign_in_once(tmp_path: Path, closed_port: int) -> None:
    write_config(
        tmp_path,
        f"http://127.0.0.1:{closed_port}",
        ('enabled = false\nchannel = "tu_canal"', 'enabled = true\nchannel = "tu_canal"'),
    )
    done = vivo(tmp_path, "check", TWITCH_CLIENT_ID="cid", TWITCH_CLIENT_SECRET="csecret-value")
    assert done.returncode == 2
    assert done.stderr.count("vivo auth twitch") == 1, done.stderr
    assert "docs/platforms/twitch.md" in done.stderr
    assert done.stderr.startswith("config.toml has 1 problem:")


# ---------------------------------------------------------------------------- vivo run


def test_a_busy_port_names_the_setting(tmp_path: Path, closed_port: int, held_port: int) -> None:
    write_config(
        tmp_path, f"http://127.0.0.1:{closed_port}", ("port = 8080", f"port = {held_port}")
    )
    done = vivo(tmp_path, "run")
    assert done.returncode == 2
    assert f"127.0.0.1:{held_port} is already in use" in done.stderr
    assert "set [web] port in config.toml" in done.stderr
    assert "Traceback" not in done.stderr and "Errno" not in done.stderr


@pytest.mark.parametrize("flag", ["--web-port", "--sandbox-port"])
def test_the_demo_names_its_flag_for_a_busy_port(tmp_path: Path, held_port: int, flag: str) -> None:
    done = vivo(tmp_path, "demo", flag, str(held_port))
    assert done.returncode == 2
    assert f"pass another {flag}" in done.stderr and "already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_prints_what_to_open(tmp_path: Path, closed_port: int) -> None:
    write_config(tmp_path, f"http://127.0.0.1:{closed_port}", ("port = 8080", "port = 0"))
    done = vivo(tmp_path, "run", stdin="!tienda\n")
    assert done.returncode == 0, done.stderr
    web = re.search(r"Web app:\s+(http://127\.0\.0\.1:\d+)", done.stderr)
    assert web, done.stderr
    assert f"Overlay (OBS):  {web[1]}/overlay   try ?layout=" in done.stderr
    assert f"QR buy pages:   {web[1]}/c/<sku>" in done.stderr
    assert "Payments:       polled from MercadoPago" in done.stderr
    assert f"Log:            {tmp_path.resolve() / '.vivo' / 'vivo.log'}" in done.stderr


def test_run_with_a_public_url_says_webhooks(tmp_path: Path, closed_port: int) -> None:
    write_config(
        tmp_path,
        f"http://127.0.0.1:{closed_port}",
        ("port = 8080", "port = 0"),
        ('public_url = ""', 'public_url = "https://tienda.example.com"'),
    )
    done = vivo(tmp_path, "run")
    assert done.returncode == 0, done.stderr
    assert "QR buy pages:   https://tienda.example.com/c/<sku>" in done.stderr
    assert "webhook at https://tienda.example.com/webhooks/mercadopago" in done.stderr


def until_file(path: Path, pattern: str, count: int, proc: subprocess.Popen[str]) -> str:
    """Wait for `count` lines matching `pattern` in a log the bot writes (or for it to die)."""
    deadline = time.monotonic() + 90
    text = ""
    while time.monotonic() < deadline and proc.poll() is None:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if len(re.findall(pattern, text)) >= count:
            return text
        time.sleep(0.2)
    raise AssertionError(f"never saw {count}× {pattern!r} in {path}:\n{text}")


def test_an_outage_leaves_the_console_chat_readable(tmp_path: Path, closed_port: int) -> None:
    """MercadoPago is down: the viewer hears the link is on its way; the terminal gets one
    notice, the log file gets every warning."""
    write_config(tmp_path, f"http://127.0.0.1:{closed_port}", ("port = 8080", "port = 0"))
    proc = subprocess.Popen(
        [VIVO, "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=environment(),
    )
    assert proc.stdin is not None
    proc.stdin.write("!comprar taza\n")
    proc.stdin.flush()
    log_file = tmp_path / ".vivo" / "vivo.log"
    logged = until_file(log_file, r" WARNING ", 4, proc)
    out, err = proc.communicate("", timeout=60)
    assert proc.returncode == 0, err
    delayed = Messages().t("es", "link_delayed", name="ana")
    assert delayed in out
    assert "WARNING" not in err and "http://127.0.0.1:" + str(closed_port) not in err
    notices = [line for line in err.splitlines() if line.startswith("[vivo warning]")]
    assert len(notices) == 1, err
    assert str(log_file) in notices[0]
    assert "payment link for" in logged and "delayed" in logged


# ---------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("console", [True, False], ids=["log-file", "stderr"])
async def test_no_secret_reaches_any_log_line(tmp_path: Path, console: bool) -> None:
    """`vivo -v run` with Telegram on its stand-in: httpx logs every Bot API URL (which holds
    the token) and python-telegram-bot its base URL; none of them shows a secret."""
    sandbox = Sandbox(SandboxConfig(mp_webhook_secret=MP_SECRET, mp_access_token=MP_TOKEN))
    await sandbox.start()
    try:
        token = sandbox.telegram.token
        write_config(
            tmp_path,
            f"{sandbox.url}/mercadopago",
            ("port = 8080", "port = 0"),
            (
                "[platforms.console]\nenabled = true",
                f"[platforms.console]\nenabled = {'true' if console else 'false'}",
            ),
            # the link at once, without the delivery questions first
            ("# ask_in_chat = true", "ask_in_chat = false"),
            (
                'enabled = false\ntoken = "env:TELEGRAM_TOKEN"',
                f'enabled = true\nendpoint = "{sandbox.url}/telegram"\n'
                'token = "env:TELEGRAM_TOKEN"',
            ),
        )
        proc = await asyncio.create_subprocess_exec(
            VIVO,
            "-v",
            "run",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
            env=environment(TELEGRAM_TOKEN=token),
        )
        assert proc.stdin is not None and proc.stderr is not None
        errors = asyncio.ensure_future(proc.stderr.read())
        log_file = tmp_path / ".vivo" / "vivo.log"
        async with aiohttp.ClientSession() as http:
            # a viewer buys on Telegram: sends, and MercadoPago calls with the access token
            deadline = asyncio.get_running_loop().time() + 120  # bounds a hang only
            sent: list[dict[str, object]] = []
            await http.post(
                f"{sandbox.url}/_sandbox/telegram/say",
                json={"user": "ana", "text": "/comprar taza", "chat": "private"},
            )
            while asyncio.get_running_loop().time() < deadline:
                sent = await (await http.get(f"{sandbox.url}/_sandbox/telegram/sent")).json()
                if sandbox.mercadopago.preferences and any("mercadopago" in str(m) for m in sent):
                    break  # MercadoPago was called with the token and the link went out
                await asyncio.sleep(0.1)
            assert any("mercadopago" in str(m) for m in sent), sent
        proc.stdin.close()
        if not console:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 60)
        err = await errors
        logged = log_file.read_text(encoding="utf-8") if console else err.decode()
    finally:
        await sandbox.stop()
    text = logged + err.decode()
    # the lines are there…
    assert "httpx" in logged and "/bot***/getUpdates" in logged
    assert "Set Bot API URL: " in logged
    for secret in (token, token.split(":", 1)[1], MP_TOKEN, MP_SECRET):
        assert secret not in text  # …without the secret
