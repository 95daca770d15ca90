"""Planning a stream's YouTube API quota so the bot never runs dry mid-stream.

YouTube gives a Google project 10,000 units a day; a chat poll costs 5 and a message 20,
so polling at YouTube's own suggested pace spends the day in under three hours. The planner
spreads what is left over the time the stream still has: it sets the polling interval,
keeps units back for replies, and, when spending runs ahead of plan, degrades in a fixed
order — slower polling first, then announcements held and coalesced, then dropped, then
everything but payment links — instead of spending the last unit and going deaf.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.base import Priority

# Units per call, from the YouTube Data API's "Quota costs" table.
COSTS: dict[str, int] = {
    "liveBroadcasts.list": 1,
    "videos.list": 1,
    "liveChatMessages.list": 5,
    "liveChatMessages.insert": 20,
}
POLL = "liveChatMessages.list"
INSERT = "liveChatMessages.insert"
LOOKUP = "liveBroadcasts.list"

log = logging.getLogger(__name__)


def _pacific() -> tzinfo:
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:  # no tz database: UTC is a few hours off, not wrong by a day
        return UTC


def quota_day(now: datetime | None = None) -> date:
    """The quota day a moment belongs to: YouTube quotas reset at midnight Pacific time."""
    return (now or datetime.now(UTC)).astimezone(_pacific()).date()


def seconds_until_reset(now: datetime | None = None) -> float:
    """Seconds until the next midnight Pacific (at least a minute)."""
    moment = (now or datetime.now(UTC)).astimezone(_pacific())
    midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - moment).total_seconds())


class Clock(Protocol):
    """Where the adapter reads time and waits: real, or scaled for a simulated stream."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Simulated time running `scale` times faster than the wall clock (benchmarks)."""

    def __init__(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = scale
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.scale)


class Level(enum.IntEnum):
    """How hard the planner is saving; each level keeps the restrictions of the ones below."""

    NORMAL = 0
    TIGHT = 1  # announcements wait longer so that more of them share one message
    LOW = 2  # announcements are dropped
    CRITICAL = 3  # only payment links go out, in their shortest form
    EXHAUSTED = 4  # nothing left, or YouTube said quotaExceeded


