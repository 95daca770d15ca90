"""The provider through the official SDK, over real sockets, against the loopback sandbox."""

from __future__ import annotations

import asyncio
import socket
import warnings
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from commerce.payments.base import LinkRequest, ProviderRejected, ProviderUnavailable
from commerce.payments.mercadopago import MercadoPagoProvider
from sandbox.app import Sandbox, SandboxConfig

LinkFactory = Callable[..., LinkRequest]


async def control(sandbox: Sandbox, path: str, payload: dict[str, Any]) -> Any:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{sandbox.url}/_sandbox/mercadopago/{path}", json=payload) as response,
    ):
        assert response.status in (200, 201), await response.text()
        return await response.json()


async def test_create_link_gives_a_checkout_page_with_the_items(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    request = make_link(
        "ORD-A1", prices=("1200", "300.25"), notification_url="http://127.0.0.1:9/hook"
    )
    link = await asyncio.to_thread(provider.create_link, request)

    expected = f"{sandbox.url}/mercadopago/checkout/v1/redirect?pref_id={link.preference_id}"
    assert link.url == expected
    preference = sandbox.mercadopago.preferences[link.preference_id]
    assert preference["external_reference"] == "ORD-A1"
    assert preference["expires"] is True
    assert preference["expiration_date_to"] == request.expires_at.isoformat(timespec="milliseconds")
    assert preference["notification_url"] == "http://127.0.0.1:9/hook"
    assert [item["unit_price"] for item in preference["items"]] == [
        Decimal("1200"),
        Decimal("300.25"),
    ]
    async with aiohttp.ClientSession() as session, session.get(link.url) as response:
        page = await response.text()
    assert response.status == 200
    assert "Remera talle 1" in page and "Remera talle 2" in page
    assert "ARS 1.500,25" in page
    assert "Pagar" in page and "Rechazar" in page


async def test_paid_link_is_fetched_and_found_with_decimal_amounts(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    link = await asyncio.to_thread(provider.create_link, make_link("ORD-B2", prices=("2500.10",)))
    paid = await control(sandbox, "pay", {"preference_id": link.preference_id})

    report = await asyncio.to_thread(provider.fetch_payment, str(paid["id"]))
    assert report.provider == "mercadopago"
    assert report.provider_payment_id == str(paid["id"])
    assert report.status == "approved"
    assert isinstance(report.amount, Decimal)
    assert report.amount == Decimal("2500.10")
    assert report.currency == "ARS"
    assert report.external_reference == "ORD-B2"

    found = await asyncio.to_thread(provider.search_by_reference, "ORD-B2")
    assert [r.provider_payment_id for r in found] == [str(paid["id"])]
    assert await asyncio.to_thread(provider.search_by_reference, "ORD-NONE") == []


async def test_amount_and_currency_mismatches_come_back_as_reported(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    link = await asyncio.to_thread(provider.create_link, make_link("ORD-C3"))
    paid = await control(
        sandbox,
        "pay",
        {"external_reference": "ORD-C3", "amount": 10.01, "currency": "BRL"},
    )
    report = await asyncio.to_thread(provider.fetch_payment, str(paid["id"]))
    assert (report.amount, report.currency) == (Decimal("10.01"), "BRL")
    assert link.preference_id in sandbox.mercadopago.preferences


async def test_search_walks_every_page(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    link = await asyncio.to_thread(provider.create_link, make_link("ORD-MANY"))
    for _ in range(53):  # more than one page of 50
        sandbox.mercadopago.pay(sandbox.mercadopago.preferences[link.preference_id])
    found = await asyncio.to_thread(provider.search_by_reference, "ORD-MANY")
    assert len(found) == 53
    assert len({r.provider_payment_id for r in found}) == 53


async def test_same_idempotency_key_gives_the_same_preference(
    provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    first = await asyncio.to_thread(provider.create_link, make_link("ORD-D4", key="k-1"))
    again = await asyncio.to_thread(provider.create_link, make_link("ORD-D4", key="k-1"))
    other = await asyncio.to_thread(provider.create_link, make_link("ORD-D4", key="k-2"))
    assert again == first
    assert other.preference_id != first.preference_id


async def test_clp_prices_travel_as_whole_numbers(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    link = await asyncio.to_thread(
        provider.create_link, make_link("ORD-CL", prices=("15000",), currency="CLP")
    )
    price = sandbox.mercadopago.preferences[link.preference_id]["items"][0]["unit_price"]
    assert str(price) == "15000"  # an int on the wire, not 15000.0
    with pytest.raises(ValueError):  # from LinkRequest or the provider, whichever sees it first
        provider.create_link(make_link("ORD-CL2", prices=("15000.5",), currency="CLP"))


async def test_partial_then_full_refund(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    link = await asyncio.to_thread(provider.create_link, make_link("ORD-E5", prices=("900",)))
    paid = await control(sandbox, "pay", {"preference_id": link.preference_id})
    payment_id = str(paid["id"])

    partial = await asyncio.to_thread(provider.refund, payment_id, Decimal("100.50"))
    assert partial.status == "approved"
    assert Decimal(str(partial.raw["transaction_amount_refunded"])) == Decimal("100.50")

    full = await asyncio.to_thread(provider.refund, payment_id)
    assert full.status == "refunded"
    assert Decimal(str(full.raw["transaction_amount_refunded"])) == Decimal("900")

    with pytest.raises(ProviderRejected) as error:
        await asyncio.to_thread(provider.refund, payment_id)
    assert error.value.status == 400


async def test_refund_with_an_idempotency_key_happens_once(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    link = await asyncio.to_thread(provider.create_link, make_link("ORD-F6", prices=("500",)))
    paid = await control(sandbox, "pay", {"preference_id": link.preference_id})
    for _ in range(2):
        report = await asyncio.to_thread(
            lambda: provider.refund(str(paid["id"]), Decimal("50"), idempotency_key="r-1")
        )
    assert Decimal(str(report.raw["transaction_amount_refunded"])) == Decimal("50")


async def test_server_errors_are_unavailable(
    sandbox: Sandbox, provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    sandbox.mercadopago.set_faults(error_rate=1.0, seed=1)
    with pytest.raises(ProviderUnavailable):
        await asyncio.to_thread(provider.create_link, make_link("ORD-G7"))
    with pytest.raises(ProviderUnavailable):
        await asyncio.to_thread(provider.fetch_payment, "1310000001")


async def test_closed_port_is_unavailable(make_link: LinkFactory) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    provider = MercadoPagoProvider("TEST", None, endpoint=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(ProviderUnavailable):
        await asyncio.to_thread(provider.create_link, make_link("ORD-H8"))


async def test_unknown_payment_is_rejected_not_retryable(provider: MercadoPagoProvider) -> None:
    with pytest.raises(ProviderRejected) as error:
        await asyncio.to_thread(provider.fetch_payment, "999")
    assert error.value.status == 404


@pytest.mark.parametrize("payment_id", ["search", "search?limit=1", "1/refunds", "", "-1", "١"])
async def test_an_id_that_cannot_be_a_payment_is_refused_for_good(
    provider: MercadoPagoProvider, sandbox: Sandbox, payment_id: str
) -> None:
    """`search` used to fetch the payments listing, read as "unavailable" and retried forever."""
    with pytest.raises(ProviderRejected, match="not a MercadoPago payment id"):
        await asyncio.to_thread(provider.fetch_payment, payment_id)
    sandbox.mercadopago.set_faults(error_rate=1.0)  # refused without asking the API at all
    with pytest.raises(ProviderRejected):
        await asyncio.to_thread(provider.fetch_payment, payment_id)


async def test_bad_token_is_rejected(make_link: LinkFactory) -> None:
    async with Sandbox(SandboxConfig(mp_access_token="APP_USR-right")) as sandbox:
        endpoint = f"{sandbox.url}/mercadopago"
        wrong = MercadoPagoProvider("APP_USR-wrong", None, endpoint=endpoint)
        with pytest.raises(ProviderRejected) as error:
            await asyncio.to_thread(wrong.create_link, make_link("ORD-I9"))
        assert error.value.status == 401

        right = MercadoPagoProvider("APP_USR-right", None, endpoint=endpoint)
        link = await asyncio.to_thread(right.create_link, make_link("ORD-I9"))
        assert link.preference_id in sandbox.mercadopago.preferences


async def test_notification_url_does_not_raise_the_sdk_deprecation_warning(
    provider: MercadoPagoProvider, make_link: LinkFactory
) -> None:
    def create() -> list[warnings.WarningMessage]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            provider.create_link(make_link("ORD-J1", notification_url="http://127.0.0.1:9/h"))
        return caught

    caught = await asyncio.to_thread(create)
    assert [w for w in caught if issubclass(w.category, DeprecationWarning)] == []


async def test_an_answer_that_is_not_the_payment_is_refused_for_good() -> None:
    """A proxy or an API change answering a listing (or another payment) for
    `/v1/payments/123`: not a payment, so retrying cannot help."""
    answers = [
        {"paging": {"total": 0, "limit": 30, "offset": 0}, "results": []},
        {"id": 124, "status": "approved", "transaction_amount": 1, "currency_id": "ARS"},
    ]

    async def listing(request: web.Request) -> web.Response:
        return web.json_response(answers[0])

    app = web.Application()
    app.router.add_get("/v1/payments/{id}", listing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        provider = MercadoPagoProvider("TEST", None, endpoint=f"http://127.0.0.1:{port}")
        for _ in range(len(answers)):
            with pytest.raises(ProviderRejected, match="not payment 123"):
                await asyncio.to_thread(provider.fetch_payment, "123")
            answers.pop(0)
    finally:
        await runner.cleanup()
