"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text

from commerce.db import (
    MIGRATIONS_DIR,
    downgrade,
    head_revision,
    make_engine,
    normalize_url,
    schema_revision,
    upgrade,
)
from commerce.models import TABLES
from commerce.store import Store
from commerce.views import LineRequest, ProductSpec, ViewerRef


def _model_metadata() -> MetaData:
    metadata = MetaData()
    for table in TABLES:
        table.to_metadata(metadata)
    return metadata


def _head() -> str | None:
    """The newest revision (one head: every migration chains onto the one before)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from commerce.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def test_migrations_match_the_models(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, _model_metadata())
            assert diff == []
            assert set(inspect(conn).get_table_names()) == {t.name for t in TABLES} | {
                "alembic_version"
            }
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            assert version == _head()
    finally:
        engine.dispose()


def test_migrate_a_fresh_sqlite_file_twice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    store = Store(url)
    store.migrate()
    store.migrate()  # already at head: nothing to do
    assert store.is_open() is True
    assert store.list_products() == []
    store.close()


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        engine.dispose()


def test_the_head_read_from_the_files_is_alembics() -> None:
    assert head_revision() == _head()


def test_two_heads_are_refused_by_name(tmp_path: Path) -> None:
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "9998_side.py").write_text(
        f"revision: str = '9998_side'\ndown_revision: str | None = '{_head()}'\n",
        encoding="utf-8",
    )
    (tmp_path / "9999_other.py").write_text(
        f'revision = "9999_other"\ndown_revision = "{_head()}"\n', encoding="utf-8"
    )
    with pytest.raises(RuntimeError, match=r"9998_side.*9999_other"):
        head_revision(tmp_path)


def _in_a_fresh_process(script: str) -> list[str]:
    """Run `script` in a new interpreter; return the migration modules it ended up holding."""
    report = (
        "\nimport json, sys; print(json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('alembic', 'mako', 'pygments'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script + report],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("store_url", ["sqlite", "postgres"], indirect=True)
def test_an_upgrade_apart_leaves_alembic_out_of_the_caller(store_url: str) -> None:
    downgrade(store_url, "base")
    assert schema_revision(store_url) is None
    script = f"from commerce.db import upgrade; upgrade({store_url!r}, apart=True)"
    assert _in_a_fresh_process(script) == []
    assert schema_revision(store_url) == _head()
    # at head, even a plain upgrade does not load alembic
    assert _in_a_fresh_process(f"from commerce.db import upgrade; upgrade({store_url!r})") == []


def test_an_upgrade_apart_that_fails_says_why(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ahead.db'}"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    with pytest.raises(RuntimeError, match=r"schema upgrade failed.*9999_from_the_future"):
        upgrade(url, apart=True)


def test_the_write_ahead_log_reaches_the_database_file_off_the_commit_path(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.db"
    store = Store(f"sqlite:///{path}")
    try:
        store.migrate()
        store.sync_catalog(
            [ProductSpec(sku="T", name="Taza", price=Decimal(100), currency="ARS", stock=500)]
        )
        with store._engine.connect() as conn:  # commits never checkpoint themselves
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        for i in range(200):
            viewer = ViewerRef("console", f"u{i}", f"u{i}")
            store.reserve(viewer, "chan", [LineRequest("T", 1)], ttl=timedelta(minutes=15))

        def in_the_file() -> int:
            # immutable=1 reads the database file alone, ignoring the log
            raw = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
            try:
                return int(raw.execute("SELECT count(*) FROM orders").fetchone()[0])
            except sqlite3.DatabaseError:
                return -1  # read while a checkpoint was writing the file: look again
            finally:
                raw.close()

        deadline = time.monotonic() + 15
        while in_the_file() < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert in_the_file() == 200  # while the store is still open
    finally:
        store.close()
    assert not any(t.name == "vivo-wal-checkpoint" and t.is_alive() for t in threading.enumerate())
