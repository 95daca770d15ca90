"""Avisos: the panel's notification list, over HTTP. The owner sees every alert, staff the
order ones; the bell counts the unread; marking read sticks in the store."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from panel_helpers import Browser, Served

from commerce.alerts import AlertKind, AlertSpec, Destination
from commerce.money import Money
from commerce.sessions import PanelRole


def _record(store: Any) -> None:
    paid = AlertSpec(
        AlertKind.PAID,
        "paid:PAID1",
        "PAID1",
        platform="telegram",
        buyer="ana",
        summary="2× Taza",
        amount=Money(Decimal("17000"), "ARS"),
    )
    refund = AlertSpec(
        AlertKind.REFUND_NEEDED,
        "refund:REF1",
        "REF1",
        platform="twitch",
        buyer="beto",
        summary="Remera",
        amount=Money(Decimal("15000"), "ARS"),
        reason="out_of_stock",
    )
    missing = AlertSpec(
        AlertKind.MISSING_DETAILS, "missing:MIS1", "MIS1", platform="discord", summary="Remera"
    )
    store.record_alert(paid, [Destination("telegram", "1")])
    store.record_alert(refund, [])
    store.record_alert(missing, [])
    [delivery] = store.due_alert_deliveries(["telegram"])
    store.mark_alerts_sent([delivery.id])


def _codes(html: str) -> list[str]:
    return re.findall(r'data-code="(\w+)"', html)


async def test_the_owner_sees_every_alert_in_words_with_where_it_went(
    served: Served, owner: Browser, store: Any
) -> None:
    _record(store)
    response = await owner.get("/panel/avisos")
    assert response.status == 200
    html = await response.text()
    assert _codes(html) == ["MIS1", "REF1", "PAID1"]  # newest first
    assert "Pedido PAID1 pagado: 2× Taza" in html
    assert "$\xa017.000" in html or "$ 17.000" in html
    assert "Hay que reembolsar" in html and "ya no queda stock" in html
    assert "Enviado a: Telegram" in html
    assert "3 sin leer" in html
    badge = await owner.get("/panel/avisos/sin-leer")
    assert ">3<" in await badge.text()
    # The bell is in every page's header.
    assert 'href="/panel/avisos"' in await (await owner.get("/panel/productos")).text()


async def test_marking_one_then_all_read(served: Served, owner: Browser, store: Any) -> None:
    _record(store)
    [refund] = [a for a in store.list_alerts() if a.code == "REF1"]
    response = await owner.post("/panel/avisos/leidos", {"id": str(refund.id)})
    assert response.status == 303
    assert store.unread_alerts() == 2
    assert [a.code for a in store.list_alerts(unread_only=True)] == ["MIS1", "PAID1"]
    await owner.post("/panel/avisos/leidos")
    assert store.unread_alerts() == 0
    badge = await owner.get("/panel/avisos/sin-leer")
    assert await badge.text() == ""
    html = await (await owner.get("/panel/avisos")).text()
    assert "sin leer" not in html and "Marcar" not in html


async def test_staff_see_the_order_alerts_not_the_refunds(served: Served, store: Any) -> None:
    _record(store)
    staff = Browser(served)
    try:
        await staff.sign_in(PanelRole.STAFF)
        html = await (await staff.get("/panel/avisos")).text()
        assert _codes(html) == ["MIS1", "PAID1"]
        assert "REF1" not in html and "reembolsar" not in html
        assert ">2<" in await (await staff.get("/panel/avisos/sin-leer")).text()
        # "Mark all" from staff leaves the owner's refund alert unread.
        await staff.post("/panel/avisos/leidos")
        assert [a.code for a in store.list_alerts(unread_only=True)] == ["REF1"]
    finally:
        await staff.close()


async def test_the_alert_routes_need_a_session(served: Served, store: Any) -> None:
    _record(store)
    visitor = Browser(served)
    try:
        for path in ("/panel/avisos", "/panel/avisos/sin-leer"):
            response = await visitor.get(path)
            assert response.status == 303 and "/panel/entrar" in response.headers["Location"]
        response = await visitor.post("/panel/avisos/leidos", csrf=False)
        assert response.status == 401
        assert store.unread_alerts() == 3
    finally:
        await visitor.close()


async def test_the_owner_chooses_where_alerts_go_and_it_is_kept(
    served: Served, owner: Browser, store: Any
) -> None:
    html = await (await owner.get("/panel/ajustes")).text()
    assert 'name="route.paid.telegram" aria-label="Pedido pagado · Telegram" checked' in html
    assert "config.toml" in html and store.alert_preferences() is None

    bad = await owner.post("/panel/ajustes/avisos", {"digest_minutes": "0"})
    assert bad.status == 400
    assert "número entero de 1 a 1440" in await bad.text()
    assert store.alert_preferences() is None

    form = {
        "route.paid.discord": "on",
        "route.refund_needed.telegram": "on",
        "route.refund_needed.discord": "on",
        "digest": "on",
        "digest_minutes": "30",
        "missing_details_hours": "12",
    }
    saved = await owner.post("/panel/ajustes/avisos", form)
    assert saved.status == 303 and "ok=alerts_saved" in saved.headers["Location"]
    chosen = store.alert_preferences()
    assert chosen is not None
    assert chosen.routes == {
        "paid": ("discord",),
        "tip": (),
        "refund_needed": ("telegram", "discord"),
        "missing_details": (),
    }
    assert (chosen.digest, chosen.digest_minutes, chosen.missing_details_hours) == (True, 30, 12)
    html = await (await owner.get("/panel/ajustes?ok=alerts_saved")).text()
    assert "Avisos guardados." in html
    assert 'name="route.paid.telegram" aria-label="Pedido pagado · Telegram">' in html
    assert 'name="digest_minutes" min="1" max="1440" value="30"' in html
