"""OwnerAlerts on a real store: who is told, in which words, once per fact; orders still
missing delivery details after N hours; retries of sends that never reached the platform;
and the digest's one message.

The missing-details check reads `missing_details_source(store)`, the one function that
tells which paid orders lack delivery details (a stand-in until the delivery core's
`Store.orders_missing_details`): these tests pay orders and never give them details.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from adapters.base import Reply
from bots.chat.i18n import Messages
from bots.config import AlertSettings
from bots.runtime.alerts import OwnerAlerts, missing_details_source
from bots.runtime.events import DeliveryLinkLocked, OrderPaid, RefundNeeded, TipReceived
from commerce.alerts import AlertKind, Destination
from commerce.money import Money
from commerce.views import LineRequest, OrderView, PaymentReport, TipSource, ViewerRef

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
ANA = ViewerRef("telegram", "501", "ana")


class Owner:
    """Collects what OwnerAlerts hands to the outboxes, and plays the outbox's receipt."""

    def __init__(self) -> None:
        self.sent: list[Reply] = []

    async def send(self, reply: Reply) -> None:
        self.sent.append(reply)


class Now:
    """The alerts' clock, moved by the test."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


NOW = Now()


def alerts_on(store: Any, owner: Owner, **settings: Any) -> OwnerAlerts:
    NOW.at = T0
    alerts = OwnerAlerts(
        store,
        Messages(),
        replace(AlertSettings(), **settings),
        locale="es",
        owner_ids={"telegram": frozenset({"111"})},
        send=owner.send,
        ready=lambda: ["telegram", "discord"],
        missing_details=missing_details_source(store),
        clock=NOW,
    )
    return alerts


def paid_order(store: Any, at: datetime, sku: str = "TAZA", quantity: int = 1) -> OrderView:
    channel = f"canal-{at.timestamp()}-{sku}"
    order: OrderView = store.reserve(
        ANA, channel, [LineRequest(sku, quantity)], ttl=timedelta(minutes=15), now=at
    )
    store.record_payment(
        PaymentReport(
            "mercadopago", f"pay-{order.code}", "approved", order.total.amount, "ARS", order.code
        ),
        now=at + timedelta(minutes=1),
    )
    paid: OrderView = store.get_order(order.code)
    return paid


def money(amount: str) -> str:
    return Messages().money(Money(Decimal(amount), "ARS"), "es")


async def test_a_paid_order_is_told_once_to_each_owner_in_words(store: Any) -> None:
    owner = Owner()
    alerts = alerts_on(store, owner)
    store.add_owner("discord", "222", "lu")
    store.add_owner("twitch", "333", "lu")  # Twitch has no private chat for alerts
    order = paid_order(store, T0, quantity=2)
    await alerts.on_event(OrderPaid(order))
    await alerts.on_event(OrderPaid(order))  # a repeated webhook: nothing new
    assert await alerts.dispatch() == 2
    assert sorted((r.mention.platform, r.channel) for r in owner.sent if r.mention) == [
        ("discord", "222"),
        ("telegram", "111"),
    ]
    text = owner.sent[0].text
    assert text == f"💰 Pedido {order.code} pagado: 2× Taza — {money('17000')} (ana, Telegram)."
    assert all(r.private and r.mention and r.mention.id == r.channel for r in owner.sent)
    assert await alerts.dispatch() == 0  # taken: not sent again while on its way


async def test_each_event_goes_only_where_config_says(store: Any) -> None:
    owner = Owner()
    store.add_owner("discord", "222", "lu")
    routes = {"paid": ("discord",), "tip": (), "refund_needed": ("telegram",)}
    alerts = alerts_on(store, owner, routes=routes)
    assert alerts.destinations(AlertKind.PAID) == [Destination("discord", "222")]
    assert alerts.destinations(AlertKind.TIP) == []
    assert alerts.destinations(AlertKind.MISSING_DETAILS) == []
    tip = store.create_tip(
        ANA, "c", Money(Decimal("500"), "ARS"), "hola", TipSource.LINK, ttl=timedelta(1)
    )
    await alerts.on_event(TipReceived(tip))
    assert await alerts.dispatch() == 0
    [shown] = store.list_alerts()  # the panel has it all the same
    assert shown.kind is AlertKind.TIP and shown.sent_to == shown.waiting_for == ()


async def test_refund_needed_says_the_order_and_why(store: Any) -> None:
    owner = Owner()
    alerts = alerts_on(store, owner)
    order = paid_order(store, T0)
    paid = Money(Decimal("8500"), "ARS")
    await alerts.on_event(RefundNeeded(order, reason="out_of_stock", amount=paid))
    await alerts.dispatch()
    [reply] = owner.sent
    assert order.code in reply.text and money("8500") in reply.text
    assert "se pagó después de vencer y ya no queda stock" in reply.text
    assert f"vivo orders refund {order.code}" in reply.text


async def test_orders_missing_details_after_n_hours_are_told_once(store: Any) -> None:
    owner = Owner()
    alerts = alerts_on(store, owner, missing_details_hours=6)
    now = T0 + timedelta(hours=8)
    NOW.at = now
    late = paid_order(store, now - timedelta(hours=7))
    recent = paid_order(store, now - timedelta(hours=2), sku="STICK")
    delivered = paid_order(store, now - timedelta(hours=9), quantity=3)
    store.fulfill_order(delivered.code)

    assert await alerts.check_missing_details() == 1
    assert await alerts.check_missing_details() == 0  # once per order
    await alerts.dispatch()
    [reply] = owner.sent
    assert reply.text == (
        f"📦 El pedido {late.code} (Taza) lleva 6 horas pagado sin datos de entrega."
    )
    assert recent.code not in reply.text

    NOW.at = now + timedelta(hours=5)
    assert await alerts.check_missing_details() == 1  # now the second one is late too
    assert [a.code for a in store.list_alerts([AlertKind.MISSING_DETAILS])] == [
        recent.code,
        late.code,
    ]


async def test_a_locked_deep_link_tells_the_owner_to_complete_the_details(store: Any) -> None:
    owner = Owner()
    alerts = alerts_on(store, owner)
    order = paid_order(store, T0)
    await alerts.on_event(DeliveryLinkLocked(order))
    await alerts.on_event(DeliveryLinkLocked(order))  # another process heard it too: once
    await alerts.dispatch()
    [reply] = owner.sent
    assert reply.text == (
        f"🔒 El enlace de Telegram del pedido {order.code} (Taza) se bloqueó por números "
        "de operación equivocados: completa su entrega en el panel."
    )
    [kept] = store.list_alerts([AlertKind.MISSING_DETAILS])
    assert (kept.code, kept.reason) == (order.code, "link_locked")  # the panel's list too


async def test_a_send_that_never_reached_the_platform_is_retried_then_done(store: Any) -> None:
    owner = Owner()
    alerts = alerts_on(store, owner, routes={"paid": ("telegram",)})
    alerts.retry_first = timedelta(seconds=30)
    await alerts.on_event(OrderPaid(paid_order(store, T0)))
    assert await alerts.dispatch() == 1  # the outbox failed it: no receipt came back
    NOW.at = T0 + timedelta(seconds=10)
    assert await alerts.dispatch() == 0
    NOW.at = T0 + timedelta(seconds=31)
    assert await alerts.dispatch() == 1
    second = owner.sent[-1]
    assert second.text == owner.sent[0].text and second.receipt is not None
    await alerts.handed_over(second.receipt)  # the adapter took it this time
    NOW.at = T0 + timedelta(hours=5)
    assert await alerts.dispatch() == 0
    assert store.list_alerts()[0].sent_to == ("telegram",)


async def test_digest_batches_a_period_into_one_message(store: Any) -> None:
    owner = Owner()
    routes = {k: ("telegram",) for k in ("paid", "tip", "refund_needed", "missing_details")}
    alerts = alerts_on(store, owner, routes=routes, digest=True, digest_minutes=15)
    one = paid_order(store, T0)
    two = paid_order(store, T0, sku="STICK", quantity=2)
    tip = store.create_tip(
        ANA, "c", Money(Decimal("3000"), "ARS"), "", TipSource.LINK, ttl=timedelta(1)
    )
    for event in (OrderPaid(one), OrderPaid(two), TipReceived(tip)):
        await alerts.on_event(event)
    await alerts.on_event(RefundNeeded(one, reason="already_paid", amount=one.total))
    NOW.at = T0 + timedelta(minutes=14)
    assert await alerts.dispatch() == 0  # the period is not over
    NOW.at = T0 + timedelta(minutes=15)
    assert await alerts.dispatch() == 1
    [digest] = owner.sent
    total = money(str(one.total.amount + two.total.amount))
    assert digest.text == (
        f"Resumen de los últimos 15 minutos: 2 pedidos pagados ({total}); "
        f"1 propina ({money('3000')}); 1 reembolso pendiente ({one.code})."
    )
    assert digest.receipt is not None
    await alerts.handed_over(digest.receipt)
    assert all(a.sent_to == ("telegram",) for a in store.list_alerts())


async def test_a_slow_outbox_is_not_handed_the_same_alert_twice(store: Any) -> None:
    owner = Owner()
    alerts = alerts_on(store, owner, routes={"paid": ("telegram",)})
    queued = {"telegram": True}  # the outbox is still working through a backlog
    alerts.busy = lambda platform: queued.get(platform, False)
    alerts.retry_first = timedelta(seconds=30)
    await alerts.on_event(OrderPaid(paid_order(store, T0)))
    assert await alerts.dispatch() == 1
    NOW.at = T0 + timedelta(minutes=5)  # its retry time passed while it waited in the queue
    assert await alerts.dispatch() == 0
    queued["telegram"] = False  # the queue emptied and no receipt came: the send failed
    assert await alerts.dispatch() == 1
    assert len(owner.sent) == 2


async def test_what_the_owner_saved_in_the_panel_wins_over_config_after_a_restart(
    store: Any,
) -> None:
    from commerce.alerts import Preferences

    store.save_alert_preferences(Preferences({"paid": ()}, True, 30, 12))
    owner = Owner()
    alerts = alerts_on(store, owner)  # a fresh start, config says every event everywhere
    assert alerts.destinations(AlertKind.PAID) != []
    await alerts.refresh()
    assert alerts.destinations(AlertKind.PAID) == []
    assert alerts.settings.digest and alerts.settings.digest_minutes == 30
    assert alerts.settings.missing_details_hours == 12
    assert alerts.settings.routes["tip"] == ("telegram", "discord")  # not saved: config's