@dataclass
class QuotaPlanner:
    """Tracks units spent and decides the polling pace and which replies may still go out.

    Payment links come first: the planner counts the links it has seen, projects that
    pace to the end of the stream and keeps those units back (`link_reserve`). `health`
    compares what is left beyond that reserve with what a steady pace would have left by
    now: 1.0 is on plan, lower is spending ahead of plan. Polls get a share of the free
    units (a larger share as the level rises, since replies then spend less), spread over
    the time left, never faster than `min_interval` (nor YouTube's `pollingIntervalMillis`)
    and never slower than `max_interval`. No message spends the units needed to keep
    polling at `max_interval` until the end; only payment links may dip into the reserve.
    """

    daily_budget: int = 10_000
    stream_seconds: float = 3 * 3600.0
    reply_share: float = 0.5
    min_interval: float = 2.0
    max_interval: float = 30.0
    overtime: float = 1800.0  # a stream running late is planned as if it had this much left
    rate_window: float = 600.0  # the link pace is never judged on less than this much time
    gather: float = 0.5  # seconds a reply waits for others to share its message
    reply_hold: float = 3.0  # long enough for the buyer's payment link to catch up
    announce_hold: float = 5.0
    tight_announce_hold: float = 60.0
    clock: Clock = field(default_factory=RealClock)
    spent: int = 0
    links: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    exhausted: bool = False

    def __post_init__(self) -> None:
        if self.daily_budget <= 0 or self.stream_seconds <= 0:
            raise ValueError("daily_budget and stream_seconds must be positive")
        self.started = self.clock.now()

    def charge(self, method: str) -> None:
        """Record one call; every request costs at least one unit, even a failed one."""
        self.spent += COSTS.get(method, 1)
        self.calls[method] += 1

    def note_link(self) -> None:
        """A payment link was queued: the pace of these sets the reserve."""
        self.links += 1

    def mark_exhausted(self) -> None:
        self.exhausted = True

    def new_day(self) -> None:
        self.spent = 0
        self.calls.clear()
        self.exhausted = False

    def begin_stream(self) -> None:
        """A broadcast started: plan its `stream_seconds` from now, with what is left today."""
        self.started = self.clock.now()
        self.links = 0

    @property
    def remaining(self) -> int:
        return max(0, self.daily_budget - self.spent)

    def time_left(self) -> float:
        planned = self.started + self.stream_seconds - self.clock.now()
        return max(planned, min(self.overtime, self.stream_seconds))

    def link_reserve(self) -> int:
        """Units for the payment links still to come, at the pace seen so far."""
        elapsed = max(self.clock.now() - self.started, min(self.rate_window, self.stream_seconds))
        projected = self.links / elapsed * self.time_left()
        return int(projected + 0.999) * COSTS[INSERT]

    def free(self) -> int:
        return max(0, self.remaining - self.link_reserve())

    def health(self) -> float:
        expected = self.daily_budget * min(1.0, self.time_left() / self.stream_seconds)
        return self.free() / expected if expected > 0 else float("inf")

    def level(self) -> Level:
        if self.exhausted or self.remaining < COSTS[POLL]:
            return Level.EXHAUSTED
        health = self.health()
        if health >= 0.8:
            return Level.NORMAL
        if health >= 0.5:
            return Level.TIGHT
        if health >= 0.25:
            return Level.LOW
        return Level.CRITICAL

    def poll_interval(self, suggested: float = 0.0) -> float:
        """Seconds to wait before the next poll; `suggested` is YouTube's pollingIntervalMillis."""
        floor = max(self.min_interval, suggested)
        level = self.level()
        share = {Level.NORMAL: self.reply_share, Level.TIGHT: self.reply_share / 2}.get(level, 0.1)
        polls = self.free() * (1.0 - share) / COSTS[POLL]
        if polls < 1:
            return self.max_interval
        return min(self.max_interval, max(floor, self.time_left() / polls))

    def poll_floor(self) -> int:
        """Units kept for polling at the slowest pace until the end of the stream."""
        return int(self.time_left() / self.max_interval + 1) * COSTS[POLL]

    def may_send(self, priority: Priority) -> bool:
        """Whether one message of this priority may be spent now."""
        if self.drops(priority) or self.level() is Level.EXHAUSTED:
            return False
        keep = self.poll_floor()
        if priority is not Priority.PAYMENT:
            keep += self.link_reserve()
        return self.remaining - COSTS[INSERT] >= keep

    def drops(self, priority: Priority) -> bool:
        """Whether replies of this priority are dropped outright at the current level."""
        level = self.level()
        if priority is Priority.ANNOUNCE:
            return level >= Level.LOW
        if priority is Priority.REPLY:
            return level >= Level.CRITICAL
        return False

    def hold(self, priority: Priority) -> float:
        """How long a reply of this priority may wait for others to share its message."""
        if priority is Priority.ANNOUNCE:
            if self.level() >= Level.TIGHT:
                return self.tight_announce_hold
            return self.announce_hold
        if priority is Priority.REPLY:
            return self.reply_hold
        return self.gather

    def snapshot(self) -> dict[str, object]:
        return {
            "budget": self.daily_budget,
            "spent": self.spent,
            "remaining": self.remaining,
            "level": self.level().name.lower(),
            "health": round(self.health(), 3),
            "link_reserve": self.link_reserve(),
            "calls": dict(self.calls),
        }


class QuotaLedger:
    """The planner's spending for the quota day, kept in a small JSON file across restarts.

    `None` as the path keeps it in memory only. The file holds one day: a file from an
    earlier quota day is ignored (that day's units are gone with it).
    """

    def __init__(self, path: Path | None, now: Any = None) -> None:
        self.path = path
        self._now = now or (lambda: datetime.now(UTC))
        self.day = quota_day(self._now())
        self._warned = False

    def load(self, planner: QuotaPlanner) -> None:
        """Count what was already spent today before this start."""
        self.day = quota_day(self._now())
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            day = date.fromisoformat(str(data["day"]))
            spent = int(data["spent"])
            calls = {str(k): int(v) for k, v in dict(data.get("calls") or {}).items()}
            exhausted = bool(data.get("exhausted", False))
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("youtube: ignoring the quota file %s (%s)", self.path, exc)
            return
        if day != self.day:
            return
        if spent > planner.spent:
            planner.spent = spent
            planner.calls = Counter(calls)
        planner.exhausted = planner.exhausted or exhausted
        log.info(
            "youtube: %d of %d units already spent today (%s)",
            planner.spent,
            planner.daily_budget,
            self.path,
        )

    def roll(self, planner: QuotaPlanner) -> bool:
        """Start a new day's count when midnight Pacific has passed; True if it had."""
        today = quota_day(self._now())
        if today == self.day:
            return False
        self.day = today
        planner.new_day()
        return True

    def save(self, planner: QuotaPlanner) -> None:
        if self.path is None:
            return
        data = {
            "day": self.day.isoformat(),
            "reset": "midnight America/Los_Angeles",
            "spent": planner.spent,
            "exhausted": planner.exhausted,
            "calls": dict(planner.calls),
        }
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("youtube: cannot save the quota file %s (%s)", self.path, exc)
            with contextlib.suppress(OSError):
                temporary.unlink()
