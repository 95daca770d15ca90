"""Alertas in the panel: the owner saves each type's look and its variations, read-aloud,
uploads, and sends tests and replays that reach the overlay and count nowhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from panel_helpers import Browser, Served

from bots.chat.i18n import Messages
from bots.runtime.events import AlertReplay, AlertTest, GoalChanged, OrderPaid
from bots.web import alert_config
from bots.web.alert_media import MediaStore
from bots.web.overlay import Overlay
from commerce.money import Money
from commerce.sessions import PanelRole
from commerce.views import LineRequest, OrderView, PaymentReport, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100_000  # over the app's 64 KB form limit


def stored(store: Any) -> alert_config.AlertSettings:
    return alert_config.parse(store.owner_setting(alert_config.SETTING_KEY))[0]


def paid_order(store: Any) -> OrderView:
    order = store.reserve(ANA, "c", [LineRequest("TAZA")], ttl=timedelta(minutes=2))
    store.record_payment(
        PaymentReport(
            "mercadopago", f"p-{order.code}", "approved", order.total.amount, "ARS", order.code
        )
    )
    view: OrderView = store.get_order(order.code)
    return view


TIP_FORM = {
    "template": "{buyer} dejó {amount}",
    "image": "https://cdn.example/tip.gif",
    "sound": "/overlay/sounds/coin.wav",
    "volume": "40",
    "duration": "9",
    "enter": "bounce",
    "exit": "zoom",
    "layout": "image-top",
    "css": ".alert.type-tip .alert-headline { color: gold; }",
}


async def save_tip(owner: Browser, **changes: Any) -> aiohttp.ClientResponse:
    form: Any = aiohttp.FormData()
    fields = {**TIP_FORM, **changes}
    variations = fields.pop("variations", [("10.000", "¡Lluvia de {buyer}!", "", "")])
    for name, value in fields.items():
        form.add_field(name, value)
    for minimum, template, image, sound in [*variations, ("", "", "", "")]:
        form.add_field("var_minimum", minimum)
        form.add_field("var_template", template)
        form.add_field("var_image", image)
        form.add_field("var_sound", sound)
    form.add_field("_csrf", owner.csrf)
    response = await owner.http.post(
        f"{owner.served.url}/panel/alertas/tipo/tip",
        data=form,
        headers={"Origin": owner.served.url},
        allow_redirects=False,
    )
    await response.read()
    return response


async def test_the_owner_saves_a_type_and_a_restart_keeps_it(owner: Browser, store: Any) -> None:
    page = await owner.get("/panel/alertas")
    assert page.status == 200
    response = await save_tip(owner)
    assert response.status == 303
    assert response.headers["Location"] == "/panel/alertas?ok=stream_alerts_saved#tip"
    style = stored(store).style("tip")
    assert (style.template, style.volume, style.duration) == ("{buyer} dejó {amount}", 40, 9)
    assert (style.enter, style.exit, style.layout) == ("bounce", "zoom", "image-top")
    assert [(v.minimum, v.template) for v in style.variations] == [
        (Decimal(10000), "¡Lluvia de {buyer}!")  # "10.000" as the owner writes it in es
    ]
    assert stored(store).style("sale") == alert_config.DEFAULT_STYLES["sale"]
    html = await (await owner.get("/panel/alertas")).text()
    assert 'value="10.000"' in html and "¡Lluvia de {buyer}!" in html


async def test_a_bad_value_is_refused_with_the_reason(owner: Browser, store: Any) -> None:
    response = await save_tip(owner, template="{quien} dejó")
    assert response.status == 400
    assert "«quien» no es un reemplazo conocido" in await response.text()
    response = await save_tip(owner, variations=[("mucho", "", "", "")])
    assert response.status == 400
    assert "«mucho» no es un monto" in await response.text()
    assert store.owner_setting(alert_config.SETTING_KEY) is None


async def test_read_aloud_is_saved(owner: Browser, store: Any) -> None:
    response = await owner.post(
        "/panel/alertas/lectura",
        {"enabled": "1", "minimum": "2.000", "max_chars": "80", "engine": "browser"},
    )
    assert response.status == 303
    read = stored(store).read_aloud
    assert (read.enabled, read.minimum, read.max_chars) == (True, Decimal(2000), 80)


async def test_a_test_alert_reaches_the_overlay_and_counts_nowhere(
    served: Served, owner: Browser, store: Any
) -> None:
    overlay = Overlay(store, Messages(), locale="es")
    served.bus.subscribe(overlay.on_event)
    await overlay.on_event(GoalChanged(Money(10000, "ARS"), "sales"))
    await save_tip(owner)
    await served.bus.publish(OrderPaid(paid_order(store)))  # one real sale: 8500 of 10000
    now = datetime.now(UTC)
    before = (
        store.panel_summary(now - timedelta(days=1), now + timedelta(days=1), "ARS"),
        store.panel_live("ARS", now=now),
        list(served.panel.app[_feed_key()].items),
    )
    for kind, variation in [
        ("sale", ""),
        ("tip", ""),
        ("tip", "0"),
        ("bits", ""),
        ("superchat", ""),
    ]:
        response = await owner.post(f"/panel/alertas/tipo/{kind}/probar", {"variation": variation})
        assert response.status == 303
    tests = [e for e in served.events if isinstance(e, AlertTest)]
    assert [(e.kind, e.variation, e.currency) for e in tests] == [
        ("sale", None, "ARS"),
        ("tip", None, "ARS"),
        ("tip", 0, "ARS"),
        ("bits", None, "ARS"),
        ("superchat", None, "ARS"),
    ]
    tested = list(overlay.alerts)[1:]
    assert all(a["test"] for a in tested) and len(tested) == 5
    assert tested[2]["headline"] == "¡Lluvia de Prueba!"
    assert overlay.state("http://x")["goal"]["percent"] == 85.0
    after = (
        store.panel_summary(now - timedelta(days=1), now + timedelta(days=1), "ARS"),
        store.panel_live("ARS", now=now),
        list(served.panel.app[_feed_key()].items),
    )
    assert after == before
    assert (before[0].converted, before[0].tip_count, before[1].paid) == (1, 0, 1)
    assert (await owner.post("/panel/alertas/tipo/nada/probar")).status == 404


def _feed_key() -> Any:
    from bots.web.panel.live import FEED

    return FEED


async def test_a_recent_sale_is_offered_and_replayed_once_more(
    served: Served, owner: Browser, store: Any
) -> None:
    order = paid_order(store)
    await served.bus.publish(OrderPaid(order))
    html = await (await owner.get("/panel/alertas")).text()
    assert f'name="code" value="{order.code}"' in html
    response = await owner.post("/panel/alertas/repetir", {"code": order.code})
    assert response.status == 303
    [replayed] = [e for e in served.events if isinstance(e, AlertReplay)]
    assert replayed.order is not None and replayed.order.code == order.code
    pending = store.reserve(ANA, "c", [LineRequest("TAZA")], ttl=timedelta(minutes=2))
    assert (await owner.post("/panel/alertas/repetir", {"code": pending.code})).status == 400
    assert (await owner.post("/panel/alertas/repetir", {"code": "NOSUCH"})).status == 400


async def test_an_upload_streams_in_and_only_pictures_and_sounds_are_kept(
    served: Served, owner: Browser, tmp_path: Path
) -> None:
    media = MediaStore(tmp_path / "media")
    served.panel.context.media = media

    async def upload(data: bytes, name: str) -> aiohttp.ClientResponse:
        form = aiohttp.FormData()
        form.add_field("file", data, filename=name, content_type="application/octet-stream")
        response = await owner.http.post(
            f"{served.url}/panel/alertas/subir",
            data=form,
            headers={"Origin": served.url, "X-CSRF-Token": owner.csrf},
            allow_redirects=False,
        )
        await response.read()
        return response

    assert (await upload(PNG, "big.png")).status == 303
    [kept] = media.files()
    assert kept.name.endswith(".png") and kept.size == len(PNG)
    refused = await upload(b"<svg onload=alert(1)>", "x.svg")
    assert refused.status == 400 and "Solo imágenes" in await refused.text()
    assert len(media.files()) == 1
    html = await (await owner.get("/panel/alertas")).text()
    assert kept.url in html


async def test_staff_cannot_open_or_change_alerts(served: Served, store: Any) -> None:
    staff = Browser(served)
    try:
        await staff.sign_in(PanelRole.STAFF)
        assert (await staff.get("/panel/alertas")).status == 403
        assert (await staff.post("/panel/alertas/tipo/tip/probar")).status == 403
        assert (await staff.post("/panel/alertas/lectura", {"enabled": "1"})).status == 403
    finally:
        await staff.close()
    assert not any(isinstance(e, AlertTest) for e in served.events)
    assert store.owner_setting(alert_config.SETTING_KEY) is None


async def test_a_preview_shows_the_editors_values_without_saving_them(
    served: Served, owner: Browser, store: Any
) -> None:
    overlay = Overlay(store, Messages(), locale="es")
    served.bus.subscribe(overlay.on_event)
    form = {**TIP_FORM, "template": "¡{buyer} en vista previa!", "preview": "1"}
    response = await owner.post("/panel/alertas/tipo/tip/probar", form)
    assert response.status == 303
    [alert] = overlay.alerts
    assert alert["test"] and alert["headline"] == "¡Prueba en vista previa!"
    assert (alert["enter"], alert["layout"]) == ("bounce", "image-top")
    assert store.owner_setting(alert_config.SETTING_KEY) is None  # nothing was saved
    refused = await owner.post("/panel/alertas/tipo/tip/probar", {**form, "volume": "300"})
    assert refused.status == 400 and len(overlay.alerts) == 1
