"""Moderation settings, words and held alerts, and the widgets' leaderboards, on both
databases: what the owner set and what waits for approval survive a restart."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

from store_helpers import ANA, BETO, CARLA, DANI, T0, buy

from commerce.money import Money
from commerce.store import Store
from commerce.views import PaymentReport, TipSource


def pay(store: Store, code: str, amount: str, at_minutes: int = 1) -> None:
    store.record_payment(
        PaymentReport("mercadopago", f"p-{code}", "approved", Decimal(amount), "ARS", code),
        now=T0 + timedelta(minutes=at_minutes),
    )


def tip(store: Store, viewer: object, amount: int, minutes: int, message: str = "") -> str:
    view = store.create_tip(
        viewer,  # type: ignore[arg-type]
        "canal",
        Money(Decimal(amount), "ARS"),
        message,
        TipSource.BITS,
        ttl=timedelta(minutes=5),
        external_id=f"t{minutes}-{amount}",
        now=T0 + timedelta(minutes=minutes),
    )
    return view.code


def test_settings_and_words_are_kept(store: Store) -> None:
    assert store.moderation_settings() is None
    store.save_moderation_settings("hide", "above", Decimal("10000.50"), now=T0)
    store.save_moderation_settings("hold", "above", Decimal("20000.25"), now=T0)
    saved = store.moderation_settings()
    assert saved is not None
    assert (saved.action, saved.hold, saved.hold_above) == ("hold", "above", Decimal("20000.25"))
    store.add_moderation_word("chanta", "block")
    store.add_moderation_word("pelotudo", "allow")
    store.add_moderation_word("chanta", "allow")  # changes kind, stays one row
    assert [(w.word, w.kind) for w in store.moderation_words()] == [
        ("chanta", "allow"),
        ("pelotudo", "allow"),
    ]
    assert store.remove_moderation_word("chanta") is True
    assert store.remove_moderation_word("chanta") is False
    again = Store(store.url)  # a restart
    assert [w.word for w in again.moderation_words()] == ["pelotudo"]
    again.close()


def test_an_alert_is_held_once_and_decided_once_even_by_racing_moderators(store: Store) -> None:
    first, created = store.hold_alert("tip", "T1", '{"id": 1}', "words", now=T0)
    again, created_again = store.hold_alert("tip", "T1", '{"id": 2}', "words", now=T0)
    assert created and not created_again
    assert again.id == first.id and again.payload == '{"id": 1}'
    store.hold_alert("order", "T1", "{}", "amount", now=T0 + timedelta(minutes=1))
    assert [(h.kind, h.code) for h in store.held_alerts()] == [("tip", "T1"), ("order", "T1")]
    results: list[object] = []

    def decide(approve: bool) -> None:
        results.append(store.decide_held_alert(first.id, approve, "staff"))

    threads = [threading.Thread(target=decide, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [r for r in results if r is not None]
    assert len(won) == 1
    assert [h.code for h in store.held_alerts()] == ["T1"]  # the order's, still waiting
    decided = store.held_alerts(won[0].status)  # type: ignore[attr-defined]
    assert [h.id for h in decided] == [first.id]
    assert store.held_statuses("tip", ["T1", "NONE"]) == {"T1": won[0].status}  # type: ignore[attr-defined]


def test_recent_events_mix_sales_and_tips_newest_first(shop: Store) -> None:
    a = buy(shop, "TAZA", 2)
    pay(shop, a.code, "17000", at_minutes=1)
    buy(shop, "STICK", 1, viewer=DANI)  # never paid: not shown
    tip(shop, CARLA, 500, minutes=3, message="¡vamos!")
    b = buy(shop, "STICK", 1, viewer=BETO, now=T0 + timedelta(minutes=4))
    pay(shop, b.code, "2500.50", at_minutes=5)
    found = shop.recent_events(10)
    assert [(e.kind, e.name, e.amount) for e in found] == [
        ("order", "beto", Money(Decimal("2500.50"), "ARS")),
        ("tip", "carla", Money(Decimal(500), "ARS")),
        ("order", "ana", Money(Decimal(17000), "ARS")),
    ]
    assert found[1].detail == "¡vamos!" and found[2].detail == "2× Taza"
    assert [e.kind for e in shop.recent_events(2)] == ["order", "tip"]


def test_top_supporters_of_the_stream_and_of_all_time(shop: Store) -> None:
    old = buy(shop, "TAZA", 1, viewer=BETO, now=T0 - timedelta(hours=5))
    pay(shop, old.code, "8500", at_minutes=-299)
    tip(shop, BETO, 9000, minutes=-298)
    now = T0 + timedelta(minutes=30)
    a = buy(shop, "STICK", 2)
    pay(shop, a.code, "5001", at_minutes=2)
    tip(shop, ANA, 300, minutes=3)
    tip(shop, ANA, 200, minutes=4)
    tip(shop, CARLA, 400, minutes=5)

    def top(by: str, stream: bool) -> list[tuple[str, int, Decimal]]:
        found = shop.top_supporters(by, "ARS", stream=stream, now=now)
        return [(s.name, s.count, s.amount.amount) for s in found]

    assert top("tips", True) == [("ana", 2, Decimal(500)), ("carla", 1, Decimal(400))]
    assert top("tips", False) == [
        ("beto", 1, Decimal(9000)),
        ("ana", 2, Decimal(500)),
        ("carla", 1, Decimal(400)),
    ]
    assert top("purchases", True) == [("ana", 1, Decimal("5001.00"))]
    assert top("purchases", False) == [("beto", 1, Decimal(8500)), ("ana", 1, Decimal("5001"))]
    assert shop.top_supporters("tips", "USD", stream=False, now=now) == []
