"""`/p/{code}` with a public URL: the order's delivery details before MercadoPago.

GET shows (or goes straight on to pay when nothing is missing); POST records the details
through the Store, only with the page's per-order token, only from this site, within a
per-visitor budget, and sends the buyer to a link made for the new total.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from chat_helpers import Links

from bots.chat.i18n import Messages
from bots.runtime.services import Settings
from bots.web.app import STORE, short_link
from bots.web.checkout import POSTS_PER_WINDOW, CheckoutPage
from commerce.delivery import DeliveryRules, PickupPoint, ShippingOption
from commerce.views import LineRequest, PaymentReport, ProductSpec, ViewerRef

RULES = DeliveryRules(
    shipping=(ShippingOption("correo", "Correo", price=Decimal("3000")),),
    pickup=(PickupPoint("local", "Local Palermo", "Honduras 4000", "lun a vie 10-18"),),
)

ANA = ViewerRef("twitch", "u-ana", "ana")


@pytest.fixture
async def url(store: Any, links: Links, settings: Settings) -> AsyncIterator[str]:
    app = web.Application()
    app[STORE] = store
    app.router.add_get("/p/{code}", short_link)
    CheckoutPage(store, links, RULES, settings, Messages()).setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def order(
    store: Any,
    sku: str = "TAZA",
    viewer: ViewerRef = ANA,
    locale: str = "es",
    channel: str = "chan",
) -> str:
    made = store.reserve(
        viewer, channel, [LineRequest(sku, 1)], ttl=timedelta(minutes=15), locale=locale
    )
    return str(made.code)


async def page(http: aiohttp.ClientSession, address: str) -> tuple[int, str]:
    async with http.get(address, allow_redirects=False) as response:
        return response.status, await response.text()


def token(text: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]+)"', text)
    assert found is not None
    return found.group(1)


HOME = {
    "choice": "correo",
    "name": "Ana Pérez",
    "contact": "ana@example.com",
    "street": "Av. Siempreviva 742",
    "city": "Villa María",
    "province": "Buenos Aires",
    "postal_code": "5900",
    "notes": "",
}


async def post(
    http: aiohttp.ClientSession, address: str, form: dict[str, str], **headers: str
) -> tuple[int, str, str]:
    async with http.post(address, data=form, headers=headers, allow_redirects=False) as r:
        return r.status, r.headers.get("Location", ""), await r.text()


async def test_a_shipped_order_asks_for_details_then_pays_the_total_with_shipping(
    url: str, store: Any, links: Links
) -> None:
    code = order(store)
    async with aiohttp.ClientSession() as http:
        status, text = await page(http, f"{url}/p/{code}")
        assert status == 200
        assert "Correo" in text and "Local Palermo" in text and "Honduras 4000" in text
        assert "Total: $ 11.500" in text.replace("\xa0", " ")  # 8.500 + 3.000 de envío
        status, location, _ = await post(http, f"{url}/p/{code}", {**HOME, "token": token(text)})
    assert status == 303
    assert location == f"http://pay.test/{code}-r1"  # a new link for the new revision
    now = store.get_order(code)
    assert now.total.amount == Decimal("11500") and now.details_complete
    assert links.orders[-1].total.amount == Decimal("11500")
    assert store.delivery_details(code).contact == "ana@example.com"


async def test_a_second_order_in_the_stream_is_offered_to_ship_with_the_first_for_free(
    url: str, store: Any
) -> None:
    first = order(store)
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{first}")
        await post(http, f"{url}/p/{first}", {**HOME, "token": token(text)})
        paid = store.get_order(first)
        store.record_payment(
            PaymentReport("mercadopago", "p-1", "approved", paid.total.amount, "ARS", first)
        )
        second = order(store, "STICK", channel="otro")
        goods = store.get_order(second).total
        status, text = await page(http, f"{url}/p/{second}")
        assert status == 200
        assert f'value="with:{first}"' in text and f"Enviar junto con tu pedido {first}" in text
        assert "Siempreviva" not in text  # where the parcel goes is shown only masked
        form = {"choice": f"with:{first}", "name": "Ana Pérez", "contact": "ana@example.com"}
        status, location, _ = await post(http, f"{url}/p/{second}", {**form, "token": token(text)})
    assert status == 303 and location == f"http://pay.test/{second}"  # the total is the same
    now = store.get_order(second)
    assert now.ship_with == first and now.details_complete
    assert now.total == goods and now.shipping.amount == 0  # shipping is charged once
    details = store.delivery_details(second)
    assert details is not None and details.street == HOME["street"]


async def test_complete_details_or_a_digital_order_go_straight_to_pay(url: str, store: Any) -> None:
    store.seed_catalog(
        [ProductSpec("EBOOK", "Ebook", Decimal("1000"), "ARS", stock=9, delivery="digital")]
    )
    digital = order(store, "EBOOK", ViewerRef("twitch", "u-eva", "eva"))
    async with aiohttp.ClientSession() as http:
        status, _ = await page(http, f"{url}/p/{digital}")
        assert status == 302
        code = order(store)
        _, text = await page(http, f"{url}/p/{code}")
        await post(http, f"{url}/p/{code}", {**HOME, "token": token(text)})
        async with http.get(f"{url}/p/{code}", allow_redirects=False) as again:
            assert again.status == 302
            assert again.headers["Location"] == f"http://pay.test/{code}-r1"


async def test_a_returning_buyer_keeps_or_changes_details_never_shown_in_clear(
    url: str, store: Any, links: Links
) -> None:
    first = order(store)
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{first}")
        await post(http, f"{url}/p/{first}", {**HOME, "token": token(text)})
        second = order(store, channel="another")  # not the same cart
        assert second != first
        _, text = await page(http, f"{url}/p/{second}")
        # The link may be public (Twitch chat): the saved details show only masked.
        assert "Ana Pérez" not in text and "ana@example.com" not in text
        assert "Siempreviva" not in text
        assert "A••• P•••" in text and "a•••@example.com" in text
        assert 'name="keep" value="1" checked' in text
        kept = {"choice": "correo", "keep": "1", "token": token(text)}
        status, _, _ = await post(http, f"{url}/p/{second}", kept)
        assert status == 303
        assert store.delivery_details(second).street == "Av. Siempreviva 742"
        third = order(store, channel="third")
        _, text = await page(http, f"{url}/p/{third}")
        changed = {**kept, "name": "Ana María Pérez", "token": token(text)}
        status, _, _ = await post(http, f"{url}/p/{third}", changed)
    assert status == 303
    assert store.delivery_details(third).name == "Ana María Pérez"
    assert store.delivery_details(third).contact == "ana@example.com"
    assert store.delivery_details(first).name == "Ana Pérez"


async def test_without_keep_nothing_saved_is_used(url: str, store: Any) -> None:
    first = order(store)
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{first}")
        await post(http, f"{url}/p/{first}", {**HOME, "token": token(text)})
        second = order(store, channel="another")
        _, text = await page(http, f"{url}/p/{second}")
        status, _, answer = await post(
            http, f"{url}/p/{second}", {"choice": "correo", "token": token(text)}
        )
    assert status == 422 and "tu nombre" in answer
    assert "Ana Pérez" not in answer


async def test_bad_details_are_explained_in_the_buyers_language_keeping_what_was_typed(
    url: str, store: Any
) -> None:
    spanish = order(store)
    english = order(store, viewer=ViewerRef("youtube", "u-bob", "bob"), locale="en")
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{spanish}")
        status, _, answer = await post(
            http, f"{url}/p/{spanish}", {**HOME, "contact": "ana@", "token": token(text)}
        )
        assert status == 422
        assert "Revisa tus datos de entrega: un email o un WhatsApp con código de país." in answer
        assert 'value="ana@"' in answer and 'value="Av. Siempreviva 742"' in answer
        _, text = await page(http, f"{url}/p/{english}")
        status, _, answer = await post(
            http, f"{url}/p/{english}", {**HOME, "contact": "12", "token": token(text)}
        )
        assert status == 422
        assert "Please check your delivery details: an email or a WhatsApp number" in answer
        assert 'lang="en"' in answer
    assert not store.get_order(spanish).details_complete


async def test_what_a_buyer_typed_is_escaped(url: str, store: Any) -> None:
    code = order(store)
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{code}")
        form = {**HOME, "name": "<script>x</script>", "contact": "no", "token": token(text)}
        _, _, answer = await post(http, f"{url}/p/{code}", form)
    assert "<script>x" not in answer and "&lt;script&gt;x" in answer


async def test_another_site_or_a_missing_token_saves_nothing(url: str, store: Any) -> None:
    code = order(store)
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{code}")
        good = {**HOME, "token": token(text)}
        status, _, answer = await post(
            http, f"{url}/p/{code}", good, **{"Sec-Fetch-Site": "cross-site"}
        )
        assert status == 403 and "No se guardó nada" in answer
        status, _, _ = await post(http, f"{url}/p/{code}", good, Origin="https://evil.example")
        assert status == 403
        status, _, _ = await post(http, f"{url}/p/{code}", {**HOME, "token": "0" * 64})
        assert status == 403
        other = order(store, viewer=ViewerRef("twitch", "u-zoe", "zoe"))
        status, _, _ = await post(http, f"{url}/p/{other}", good)  # another order's token
        assert status == 403
    assert store.delivery_details(code) is None and store.delivery_details(other) is None


async def test_each_visitor_may_post_only_a_few_times(url: str, store: Any) -> None:
    code = order(store)
    async with aiohttp.ClientSession() as http:
        _, text = await page(http, f"{url}/p/{code}")
        bad = {**HOME, "contact": "x", "token": token(text)}
        for _ in range(POSTS_PER_WINDOW):
            assert (await post(http, f"{url}/p/{code}", bad))[0] == 422
        status, _, answer = await post(http, f"{url}/p/{code}", {**HOME, "token": token(text)})
    assert status == 429 and "Demasiados intentos" in answer
    assert store.delivery_details(code) is None
