"""Saludos in the panel: the queue oldest first with messages, and "Hecho" (owner, staff)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from panel_helpers import Browser, Served

from bots.runtime.events import OrderDelivered, OrderPaid, ShoutoutDone
from commerce.sessions import PanelRole
from commerce.views import LineRequest, PaymentReport, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana_tw")
BETO = ViewerRef("youtube", "u2", "<b>beto</b>")


def paid_saludo(store: Any, viewer: ViewerRef, message: str | None, n: int) -> str:
    order = store.reserve(viewer, "canal", [LineRequest("SALUDO")], ttl=timedelta(minutes=5))
    store.set_shoutout_message(order.code, message)
    store.record_payment(
        PaymentReport("mp", f"p{n}", "approved", order.total.amount, "ARS", order.code)
    )
    return str(order.code)


async def test_the_queue_oldest_first_and_hecho_thanks_once(
    served: Served, owner: Browser, store: Any
) -> None:
    first = paid_saludo(store, BETO, "feliz <i>cumple</i>", 1)
    second = paid_saludo(store, ANA, None, 2)
    response = await owner.get("/panel/saludos")
    html = await response.text()
    assert response.status == 200
    assert html.index(first) < html.index(second)  # oldest payment first
    assert "feliz &lt;i&gt;cumple&lt;/i&gt;" in html and "&lt;b&gt;beto&lt;/b&gt;" in html
    assert "Sin mensaje: solo su nombre." in html
    done = await owner.post(f"/panel/saludos/{first}/hecho")
    assert done.status == 303 and done.headers["Location"].endswith("ok=shoutout_done")
    assert [w.code for w in store.shoutout_queue()] == [second]
    assert [(type(e), e.order.code) for e in served.events if hasattr(e, "order")][-2:] == [
        (OrderDelivered, first),
        (ShoutoutDone, first),
    ]
    again = await owner.post(f"/panel/saludos/{first}/hecho")
    assert again.headers["Location"].endswith("ok=shoutout_already")
    assert sum(isinstance(e, ShoutoutDone) for e in served.events) == 1
    fragment = await (await owner.get("/panel/saludos/lista")).text()
    assert second in fragment and first not in fragment


async def test_staff_may_do_it_and_a_bad_code_or_missing_csrf_is_refused(
    served: Served, store: Any
) -> None:
    code = paid_saludo(store, ANA, "hola", 1)
    staff = Browser(served)
    try:
        await staff.sign_in(PanelRole.STAFF)
        assert (await staff.get("/panel/saludos")).status == 200
        assert (await staff.post("/panel/saludos/NOPE99/hecho")).status == 404
        refused = await staff.post(f"/panel/saludos/{code}/hecho", csrf=False)
        assert refused.status == 403 and len(store.shoutout_queue()) == 1
        assert (await staff.post(f"/panel/saludos/{code}/hecho")).status == 303
        assert store.shoutout_queue() == []
    finally:
        await staff.close()


async def test_the_list_is_refreshed_when_a_shoutout_is_paid(
    served: Served, owner: Browser
) -> None:
    response = await owner.http.get(f"{served.url}/panel/saludos/eventos")
    try:
        assert (await response.content.readline()).startswith(b"retry:")
        while not (await response.content.readline()).startswith(b"data:"):
            pass  # "ready"
        code = paid_saludo(served.store, ANA, None, 1)
        order = served.store.get_order(code)
        await served.bus.publish(OrderPaid(order))
        while True:
            line = await response.content.readline()
            if line.startswith(b"event:"):
                assert line.strip() == b"event: changed"
                break
    finally:
        response.close()


async def test_a_visitor_without_a_session_is_refused(served: Served, store: Any) -> None:
    code = paid_saludo(store, ANA, "hola", 1)
    names = {r.name for r in served.panel.app.router.routes()}
    # test_panel_auth enumerates every route: these are among them.
    assert {"panel.shoutouts", "panel.shoutouts_list", "panel.shoutout_done"} <= names
    visitor = Browser(served)
    try:
        page = await visitor.get("/panel/saludos")
        assert page.status == 303 and page.headers["Location"] == "/panel/entrar"
        assert (await visitor.post(f"/panel/saludos/{code}/hecho", csrf=False)).status == 401
        assert len(store.shoutout_queue()) == 1
    finally:
        await visitor.close()
