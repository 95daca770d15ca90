"""The shout-out queue (commerce.shoutouts), on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from delivery_helpers import digital_catalog, pay
from store_helpers import ANA, BETO, CARLA, DANI, T0, buy

from commerce import errors
from commerce.store import Store
from commerce.views import OrderStatus


@pytest.fixture
def digital(shop: Store) -> Store:
    digital_catalog(shop)
    return shop


def test_paid_shoutouts_wait_oldest_payment_first_with_their_messages(digital: Store) -> None:
    first = buy(digital, "SALUDO", viewer=BETO)
    second = buy(digital, "SALUDO", viewer=ANA, now=T0 + timedelta(minutes=1))
    unpaid = buy(digital, "SALUDO", viewer=CARLA)
    other = buy(digital, "EBOOK", viewer=DANI, now=T0 + timedelta(minutes=2))
    digital.set_shoutout_message(second.code, "  ¡feliz cumple Ana!  ")
    pay(digital, second.code, "p2", minutes=3)  # paid first, though reserved later
    pay(digital, first.code, "p1", minutes=4)
    pay(digital, other.code, "p3", minutes=5)
    waiting = digital.shoutout_queue()
    assert [(w.code, w.name, w.message) for w in waiting] == [
        (second.code, "ana", "¡feliz cumple Ana!"),
        (first.code, "beto", None),  # no message: their name only
    ]
    assert waiting[0].products == ("Saludo",) and waiting[0].platform == "twitch"
    assert unpaid.code not in {w.code for w in waiting}


def test_done_takes_the_oldest_or_the_given_one_and_is_idempotent(digital: Store) -> None:
    a = buy(digital, "SALUDO", viewer=ANA)
    b = buy(digital, "SALUDO", viewer=BETO)
    pay(digital, a.code, "p1", minutes=1)
    pay(digital, b.code, "p2", minutes=2)
    later = T0 + timedelta(hours=1)
    given = digital.shoutout_done(b.code, actor="mod", now=later)
    assert given is not None and given.changed and given.order.code == b.code
    assert given.order.status == OrderStatus.FULFILLED and given.order.fulfilment == "delivered"
    oldest = digital.shoutout_done(now=later)
    assert oldest is not None and oldest.order.code == a.code and oldest.changed
    assert digital.shoutout_queue() == []
    assert digital.shoutout_done() is None  # nothing waits
    again = digital.shoutout_done(a.code)
    assert again is not None and not again.changed
    kinds = [e.kind for e in digital.panel_order_history(a.code)]
    assert kinds.count("delivered") == 1


def test_done_refuses_an_order_that_is_not_a_shoutout(digital: Store) -> None:
    order = buy(digital, "EBOOK")
    pay(digital, order.code, "p1")
    with pytest.raises(errors.OrderNotFound):
        digital.shoutout_done(order.code)
    with pytest.raises(errors.OrderNotFound):
        digital.shoutout_done("NOPE99")


def test_a_long_message_is_cut(digital: Store) -> None:
    order = buy(digital, "SALUDO")
    digital.set_shoutout_message(order.code, "a" * 500)
    pay(digital, order.code, "p1")
    (waiting,) = digital.shoutout_queue()
    assert waiting.message == "a" * 200
