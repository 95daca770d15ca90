"""Webhooks the owner adds in the panel: made with a server-made secret shown once, checked
field by field, changed, paused, given a new secret and deleted; config ones stay read-only;
every new route refuses visitors, staff and a missing CSRF token; and a webhook made here
gets signed deliveries from the same sender as the config's."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from panel_helpers import Browser, Served, serve_panel
from webhook_receiver import Receiver, receiving

from bots.config import WebhookConfig
from bots.runtime.events import StockChanged
from bots.runtime.services import Settings
from bots.runtime.webhook_signing import verify
from bots.runtime.webhooks import DeliveryPolicy, WebhookSender
from bots.testing import until
from commerce.sessions import PanelRole
from commerce.webhooks import DELIVERED

CONFIG_SECRET = "config-secret-0123456789abcdef"
SECRET_SHOWN = re.compile(r"<code class=\"secret\" data-secret>(whsec_[A-Za-z0-9_-]+)</code>")
FAST = DeliveryPolicy(first_retry=0.05, max_retry=0.2, timeout=5.0, poll=0.2, lease_seconds=0.5)
NEW = {"name": "zapier", "url": "https://hooks.zapier.example/1", "events": "order.paid"}
ROUTES = ("webhook_create", "webhook_edit", "webhook_rotate", "webhook_delete")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as found:
        yield found


@pytest.fixture
async def sender(store: Any, settings: Settings) -> WebhookSender:
    events = frozenset({"tip.received"})
    hook = WebhookConfig("planilla", "https://sheet.example/x", events, CONFIG_SECRET)
    return WebhookSender(store, [hook], store_name=settings.store_name, policy=FAST)


@pytest.fixture
async def hooked(store: Any, settings: Settings, sender: WebhookSender) -> AsyncIterator[Served]:
    async with serve_panel(store, settings, webhooks=sender) as served:
        yield served


@pytest.fixture
async def owner(hooked: Served) -> AsyncIterator[Browser]:
    b = Browser(hooked)
    await b.sign_in()
    yield b
    await b.close()


def shown_secret(html: str) -> str:
    found = SECRET_SHOWN.search(html)
    assert found is not None, "the secret is shown after it is made"
    return found.group(1)


async def create(owner: Browser, form: dict[str, str]) -> tuple[int, str]:
    """POST the new-webhook form; `events` may hold several names, comma-separated."""
    data = [(k, v) for k, v in form.items() if k != "events"]
    data += [("events", e) for e in form.get("events", "").split(",") if e]
    data.append(("_csrf", owner.csrf))
    async with owner.http.post(
        f"{owner.served.url}/panel/webhooks",
        data=data,
        headers={"Origin": owner.served.url},
        allow_redirects=False,
    ) as answer:
        return answer.status, await answer.text()


async def test_a_webhook_made_here_shows_its_secret_once(owner: Browser, store: Any) -> None:
    status, html = await create(owner, {**NEW, "events": "order.paid,tip.received"})
    assert status == 200
    secret = shown_secret(html)
    assert len(secret) > 40 and "Cópialo ahora" in html
    [made] = store.webhook_endpoints()
    assert (made.name, made.url, made.secret) == ("zapier", NEW["url"], secret)
    assert made.events == {"order.paid", "tip.received"} and made.enabled

    page = await owner.get("/panel/webhooks")
    listed = await page.text()
    assert "zapier" in listed and NEW["url"] in listed
    assert secret not in listed and CONFIG_SECRET not in listed  # never again
    assert 'data-webhook="planilla" data-source="config"' in listed and "de config.toml" in listed
    assert 'data-webhook="zapier" data-source="panel"' in listed

    again, html = await create(owner, NEW)
    assert again == 400 and "Ya hay un webhook llamado zapier" in html
    clash, html = await create(owner, {**NEW, "name": "planilla"})
    assert clash == 400 and "planilla ya es un webhook de config.toml" in html
    assert [e.name for e in store.webhook_endpoints()] == ["zapier"]


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({**NEW, "url": "ftp://files.example/x"}, "url", "debe empezar con http:// o https://"),
        ({**NEW, "url": "https://"}, "url", "debe empezar con http:// o https://"),
        ({**NEW, "url": ""}, "url", "Falta la dirección"),
        ({**NEW, "url": "https://yo:clave@hooks.example/"}, "url", "usuario ni contraseña"),
        ({**NEW, "events": ""}, "events", "Elige al menos un evento."),
        ({**NEW, "events": "order.paid,order.stolen"}, "events", "Ese evento no existe"),
        ({**NEW, "name": "dos palabras"}, "name", "El nombre es una palabra corta"),
    ],
)
async def test_a_bad_field_is_named_and_nothing_is_made(
    owner: Browser, store: Any, form: dict[str, str], field: str, says: str
) -> None:
    status, html = await create(owner, form)
    assert status == 400 and says in html
    if field in ("name", "url"):
        assert f'data-problem="{field}"' in html
    if form["url"]:
        assert f'value="{form["url"]}"' in html  # what the owner typed stays
    assert store.webhook_endpoints() == [] and "data-secret" not in html


async def test_change_pause_rotate_and_delete(owner: Browser, store: Any) -> None:
    _, html = await create(owner, NEW)
    first = shown_secret(html)
    edit = "/panel/webhooks/zapier/editar"
    bad = await owner.post(edit, {"url": "mailto:lu@example.com", "events": "order.paid"})
    assert bad.status == 400 and "debe empezar con http://" in await bad.text()
    assert store.get_webhook_endpoint("zapier").url == NEW["url"]

    saved = await owner.post(edit, {"url": "http://10.0.0.9/hook", "events": "stock.changed"})
    assert saved.status == 303 and "ok=webhook_saved" in saved.headers["Location"]
    changed = store.get_webhook_endpoint("zapier")
    assert (changed.url, changed.events, changed.enabled) == (
        "http://10.0.0.9/hook",
        frozenset({"stock.changed"}),
        False,  # the box was not ticked: paused
    )
    page = await (await owner.get("/panel/webhooks?ok=webhook_saved")).text()
    assert "Webhook guardado." in page and "data-paused" in page
    resumed = await owner.post(
        edit, {"url": "http://10.0.0.9/hook", "events": "stock.changed", "enabled": "1"}
    )
    assert resumed.status == 303 and store.get_webhook_endpoint("zapier").enabled

    rotated = await owner.post("/panel/webhooks/zapier/secreto")
    second = shown_secret(await rotated.text())
    assert rotated.status == 200 and rotated.headers["Cache-Control"] == "no-store"
    assert second != first and store.get_webhook_endpoint("zapier").secret == second

    gone = await owner.post("/panel/webhooks/zapier/borrar")
    assert gone.status == 303 and store.webhook_endpoints() == []
    assert (await owner.post("/panel/webhooks/zapier/borrar")).status == 404
    for name in ("planilla", "nadie"):  # the config's are not changed here; nobody's is 404
        for action in ("editar", "secreto", "borrar"):
            found = await owner.post(f"/panel/webhooks/{name}/{action}", {"url": "https://a.b/"})
            assert found.status == 404


async def test_every_new_route_refuses_visitors_staff_and_a_missing_token(
    hooked: Served, owner: Browser, store: Any
) -> None:
    names = {r.name for r in hooked.panel.app.router.routes()}
    assert {f"panel.{r}" for r in ROUTES} <= names  # test_panel_auth covers every route too
    store.create_webhook_endpoint("zapier", NEW["url"], ["order.paid"], "whsec_kept")
    posts = [
        "/panel/webhooks",
        "/panel/webhooks/zapier/editar",
        "/panel/webhooks/zapier/secreto",
        "/panel/webhooks/zapier/borrar",
    ]
    form = {**NEW, "name": "otro"}
    visitor = Browser(hooked)
    staff = Browser(hooked)
    try:
        page = await visitor.get("/panel/webhooks")
        assert page.status == 303 and page.headers["Location"] == "/panel/entrar"
        await staff.sign_in(PanelRole.STAFF)
        for path in posts:
            assert (await visitor.post(path, form, csrf=False)).status == 401
            assert (await staff.post(path, form)).status == 403
            assert (await owner.post(path, form, csrf=False)).status == 403
    finally:
        await visitor.close()
        await staff.close()
    [kept] = store.webhook_endpoints()
    assert (kept.name, kept.url, kept.secret, kept.enabled) == (
        "zapier",
        NEW["url"],
        "whsec_kept",
        True,
    )


async def test_a_webhook_made_here_gets_signed_deliveries(
    owner: Browser, store: Any, sender: WebhookSender, receiver: Receiver
) -> None:
    _, html = await create(owner, {**NEW, "url": receiver.url, "events": "stock.changed"})
    secret = shown_secret(html)
    task = asyncio.create_task(sender.run())
    try:
        await sender.on_event(StockChanged(store.get_product("TAZA")))
        [got] = await until(lambda: receiver.of_type("stock.changed"))
        assert verify(secret, got.headers["Vivo-Signature"], got.body)
        assert not verify(CONFIG_SECRET, got.headers["Vivo-Signature"], got.body)
        await until(lambda: [d.state for d, _ in store.recent_webhooks()] == [DELIVERED])
        [(delivery, tries)] = store.recent_webhooks()
        assert delivery.endpoint == "zapier" and [t.status_code for t in tries] == [200]

        rotated = await owner.post("/panel/webhooks/zapier/secreto")
        newer = shown_secret(await rotated.text())
        await sender.on_event(StockChanged(store.get_product("TAZA")))
        await until(lambda: len(receiver.of_type("stock.changed")) == 2)
        last = receiver.received[-1]
        assert verify(newer, last.headers["Vivo-Signature"], last.body)

        paused = {"url": receiver.url, "events": "stock.changed"}  # no "enabled": paused
        assert (await owner.post("/panel/webhooks/zapier/editar", paused)).status == 303
        await sender.on_event(StockChanged(store.get_product("TAZA")))
        assert len(store.recent_webhooks()) == 2  # nothing written for a paused webhook

        log = await (await owner.get("/panel/webhooks")).text()
        assert log.count("data-attempt") == 2 and newer not in log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
