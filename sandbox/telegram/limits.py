"""The documented send limits: per chat, per group and overall, as sliding windows.

`Limits` says how many sends each window allows; `Window` counts them. The stand-in answers
429 with `retry_after` when one is exceeded.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Window:
    """At most `count` sends in any `seconds`-long interval (the documented send limits)."""

    count: int
    seconds: float
    stamps: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        while self.stamps and now - self.stamps[0] >= self.seconds:
            self.stamps.popleft()
        if len(self.stamps) < self.count:
            return 0.0
        return self.seconds - (now - self.stamps[0])


@dataclass
class Limits:
    per_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)
