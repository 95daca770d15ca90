"""`python -m sandbox`: the command line starts every stand-in where it was told to."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_port_option_is_the_port_it_listens_on() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.strip() == f"sandbox listening on http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/health") as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
