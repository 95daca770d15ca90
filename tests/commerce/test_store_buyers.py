"""Buyers' personal data: retention and `forget`, checked by scanning every table."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from delivery_helpers import HOME, RULES, pay
from sqlalchemy import select
from store_helpers import ANA, BETO, T0, buy

from commerce.db import make_engine
from commerce.models import TABLES
from commerce.store import Store
from commerce.views import TipSource

KEEP = timedelta(days=90)


def _scan(url: str) -> str:
    """Every text and JSON value of every table, as one string."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            seen = []
            for table in TABLES:
                for row in conn.execute(select(table)).mappings():
                    seen.extend(str(v) for v in row.values())
            return "\n".join(seen)
    finally:
        engine.dispose()


def test_forget_leaves_no_personal_string_and_keeps_the_accounting(shop: Store) -> None:
    order = buy(shop)
    shop.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    pay(shop, order.code, "p1", payer_name="Ana Pérez", payer_email="ana.perez@mail.com")
    shop.mark_shipped([order.code], "Correo", "CP1")
    tip = shop.create_tip(
        ANA,
        "c",
        shop.get_order(order.code).total,
        "soy Ana de Villa María",
        TipSource.LINK,
        ttl=timedelta(minutes=5),
        now=T0,
    )
    other = buy(shop, viewer=BETO)
    personal = [
        "Ana Pérez",
        "5491155551234",
        "Siempreviva",
        "Villa María",
        "ana.perez",
        "u-ana",
        "timbre 2",
    ]
    before = _scan(shop.url)
    assert all(p in before for p in personal[:4])

    assert shop.forget_buyer("twitch", "u-ana")
    after = _scan(shop.url)
    for text in personal:
        assert text not in after, text
    kept = shop.get_order(order.code)
    assert kept.total.amount == Decimal("13000.00") and kept.status == "paid"
    assert kept.viewer.display_name == "(borrado)"
    assert [p.amount for p in shop.payments_for(order.code)] == [Decimal("13000.00")]
    assert shop.get_tip(tip.code).message == ""
    assert shop.get_order(other.code).viewer.display_name == "beto"
    assert not shop.forget_buyer("twitch", "u-ana")  # nobody left by that id


def test_details_are_erased_after_the_retention_time(shop: Store) -> None:
    done = buy(shop)
    shop.set_delivery_details(done.code, RULES, "correo", HOME, now=T0)
    pay(shop, done.code, "p1")
    shop.mark_delivered(done.code, now=T0 + timedelta(days=1))
    waiting = buy(shop, viewer=BETO)
    shop.set_delivery_details(waiting.code, RULES, "correo", HOME, now=T0)
    pay(shop, waiting.code, "p2")
    cancelled = buy(shop, "STICK", viewer=BETO, now=T0 + timedelta(minutes=30))
    shop.set_delivery_details(cancelled.code, RULES, "local", HOME, now=T0)
    shop.cancel_order(cancelled.code)

    soon = T0 + timedelta(days=90, hours=1)
    assert shop.erase_personal_data(KEEP, now=soon) == 1  # cancelled
    assert shop.delivery_details(done.code) is not None
    assert shop.erase_personal_data(KEEP, now=T0 + timedelta(days=92)) == 1  # delivered
    assert shop.delivery_details(done.code) is None
    assert shop.delivery_details(waiting.code) is not None  # not delivered yet: kept
    assert shop.erase_personal_data(KEEP, now=T0 + timedelta(days=400)) == 0
