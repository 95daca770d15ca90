"""Engines tuned for the store's concurrency, and schema upgrades without an alembic.ini.

SQLite serves a single channel; every transaction there starts with BEGIN IMMEDIATE so a
transaction that reads then writes never fails half-way with "database is locked" (the
busy timeout makes writers queue instead). PostgreSQL needs nothing special: the store's
conditional UPDATEs and row locks are enough under READ COMMITTED.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Point plain `postgresql://` (and psycopg2-style) URLs at psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, checkpoint_apart: bool = False) -> Engine:
    """An engine for the store: SQLite in WAL with foreign keys on, or PostgreSQL on psycopg 3.

    `checkpoint_apart`: the caller runs a WalCheckpointer, so commits never checkpoint."""
    url = normalize_url(url)
    if not is_sqlite(url):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # Every user of a connection ends its own transaction (Sessions and Connections roll
        # back on close, the fast path commits or aborts), so the pool's extra ROLLBACK on
        # each check-in is pure cost on the reservation hot path.
        pool_reset_on_return=None,
        # Every transaction here begins IMMEDIATE, so SQLite admits one at a time anyway; one
        # pooled connection makes the others wait on the pool's queue, woken the moment it is
        # free, instead of in SQLite's busy handler, which sleeps in growing steps (up to
        # 100 ms) and made a flash sale's slowest replies many times its median.
        pool_size=1,
        max_overflow=0,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below own transaction control.
        dbapi_conn.isolation_level = None
        file_backed = make_url(url).database not in (None, "", ":memory:")
        configure_sqlite(dbapi_conn, file_backed=file_backed, checkpoint_apart=checkpoint_apart)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def configure_sqlite(
    dbapi_conn: Any,
    *,
    file_backed: bool,
    checkpoint_apart: bool,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> None:
    """The pragmas every store connection to SQLite runs with."""
    cursor = dbapi_conn.cursor()
    if file_backed:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    if checkpoint_apart:
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


def sqlite_connect_now(path: str, *, checkpoint_apart: bool) -> sqlite3.Connection:
    """A connection to the store's SQLite file that never waits for the write lock: a
    `BEGIN IMMEDIATE` while someone else writes fails at once ("database is locked")."""
    connection = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    configure_sqlite(
        connection, file_backed=True, checkpoint_apart=checkpoint_apart, busy_timeout_ms=0
    )
    return connection


_REVISION = re.compile(r"^(down_)?revision\b[^=]*=\s*(?:'([^']*)'|\"([^\"]*)\"|None)", re.M)
MIGRATE_URL_ENV = "VIVO_MIGRATE_URL"


def head_revision(directory: Path = MIGRATIONS_DIR / "versions") -> str:
    """The newest migration's id, read from the files themselves: knowing whether a database
    is up to date must not cost importing alembic (with mako and pygments, 12 MB that a
    long-running bot would then hold for nothing)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in directory.glob("*.py"):
        for down, single, double in _REVISION.findall(path.read_text(encoding="utf-8")):
            value = single or double
            if value:
                (parents if down else revisions).add(value)
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must form one line; heads: {sorted(heads)}")
    return heads.pop()


def schema_revision(url: str) -> str | None:
    """The revision the database at `url` is at; None when it has no schema yet."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT version_num FROM alembic_version")).first()
    except DBAPIError:
        return None
    finally:
        engine.dispose()
    return None if row is None else str(row[0])


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


class WalCheckpointer:
    """Copies SQLite's write-ahead log back into the database file from a thread of its own.

    Left to itself SQLite checkpoints inside the commit that fills the log past 1,000 pages:
    with a reservation writing about 13 pages, one `!comprar` in 80 paid several
    milliseconds for it (an fsync of the database file), the whole tail of the command's
    latency. A PASSIVE checkpoint every `every` seconds on its own connection waits for no
    one and blocks no writer; the log stays small.
    """

    def __init__(self, path: str, every: float = 1.0) -> None:
        self.path = path
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vivo-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def checkpoint(self, connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.every):
                try:
                    if connection is None:
                        connection = sqlite3.connect(
                            self.path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None
                        )
                    self.checkpoint(connection)
                except sqlite3.Error:
                    continue  # a busy or not-yet-created file: the next round tries again
        finally:
            if connection is not None:
                with contextlib.suppress(sqlite3.Error):
                    connection.close()


def upgrade(url: str, revision: str = "head", *, apart: bool = False) -> None:
    """Bring the database at `url` to `revision` (a fresh database gets the whole schema).

    A database already at head is left alone without loading alembic. With `apart` the
    migration runs in a short-lived child process, so that a long-running bot never carries
    alembic in memory; its errors are raised here all the same."""
    if revision == "head" and schema_revision(url) == head_revision():
        return
    if apart:
        _upgrade_in_child(url, revision)
        return
    from alembic import command

    _alembic(url, lambda config: command.upgrade(config, revision))


def _upgrade_in_child(url: str, revision: str) -> None:
    # The URL travels in the environment, not argv: `ps` shows argv to every local user.
    code = (
        "import os; from commerce.db import upgrade; "
        f"upgrade(os.environ[{MIGRATE_URL_ENV!r}], {revision!r})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, MIGRATE_URL_ENV: url},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(f"the schema upgrade failed: {lines[-1] if lines else done.returncode}")


def downgrade(url: str, revision: str) -> None:
    """Step the schema back to `revision` ("base" drops every store table)."""
    from alembic import command

    _alembic(url, lambda config: command.downgrade(config, revision))


# Any fixed 64-bit number: the advisory lock several processes take to migrate one at a time.
MIGRATION_LOCK = 0x76697630  # "viv0"


def _alembic(url: str, run: Callable[[Config], None]) -> None:
    """Run a migration in one transaction. Processes starting together on a fresh database
    take turns: PostgreSQL through a transaction-scoped advisory lock, SQLite through the
    BEGIN IMMEDIATE every transaction here starts with. The later ones then find the schema
    already at head and do nothing."""
    from alembic.config import Config

    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            config.attributes["connection"] = connection
            run(config)
    finally:
        engine.dispose()
