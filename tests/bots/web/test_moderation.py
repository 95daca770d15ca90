"""Moderation on the real web app: the overlay's alerts filtered or held, the approval
queue in the panel (owner and staff, CSRF), the owner's rules, and what survives a restart.
The browser side (the overlay playing an approved alert) is in tests/browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from panel_helpers import Browser, NoProvider, Served

from bots.chat.i18n import Messages
from bots.config import PanelSettings
from bots.moderation.service import Moderation
from bots.runtime.events import EventBus, OrderPaid, TipReceived
from bots.runtime.services import Settings
from bots.web.overlay import Overlay
from bots.web.panel import Panel, PanelContext
from commerce.money import Money
from commerce.sessions import PanelRole
from commerce.views import LineRequest, TipSource, TipView, ViewerRef

ANA = ViewerRef("twitch", "u1", "ana")


@dataclass
class Site:
    served: Served
    overlay: Overlay
    moderation: Moderation


@pytest.fixture
async def site(store: Any, settings: Settings) -> AsyncIterator[Site]:
    bus = EventBus()
    moderation = Moderation(store, settings.currency)
    overlay = Overlay(store, Messages(), locale="es", moderation=moderation)
    bus.subscribe(overlay.on_event)
    context = PanelContext(
        store, NoProvider(), settings, Messages(), PanelSettings(), bus=bus, moderation=moderation
    )
    panel = Panel(context)
    app = web.Application()
    overlay.setup(app)
    panel.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield Site(Served(url, store, panel, bus), overlay, moderation)
    finally:
        await runner.cleanup()


@pytest.fixture
async def owner(site: Site) -> AsyncIterator[Browser]:
    b = Browser(site.served)
    await b.sign_in()
    yield b
    await b.close()


def tip(store: Any, message: str, amount: int = 500, viewer: ViewerRef = ANA) -> TipView:
    view: TipView = store.create_tip(
        viewer,
        "canal",
        Money(amount, "ARS"),
        message,
        TipSource.BITS,
        ttl=timedelta(minutes=5),
        external_id=f"x-{message}-{amount}-{viewer.user_id}",
    )
    return view


async def test_a_filtered_word_is_covered_and_a_link_removed_by_default(
    site: Site, store: Any
) -> None:
    await site.served.bus.publish(TipReceived(tip(store, "sos un P3ND3J0, mirá bit.ly/x")))
    [alert] = site.overlay.alerts
    assert alert["message"] == "sos un ***, mirá"
    assert store.held_alerts() == []


async def test_a_leetspeak_name_is_filtered_and_hidden_names_become_someone(
    site: Site, store: Any, owner: Browser
) -> None:
    troll = ViewerRef("twitch", "u9", "m13rd4_total")
    await site.served.bus.publish(TipReceived(tip(store, "hola", viewer=troll)))
    assert site.overlay.alerts[-1]["buyer"] == "***_total"  # "_" separates words in names
    fine = ViewerRef("twitch", "u10", "Computadora_Scunthorpe")
    await site.served.bus.publish(TipReceived(tip(store, "hola", viewer=fine)))
    assert site.overlay.alerts[-1]["buyer"] == "Computadora_Scunthorpe"
    troll = ViewerRef("twitch", "u8", "xX_m.i.e.r.d.a_Xx")
    await site.served.bus.publish(TipReceived(tip(store, "hola", viewer=troll)))
    assert site.overlay.alerts[-1]["buyer"] == "xX_***_Xx"
    await owner.post("/panel/moderacion/reglas", {"action": "hide", "hold": "off"})
    troll = ViewerRef("twitch", "u7", "PUT0")
    await site.served.bus.publish(TipReceived(tip(store, "sh1t happens", viewer=troll)))
    alert = site.overlay.alerts[-1]
    assert (alert["buyer"], alert["headline"], alert["message"]) == (
        "Alguien",
        "Alguien mandó Bits",  # a Bits tip: its own alert type
        "",
    )


async def test_a_held_alert_plays_only_when_approved_and_a_rejected_one_never(
    site: Site, store: Any, owner: Browser
) -> None:
    response = await owner.post("/panel/moderacion/reglas", {"action": "hold", "hold": "off"})
    assert response.status == 303
    await site.served.bus.publish(TipReceived(tip(store, "la puta madre")))
    await site.served.bus.publish(TipReceived(tip(store, "qué gilipollas")))
    assert list(site.overlay.alerts) == []
    page = await owner.get("/panel/moderacion")
    text = await page.text()
    assert "la puta madre" in text and "tiene una palabra filtrada" in text
    first, second = store.held_alerts()
    response = await owner.post(f"/panel/moderacion/{first.id}/aprobar")
    assert response.headers["Location"] == "/panel/moderacion?ok=approved"
    [alert] = site.overlay.alerts
    assert alert["message"] == "la puta madre"  # approved as it was written
    await owner.post(f"/panel/moderacion/{second.id}/rechazar")
    again = await owner.post(f"/panel/moderacion/{second.id}/aprobar")
    assert again.headers["Location"] == "/panel/moderacion?ok=taken"
    assert len(site.overlay.alerts) == 1
    assert store.held_alerts() == []


async def test_every_message_or_every_alert_from_an_amount_can_wait(
    site: Site, store: Any, owner: Browser
) -> None:
    await owner.post("/panel/moderacion/reglas", {"action": "replace", "hold": "messages"})
    await site.served.bus.publish(TipReceived(tip(store, "hola linda")))
    await site.served.bus.publish(TipReceived(tip(store, "", amount=900)))
    assert [a["amount"] for a in site.overlay.alerts] == ["$ 900,00"]
    await owner.post(
        "/panel/moderacion/reglas", {"action": "replace", "hold": "above", "hold_above": "10.000"}
    )
    order = store.reserve(ANA, "canal", [LineRequest("TAZA", 2)], ttl=timedelta(minutes=5))
    await site.served.bus.publish(OrderPaid(order))
    await site.served.bus.publish(TipReceived(tip(store, "chau", amount=9999)))
    assert [h.reason for h in store.held_alerts()] == ["messages", "amount"]
    assert site.overlay.alerts[-1]["message"] == "chau"
    saved = store.moderation_settings()
    assert saved.hold_above == Decimal("10000")


async def test_each_held_sale_is_kept_under_its_own_order(
    site: Site, store: Any, owner: Browser
) -> None:
    """Held sales are keyed by order code (two sales are two alerts; `vivo buyers forget`
    finds a buyer's by their codes), not all under one empty code."""
    await owner.post(
        "/panel/moderacion/reglas", {"action": "replace", "hold": "above", "hold_above": "10.000"}
    )
    first = store.reserve(ANA, "canal", [LineRequest("TAZA", 2)], ttl=timedelta(minutes=5))
    second = store.reserve(
        ViewerRef("twitch", "u2", "beto"),
        "canal",
        [LineRequest("TAZA", 2)],
        ttl=timedelta(minutes=5),
    )
    await site.served.bus.publish(OrderPaid(first))
    await site.served.bus.publish(OrderPaid(second))
    assert [(h.kind, h.code) for h in store.held_alerts()] == [
        ("order", first.code),
        ("order", second.code),
    ]


async def test_held_alerts_survive_a_restart(site: Site, store: Any, settings: Settings) -> None:
    await site.moderation.rules()
    store.save_moderation_settings("hold", "off", None)
    site.moderation.invalidate()
    await site.served.bus.publish(TipReceived(tip(store, "pendejo")))
    after = Moderation(store, settings.currency)  # a new bot on the same database
    released: list[dict[str, Any]] = []

    async def listen(alert: dict[str, Any]) -> None:
        released.append(alert)

    after.on_release(listen)
    [held] = store.held_alerts()
    assert (await after.rules()).action.value == "hold"
    await after.decide(held.id, True, "owner")
    assert [a["message"] for a in released] == ["pendejo"]


async def test_staff_decide_but_only_the_owner_sets_rules_and_words(
    site: Site, store: Any, owner: Browser
) -> None:
    await owner.post("/panel/moderacion/reglas", {"action": "hold", "hold": "off"})
    await site.served.bus.publish(TipReceived(tip(store, "cabrón")))
    staff = Browser(site.served)
    await staff.sign_in(PanelRole.STAFF)
    try:
        page = await staff.get("/panel/moderacion")
        text = await page.text()
        assert page.status == 200 and "cabrón" in text
        assert "moderacion/reglas" not in text and "moderacion/palabras" not in text
        refused = await staff.post("/panel/moderacion/reglas", {"action": "hide", "hold": "off"})
        assert refused.status == 403
        refused = await staff.post("/panel/moderacion/palabras", {"word": "hola"})
        assert refused.status == 403
        [held] = store.held_alerts()
        no_token = await staff.post(f"/panel/moderacion/{held.id}/aprobar", csrf=False)
        assert no_token.status in (401, 403) and store.held_alerts() != []
        done = await staff.post(f"/panel/moderacion/{held.id}/aprobar")
        assert done.status == 303 and store.held_alerts() == []
        assert store.held_alerts("approved")[0].decided_by == "staff"
    finally:
        await staff.close()
    assert site.overlay.alerts[-1]["message"] == "cabrón"


async def test_the_owner_adds_and_allows_words(site: Site, store: Any, owner: Browser) -> None:
    await owner.post("/panel/moderacion/palabras", {"word": "Chantá", "kind": "block"})
    await owner.post("/panel/moderacion/palabras", {"word": "pelotudo", "kind": "allow"})
    await site.served.bus.publish(TipReceived(tip(store, "chanta y pelotudo")))
    assert site.overlay.alerts[-1]["message"] == "*** y pelotudo"
    bad = await owner.post("/panel/moderacion/palabras", {"word": "dos palabras"})
    assert bad.status == 400 and "una sola palabra" in await bad.text()
    await owner.post("/panel/moderacion/palabras/quitar", {"word": "chanta"})
    await site.served.bus.publish(TipReceived(tip(store, "chanta otra vez")))
    assert site.overlay.alerts[-1]["message"] == "chanta otra vez"
    page = await (await owner.get("/panel/moderacion")).text()
    assert re.search(r'data-word="pelotudo"', page)


async def test_bad_rules_are_refused_with_the_reason(site: Site, owner: Browser) -> None:
    for form, reason in [
        ({"action": "explode", "hold": "off"}, "Esa opción no existe."),
        ({"action": "hide", "hold": "above"}, "escribe el monto"),
        ({"action": "hide", "hold": "above", "hold_above": "mucho"}, "no se entiende"),
    ]:
        response = await owner.post("/panel/moderacion/reglas", form)
        assert response.status == 400 and reason in await response.text()
