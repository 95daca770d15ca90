"""The products page shows each product's waitlist: who holds a unit, then who waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from panel_helpers import Browser

from commerce.views import LineRequest, ViewerRef

ANA = ViewerRef("twitch", "u-ana", "ana")
BETO = ViewerRef("discord", "u-beto", "beto")
CARLA = ViewerRef("telegram", "u-carla", "carla")


async def test_the_products_page_lists_each_line(owner: Browser, store: Any) -> None:
    page = await owner.get("/panel/productos")
    assert "Filas de espera" not in await page.text()  # nobody waits: no section
    store.set_stock("TAZA", 1)
    order = store.reserve(ANA, "c", [LineRequest("TAZA", 1)], ttl=timedelta(minutes=5))
    for viewer in (BETO, CARLA):
        store.waitlist_join(viewer, "c", "TAZA", hold=timedelta(minutes=5))
    store.cancel_order(order.code)  # beto's hold now
    [hold] = [o for o in store.viewer_orders("discord", "u-beto") if o.status.value == "pending"]
    html = await (await owner.get("/panel/productos")).text()
    section = html[html.index("Filas de espera") :]
    assert f"reservado {hold.code}: beto (discord)" in section
    assert "1. carla (telegram)" in section
