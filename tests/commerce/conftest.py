"""Store fixtures on both databases; the stock invariant is checked after every test.

SQLite: one migrated template file per session, copied for each test. PostgreSQL: one fresh
database per session (VIVO_TEST_PG_URL names the server), emptied before each test; skipped
when the server is unreachable (CI turns that skip into a failure).
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from store_helpers import PG_SERVER_URL, assert_stock_invariant, catalog

from commerce.db import make_engine, normalize_url, upgrade
from commerce.models import TABLES
from commerce.store import Store


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "vivo.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for the session, dropped at the end."""
    server = make_url(normalize_url(PG_SERVER_URL))
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"vivo_test_{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL unreachable at {server.render_as_string()}: {exc.orig}")
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_pg(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            names = ", ".join(t.name for t in TABLES)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            conn.execute(text("INSERT INTO store_state (id, open) VALUES (1, true)"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a copy of the SQLite template, or the emptied PG one."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "vivo.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    _empty_pg(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An empty store on each database; the stock invariant is checked after every test."""
    s = Store(store_url)
    yield s
    s.close()
    assert_stock_invariant(store_url)


@pytest.fixture
def shop(store: Store) -> Store:
    """The store with the sample catalog loaded."""
    store.sync_catalog(catalog())
    return store
