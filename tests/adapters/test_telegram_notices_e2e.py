"""A Telegram buyer is told privately when their order ships, whoever marked it shipped.

The step is taken by another Store on the same database, as `vivo orders ship` does from its
own process: nothing is published to this bot, and the notice still comes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.testing import open_stage, until
from commerce.store import Store
from commerce.views import OrderStatus
from tests.adapters.test_telegram_e2e import TelegramStage, telegram


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[TelegramStage]:
    async with open_stage(tmp_path, telegram) as whole:
        whole.bot.notices.interval = 0.2
        whole.bot.services.conversations = None  # these buyers go straight to the link
        yield TelegramStage(**vars(whole))


async def paid_order(stage: TelegramStage, user: str, item: str = "remera L") -> tuple[str, int]:
    stage.telegram.say(user, "hola", chat="private")
    stage.telegram.say(user, f"/comprar {item}")
    person = stage.telegram.user(user)
    await until(lambda: [e for e in stage.sent(person["id"]) if "http" in e["text"]])
    [order] = stage.store.viewer_orders("telegram", str(person["id"]))
    await stage.pay(order.code)
    await until(lambda: stage.store.get_order(order.code).status is OrderStatus.PAID)
    return order.code, person["id"]


async def test_shipping_from_another_process_is_told_privately_with_the_tracking(
    stage: TelegramStage,
) -> None:
    code, beto = await paid_order(stage, "beto")
    group = stage.telegram.group_id
    other = Store(stage.store.url)
    try:
        other.mark_shipped([code], "Correo Argentino", "CA123456789AR", actor="cli")
    finally:
        other.close()
    [notice] = await until(lambda: [e for e in stage.sent(beto) if "CA123456789AR" in e["text"]])
    assert code in notice["text"] and "Correo Argentino" in notice["text"]
    assert not any("CA123456789AR" in e["text"] for e in stage.sent(group))
    await stage.bot.notices.run_once()
    assert len([e for e in stage.sent(beto) if "CA123456789AR" in e["text"]]) == 1


async def test_a_digital_items_text_goes_privately_on_payment(stage: TelegramStage) -> None:
    from sqlalchemy import text

    from commerce.db import make_engine

    engine = make_engine(stage.store.url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE products SET deliver_text = :t, queue = false WHERE sku = 'SALUDO'"),
            {"t": "https://example.invalid/descarga/XYZ"},
        )
    engine.dispose()
    stage.store.list_products()  # this bot's catalog reading is fresh again
    code, ceci = await paid_order(stage, "ceci", "saludo")
    [notice] = await until(lambda: [e for e in stage.sent(ceci) if "descarga/XYZ" in e["text"]])
    assert code in notice["text"]
    assert not any("descarga/XYZ" in e["text"] for e in stage.sent(stage.telegram.group_id))
