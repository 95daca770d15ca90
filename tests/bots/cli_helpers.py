"""Running the real `vivo` executable in a folder of its own, as an owner would."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

VIVO = Path(sys.executable).with_name("vivo")
ENV = {"MP_ACCESS_TOKEN": "TEST-owner", "MP_WEBHOOK_SECRET": "owner-secret"}


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


def vivo(
    workdir: Path, *argv: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> Ran:
    """`vivo ARGV` in `workdir` (its config.toml), the console's input closed unless given."""
    full_env = {**os.environ, **ENV, **(env or {})}
    done = subprocess.run(
        [str(VIVO), *argv],
        cwd=workdir,
        env=full_env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


_made: Path | None = None


def _made_once() -> Path:
    """A folder where the real `vivo init` and `vivo db upgrade` ran, once per test process:
    each test copies it rather than paying two more starts of the executable."""
    global _made
    if _made is None:
        folder = Path(tempfile.mkdtemp(prefix="vivo-owner-"))
        ran = vivo(folder, "init")
        assert ran.code == 0, ran.err
        ran = vivo(folder, "db", "upgrade")
        assert ran.code == 0, ran.err
        # the schema may still be in the write-ahead log: into the file, which alone is copied
        with contextlib.closing(sqlite3.connect(folder / "vivo.db")) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _made = folder
    return _made


def owner_config(workdir: Path, database_url: str | None = None) -> Path:
    """`vivo init`'s example, on a free web port, with MercadoPago pointed at a closed local
    port (nothing here talks to the internet; payments simply wait)."""
    config = workdir / "config.toml"
    shutil.copyfile(_made_once() / "config.toml", config)
    text = config.read_text(encoding="utf-8").replace("port = 8080", "port = 0", 1)
    text = text.replace(
        '# endpoint = "http://127.0.0.1:8765/mercadopago"',
        'endpoint = "http://127.0.0.1:9/mercadopago"  #',
        1,
    )
    if database_url is not None:
        text = text.replace(
            'database_url = "sqlite:///vivo.db"', f'database_url = "{database_url}"', 1
        )
    config.write_text(text, encoding="utf-8")
    return config


def owner_shop(workdir: Path) -> Path:
    """`owner_config` with its SQLite store already upgraded, as `vivo db upgrade` leaves it."""
    config = owner_config(workdir)
    shutil.copyfile(_made_once() / "vivo.db", workdir / "vivo.db")
    return config
