"""Shared fixtures for the command layer: a real Store on a temp SQLite file, fake payment
links, a controllable clock, and a `Chat` that drives `Router.handle` like an adapter would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chat_helpers import OWNER_ID, PLATFORM, Chat, Clock, Links, catalog

from bots.chat.i18n import Messages
from bots.chat.router import Router
from bots.runtime.services import Services, Settings


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated, seeded SQLite file; each test gets a copy (migrating is the slow part)."""
    from commerce.store import Store

    path = tmp_path_factory.mktemp("seed") / "vivo.db"
    db = Store(f"sqlite:///{path}")
    db.migrate()
    db.sync_catalog(catalog())
    db.close()
    return path


@pytest.fixture
def store(tmp_path: Path, seeded_db: Path) -> Iterator[Any]:
    from commerce.store import Store

    path = tmp_path / "vivo.db"
    shutil.copyfile(seeded_db, path)
    db = Store(f"sqlite:///{path}")
    yield db
    close = getattr(db, "close", None)
    if close is not None:
        close()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        store_name="Tienda Test",
        currency="ARS",
        locale="es",
        reservation_ttl=timedelta(minutes=15),
        cooldown_seconds=2.0,
        tip_min=Decimal("100"),
        tip_max=Decimal("100000"),
        owner_ids={PLATFORM: frozenset({OWNER_ID})},
    )


@pytest.fixture
def links() -> Links:
    return Links()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def messages() -> Messages:
    return Messages()


@pytest.fixture
def router(
    store: Any, links: Links, settings: Settings, messages: Messages, clock: Clock
) -> Router:
    services = Services(store=store, links=links, settings=settings, messages=messages)
    return Router(services, clock=clock)


@pytest.fixture
def chat(router: Router, clock: Clock) -> Chat:
    return Chat(router, clock)
