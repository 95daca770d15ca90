"""The quota planner and the message packing, on a hand-driven clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from adapters.base import ChatUser, Priority, Reply
from adapters.youtube import _Pending, compact, pack, render, seconds_until_reset
from adapters.youtube_quota import COSTS, INSERT, POLL, Level, QuotaLedger, QuotaPlanner, quota_day


class HandClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def planner(**kw: object) -> tuple[QuotaPlanner, HandClock]:
    clock = HandClock()
    options: dict[str, object] = {"daily_budget": 10_000, "stream_seconds": 2 * 3600.0}
    options.update(kw)
    return QuotaPlanner(clock=clock, **options), clock  # type: ignore[arg-type]


def test_the_polling_interval_spreads_the_poll_share_over_the_stream() -> None:
    plan, _ = planner(reply_share=0.5)
    # 5,000 units for polls = 1,000 polls over 7,200 s
    assert plan.poll_interval() == pytest.approx(7.2)
    assert plan.poll_interval(suggested=9.0) == 9.0  # YouTube's own interval is a floor


def test_spending_ahead_of_plan_slows_polling_down_to_the_cap() -> None:
    plan, _ = planner()
    before = plan.poll_interval()
    plan.spent = 6_000
    slower = plan.poll_interval()
    assert slower > before
    plan.spent = 9_990
    assert plan.poll_interval() == plan.max_interval


def test_unspent_units_speed_polling_up_later_in_the_stream() -> None:
    plan, clock = planner()
    start = plan.poll_interval()
    clock.t = 3600  # half the stream gone, nothing spent
    assert plan.poll_interval() < start
    assert plan.poll_interval() >= plan.min_interval


def test_charges_follow_the_published_prices() -> None:
    plan, _ = planner()
    plan.charge(POLL)
    plan.charge(INSERT)
    plan.charge("videos.list")
    assert plan.spent == COSTS[POLL] + COSTS[INSERT] + COSTS["videos.list"] == 26
    assert plan.calls[POLL] == 1


def test_levels_degrade_in_order_announcements_before_links() -> None:
    plan, _ = planner()
    seen = []
    for spent in (0, 3_000, 6_000, 8_000):
        plan.spent = spent
        seen.append(
            (
                plan.level(),
                plan.drops(Priority.ANNOUNCE),
                plan.drops(Priority.REPLY),
                plan.drops(Priority.PAYMENT),
            )
        )
    assert seen == [
        (Level.NORMAL, False, False, False),
        (Level.TIGHT, False, False, False),
        (Level.LOW, True, False, False),
        (Level.CRITICAL, True, True, False),
    ]
    plan.mark_exhausted()
    assert plan.level() is Level.EXHAUSTED
    assert not plan.may_send(Priority.PAYMENT)


def test_links_seen_reserve_units_for_the_links_to_come() -> None:
    plan, clock = planner()
    assert plan.link_reserve() == 0
    clock.t = 1800
    for _ in range(60):  # 60 links in the first half hour: 180 more expected
        plan.note_link()
    assert plan.link_reserve() == 180 * COSTS[INSERT]
    assert plan.health() < 1.0  # the same units left are worth less with links to pay for
    plan.spent = plan.daily_budget - plan.link_reserve() - plan.poll_floor()
    assert plan.may_send(Priority.PAYMENT)
    assert not plan.may_send(Priority.REPLY)  # replies never eat into the links' reserve


def test_announcements_wait_longer_when_tight() -> None:
    plan, _ = planner()
    normal = plan.hold(Priority.ANNOUNCE)
    plan.spent = 3_000
    assert plan.hold(Priority.ANNOUNCE) > normal
    assert plan.hold(Priority.PAYMENT) == plan.gather


def test_replies_never_take_the_units_needed_to_keep_listening() -> None:
    plan, _ = planner()
    floor = plan.poll_floor()
    assert floor == (7200 // 30 + 1) * 5
    plan.spent = plan.daily_budget - floor - COSTS[INSERT]
    assert plan.may_send(Priority.PAYMENT)
    plan.spent += 1
    assert not plan.may_send(Priority.PAYMENT)


def test_a_stream_running_late_still_plans_some_time_ahead() -> None:
    plan, clock = planner(overtime=1800.0)
    clock.t = 3 * 3600  # an hour past the planned end
    plan.spent = 8_000
    assert plan.time_left() == 1800.0
    # 1,000 units for polls = 200 polls over the assumed 30 minutes
    assert plan.poll_interval() == pytest.approx(9.0)


def u(name: str) -> ChatUser:
    return ChatUser("youtube", name, name)


def test_render_turns_a_private_reply_into_a_mention() -> None:
    live = "chat"
    assert render(Reply(live, "tu link: x", mention=u("ana"), private=True)) == "@ana tu link: x"
    assert render(Reply(live, "ana, tu link", mention=u("ana"))) == "@ana, tu link"
    assert render(Reply(live, "hola @ana", mention=u("ana"))) == "hola @ana"
    assert render(Reply(live, "hola", mention=u("@ana"))) == "@ana hola"
    assert render(Reply(live, "¡Gracias ana! Llegó", mention=u("ana"))) == "¡Gracias @ana! Llegó"
    assert render(Reply(live, "para todos")) == "para todos"


def test_compact_keeps_only_who_and_the_link() -> None:
    reply = Reply("c", "ana, tu link (X1): https://mp.example/r?pref_id=9 vence", mention=u("ana"))
    assert compact(reply) == "@ana https://mp.example/r?pref_id=9"


def test_pack_fills_one_message_by_priority_and_never_exceeds_200() -> None:
    pending = [
        _Pending(Reply("c", "a" * 90, priority=Priority.ANNOUNCE), 0.0, 0),
        _Pending(Reply("c", "b" * 90, priority=Priority.PAYMENT), 0.0, 1),
        _Pending(Reply("c", "c" * 90, priority=Priority.REPLY), 0.0, 2),
        _Pending(Reply("c", "d" * 5, priority=Priority.ANNOUNCE), 0.0, 3),
    ]
    batch, text, folded = pack(pending, Level.NORMAL)
    assert [p.seq for p in batch] == [1, 2, 3]
    assert len(text) <= 200
    assert text.startswith("b" * 90)
    assert folded == 0


def test_pack_uses_the_short_link_form_when_critical() -> None:
    link = "ana, aquí está tu link de pago (ABC): https://mp.example/redirect?pref_id=1 — vence"
    pending = [_Pending(Reply("c", link, mention=u("ana"), priority=Priority.PAYMENT), 0.0, 0)]
    assert pack(pending, Level.NORMAL)[1].startswith("@ana, aquí está")
    assert pack(pending, Level.CRITICAL)[1] == "@ana https://mp.example/redirect?pref_id=1"


def test_a_link_supersedes_its_buyers_reply_that_does_not_fit_beside_it() -> None:
    link = "ana, tu link (ABC): https://mp.example/redirect?pref_id=" + "x" * 100
    reserved = "¡Reservado! Remera Vivo (M), total $15.000. Pedido ABC: tienes 15 min para pagar."
    pending = [
        _Pending(Reply("c", reserved, mention=u("ana"), priority=Priority.REPLY), 0.0, 0),
        _Pending(Reply("c", link, mention=u("ana"), priority=Priority.PAYMENT), 0.0, 1),
        _Pending(Reply("c", reserved, mention=u("beto"), priority=Priority.REPLY), 0.0, 2),
    ]
    batch, text, folded = pack(pending, Level.NORMAL)
    assert [p.seq for p in batch] == [1, 0] and folded == 1
    assert "Reservado" not in text  # beto's reply has no link here: it waits its turn


def test_quota_resets_at_pacific_midnight() -> None:
    # 23:00 PDT on a summer day is 06:00 UTC the next day
    assert seconds_until_reset(datetime(2024, 7, 2, 6, 0, tzinfo=UTC)) == 3600


def test_the_quota_day_turns_at_pacific_midnight() -> None:
    # 23:59 PDT on 1 July is 06:59 UTC on 2 July; a minute later it is 2 July in California
    assert quota_day(datetime(2024, 7, 2, 6, 59, tzinfo=UTC)) == date(2024, 7, 1)
    assert quota_day(datetime(2024, 7, 2, 7, 0, tzinfo=UTC)) == date(2024, 7, 2)
    assert quota_day(datetime(2024, 1, 2, 7, 59, tzinfo=UTC)) == date(2024, 1, 1)  # PST


def test_the_ledger_keeps_todays_spending_and_forgets_yesterdays(tmp_path: Path) -> None:
    path = tmp_path / "quota.json"
    moment = [datetime(2024, 7, 2, 6, 0, tzinfo=UTC)]  # 23:00 on 1 July, Pacific
    spending, _ = planner()
    ledger = QuotaLedger(path, now=lambda: moment[0])
    spending.charge(POLL)
    spending.charge(INSERT)
    ledger.save(spending)

    restarted, _ = planner()
    QuotaLedger(path, now=lambda: moment[0]).load(restarted)
    assert (restarted.spent, restarted.calls[INSERT]) == (25, 1)
    assert restarted.remaining == 10_000 - 25

    moment[0] += timedelta(hours=1, minutes=1)  # past midnight Pacific: a new day
    next_day, _ = planner()
    QuotaLedger(path, now=lambda: moment[0]).load(next_day)
    assert next_day.spent == 0

    assert ledger.roll(restarted) is True  # a running bot crossing midnight starts afresh
    assert (restarted.spent, restarted.exhausted, ledger.day) == (0, False, date(2024, 7, 2))
    assert ledger.roll(restarted) is False


def test_an_unreadable_ledger_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "quota.json"
    path.write_text("{not json")
    spending, _ = planner()
    QuotaLedger(path).load(spending)
    assert spending.spent == 0
    QuotaLedger(None).save(spending)  # in memory only: nothing written anywhere
