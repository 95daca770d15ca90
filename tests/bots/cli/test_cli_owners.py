"""`vivo owners list|remove`, through the real executable, as an owner would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from commerce.store import Store

ENV = {"MP_ACCESS_TOKEN": "TEST-cli", "MP_WEBHOOK_SECRET": "cli-secret"}


def vivo(workdir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bots.cli", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=workdir,
        env={**os.environ, **ENV},
    )


def test_list_and_remove_the_owners_recorded_by_code(tmp_path: Path) -> None:
    assert vivo(tmp_path, "init").returncode == 0
    listed = vivo(tmp_path, "owners", "list")
    assert listed.returncode == 0, listed.stderr
    assert "No owner has claimed" in listed.stdout and "[bot.owners]" in listed.stdout

    store = Store(f"sqlite:///{tmp_path / 'vivo.db'}")
    store.add_owner("telegram", "4242", "Lu")
    store.close()
    listed = vivo(tmp_path, "owners", "list")
    assert "telegram" in listed.stdout and "4242" in listed.stdout and "Lu" in listed.stdout

    removed = vivo(tmp_path, "owners", "remove", "telegram", "4242")
    assert removed.returncode == 0 and "no longer an owner" in removed.stdout
    again = vivo(tmp_path, "owners", "remove", "telegram", "4242")
    assert again.returncode == 1 and "vivo owners list" in again.stderr
    assert "4242" not in vivo(tmp_path, "owners", "list").stdout


def test_owners_alone_shows_its_actions(tmp_path: Path) -> None:
    shown = vivo(tmp_path, "owners")
    assert shown.returncode == 2 and "list" in shown.stdout and "remove" in shown.stdout
