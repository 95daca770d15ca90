"""Buyers' personal data: retention and `forget`, checked by scanning every table."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

from delivery_helpers import HOME, RULES, ars, digital_catalog, pay
from sqlalchemy import select
from store_helpers import BETO, T0, TTL, buy

from commerce.alerts import AlertKind, AlertSpec, Destination
from commerce.auctions import AuctionRules
from commerce.db import make_engine
from commerce.models import TABLES
from commerce.payer_proof import Claim
from commerce.store import Store
from commerce.views import LineRequest, TipSource, ViewerRef

KEEP = timedelta(days=90)
# A name long enough to be found anywhere it is left (the shared ANA is just "ana").
ANA = ViewerRef("twitch", "u-ana", "AnitaDelMate")
TIP_NOTE = "soy Ana de Villa María"
SHOUTOUT = "saludos a mi abuela Rosaura"


def _event(kind: str, **fields: Any) -> list[tuple[str, str]]:
    """An outbox row shaped as bots.runtime.event_codec writes it (views as JSON objects)."""
    plain = {k: dataclasses.asdict(v) for k, v in fields.items()}
    return [(f"bots.runtime.events:{kind}", json.dumps(plain, default=str))]


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
    """Every table that can hold the buyer's name, ids or words gets a row about them first:
    delivery details, payer data, a tip message, a shout-out message, an owner alert, a held
    alert, an auction bid and events in the outbox."""
    digital_catalog(shop)
    order = buy(shop, viewer=ANA)
    shop.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    pay(shop, order.code, "p1", payer_name="Ana Pérez", payer_email="ana.perez@mail.com")
    shop.mark_shipped([order.code], "Correo", "CP1")
    tip = shop.create_tip(
        ANA,
        "c",
        shop.get_order(order.code).total,
        TIP_NOTE,
        TipSource.LINK,
        ttl=timedelta(minutes=5),
        now=T0,
        events=lambda t: _event("TipReceived", tip=t),
    )
    shoutout = buy(shop, "SALUDO", viewer=ANA, now=T0 + timedelta(minutes=2))
    shop.set_shoutout_message(shoutout.code, SHOUTOUT)
    pay(shop, shoutout.code, "p2", minutes=3)
    paid = shop.get_order(shoutout.code)
    shop.publish_events(_event("OrderPaid", order=paid), now=T0)
    shop.record_alert(
        AlertSpec(
            AlertKind.PAID,
            f"paid:{paid.code}",
            paid.code,
            platform="twitch",
            buyer=ANA.display_name,
            summary="Saludo",
            amount=paid.total,
        ),
        [Destination("telegram", "owner-1")],
        now=T0,
    )
    alert = {
        "buyer": ANA.display_name,
        "platform": "twitch",
        "headline": f"{ANA.display_name} dejó una propina: {TIP_NOTE}",
        "message": TIP_NOTE,
        "speak": TIP_NOTE,
    }
    held = {"alert": alert, "name": ANA.display_name, "message": TIP_NOTE, "matched": ["María"]}
    shop.hold_alert("tip", tip.code, json.dumps(held, ensure_ascii=False), "word", now=T0)
    shop.auction_start(
        "STICK",
        None,
        ars("1000"),
        timedelta(minutes=2),
        AuctionRules(increment=ars("100")),
        platform="twitch",
        channel_id="canal",
        now=T0,
    )
    shop.auction_bid(
        ANA,
        "canal",
        ars("1500"),
        now=T0 + timedelta(seconds=5),
        events=lambda outcome: _event("AuctionChanged", auction=outcome.auction),
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
        ANA.display_name,
        "Rosaura",
    ]
    before = _scan(shop.url)
    assert all(p in before for p in personal[:4] + personal[-3:])

    assert shop.forget_buyer("twitch", "u-ana")
    after = _scan(shop.url)
    for text in personal:
        assert text not in after, text
    kept = shop.get_order(order.code)
    assert kept.total.amount == Decimal("13000.00") and kept.status == "paid"
    assert kept.viewer.display_name == "(borrado)"
    assert [p.amount for p in shop.payments_for(order.code)] == [Decimal("13000.00")]
    assert shop.get_tip(tip.code).message == ""
    assert shop.get_order(shoutout.code).total == paid.total
    assert [s.message for s in shop.shoutout_queue()] == [None]  # still to do, unnamed
    # The rows that other processes and the panel read still read as before.
    events = shop.events_after(0)
    assert len(events) == 3
    for row in events:
        json.loads(row.body)
    [kept_alert] = shop.list_alerts(None, 10)
    assert (kept_alert.buyer, kept_alert.amount) == ("(borrado)", paid.total)
    [still_held] = shop.held_alerts()
    assert json.loads(still_held.payload)["alert"]["buyer"] == "(borrado)"
    [(bid, _)] = shop.auction_bids(shop.current_auction().id)  # type: ignore[union-attr]
    assert (bid.name, bid.amount) == ("(borrado)", ars("1500"))
    assert shop.get_order(other.code).viewer.display_name == "beto"
    assert not shop.forget_buyer("twitch", "u-ana")  # nobody left by that id


def test_forget_covers_private_chats_and_buyers_who_only_bid(shop: Store) -> None:
    """On Telegram a private chat's id is the buyer's user id: it goes from their orders and
    tips too. Someone who only bid has no viewer row, yet is forgotten (their bids)."""
    tg = ViewerRef("telegram", "987654321", "MaríaDelMar")
    order = shop.reserve(tg, tg.user_id, [LineRequest("TAZA", 1)], ttl=TTL, now=T0)
    tip = shop.create_tip(
        tg, tg.user_id, ars("500"), "", TipSource.LINK, ttl=timedelta(minutes=5), now=T0
    )
    shop.auction_start(
        "STICK",
        None,
        ars("1000"),
        timedelta(minutes=2),
        AuctionRules(increment=ars("100")),
        platform="twitch",
        channel_id="canal",
        now=T0,
    )
    bidder = ViewerRef("twitch", "u-solo-puja", "SoloPujaba")
    shop.auction_bid(
        bidder,
        "canal",
        ars("1200"),
        now=T0 + timedelta(seconds=1),
        events=lambda outcome: _event("AuctionChanged", auction=outcome.auction),
    )
    assert tg.user_id in _scan(shop.url) and "SoloPujaba" in _scan(shop.url)

    assert shop.forget_buyer("telegram", tg.user_id)
    assert shop.forget_buyer("twitch", "u-solo-puja")
    after = _scan(shop.url)
    for text in (tg.user_id, tg.display_name, "u-solo-puja", "SoloPujaba"):
        assert text not in after, text
    assert shop.get_order(order.code).total == order.total
    assert shop.get_tip(tip.code).amount == ars("500")
    [(bid, _)] = shop.auction_bids(shop.current_auction().id)  # type: ignore[union-attr]
    assert (bid.name, bid.amount) == ("(borrado)", ars("1200"))
    assert not shop.forget_buyer("twitch", "u-solo-puja")


def test_forget_covers_details_given_in_a_private_chat_for_an_order_bought_elsewhere(
    shop: Store,
) -> None:
    order = buy(shop)  # on Twitch; the details came later through the Telegram bot
    pay(shop, order.code, "p-link", payer_name="Ana Pérez", payer_email="ana@pago.example")
    assert shop.prove_delivery(order.code, "telegram:555", "p-link").state is Claim.MINE
    shop.set_delivery_details(order.code, RULES, "correo", HOME, now=T0)
    assert "ana@pago.example" in _scan(shop.url)

    assert shop.forget_buyer("telegram", "555")
    after = _scan(shop.url)
    for text in ("telegram:555", "ana@pago.example", HOME.street, HOME.name):
        assert text not in after, text
    assert shop.get_order(order.code).total == order.total


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
