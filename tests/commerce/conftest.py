"""Store fixtures on both databases; the stock invariant is checked after every test.

SQLite: one migrated template file per session, copied for each test. PostgreSQL: one fresh
database per session (VIVO_TEST_PG_URL names the server), emptied before each test; skipped
when the server is unreachable (CI turns that skip into a failure).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from store_helpers import assert_stock_invariant, catalog

from commerce.db import make_engine, upgrade
from commerce.models import TABLES
from commerce.store import Store
from tests.pg import fresh_database


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "vivo.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for the session, dropped at the end."""
    with fresh_database() as url:
        upgrade(url)
        yield url


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
