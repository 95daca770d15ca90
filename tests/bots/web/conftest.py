"""The panel served on a free port for the web tests, and a browser signed in as the owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from panel_helpers import Browser, Served, serve_panel

from bots.runtime.services import Settings


@pytest.fixture
async def served(store: Any, settings: Settings) -> AsyncIterator[Served]:
    async with serve_panel(store, settings) as found:
        yield found


@pytest.fixture
async def owner(served: Served) -> AsyncIterator[Browser]:
    b = Browser(served)
    await b.sign_in()
    yield b
    await b.close()
