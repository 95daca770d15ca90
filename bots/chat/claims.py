"""The one-time code an owner types in their own chat to be recognised there (`!soy-dueño`).

Owners rarely know their platform user id, and `[bot.owners]` needs one. Instead `vivo run`
prints a code; whoever types it in a chat proves they can read the bot's console, which is
what being the owner means here. Each platform gets its own code, so one typed in a public
Twitch chat is no use to a viewer on Discord. A code is random (40 bits), expires, works once
(a second account cannot reuse a code seen on stream), and wrong guesses are limited per
account and per platform, so many accounts together still cannot guess it. Codes live in this
process only: each `vivo run` prints its own; the owners they make are kept in the store.
"""

from __future__ import annotations

import enum
import math
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

_K = TypeVar("_K")

# No 0/O, 1/I/L: read off a terminal and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
TTL_SECONDS = 60 * 60
WINDOW_SECONDS = 10 * 60
MAX_WRONG_PER_ACCOUNT = 5  # wrong guesses per account per window
MAX_WRONG_PER_PLATFORM = 20  # wrong guesses per platform per window, all accounts together


class Verdict(enum.Enum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # not the code, expired, or already used on this platform
    LOCKED = "locked"  # too many wrong guesses: wait


@dataclass(frozen=True, slots=True)
class Attempt:
    verdict: Verdict
    retry_after: float = 0.0

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(slots=True)
class _Window:
    start: float
    wrong: int = 0


@dataclass(slots=True)
class OwnerClaims:
    """Issues the code and judges what viewers type for it."""

    clock: Callable[[], float] = time.monotonic
    ttl: float = TTL_SECONDS
    _codes: dict[str, str] = field(default_factory=dict)  # platform -> unspent code
    _expires: float = 0.0
    _accounts: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _platforms: dict[str, _Window] = field(default_factory=dict)

    def issue(self, platforms: Iterable[str]) -> dict[str, str]:
        """A fresh code per platform (replacing earlier ones), shown as `K7P2-9QXM`."""
        self._codes = {
            platform: "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            for platform in platforms
        }
        self._expires = self.clock() + self.ttl
        half = CODE_LENGTH // 2
        return {p: f"{code[:half]}-{code[half:]}" for p, code in self._codes.items()}

    def attempt(self, platform: str, user_id: str, typed: str) -> Attempt:
        """Judge one guess by (platform, user_id); a right one is spent on that platform."""
        now = self.clock()
        account = self._window(self._accounts, (platform, user_id), now)
        shared = self._window(self._platforms, platform, now)
        locked = [
            window
            for window, limit in (
                (account, MAX_WRONG_PER_ACCOUNT),
                (shared, MAX_WRONG_PER_PLATFORM),
            )
            if window.wrong >= limit
        ]
        if locked:
            return Attempt(Verdict.LOCKED, max(w.start for w in locked) + WINDOW_SECONDS - now)
        if self._valid(platform, typed, now):
            del self._codes[platform]
            return Attempt(Verdict.ACCEPTED)
        account.wrong += 1
        shared.wrong += 1
        return Attempt(Verdict.WRONG)

    def _valid(self, platform: str, typed: str, now: float) -> bool:
        code = self._codes.get(platform)
        if code is None or now >= self._expires:
            return False
        given = "".join(ch for ch in typed.upper() if ch.isascii() and ch.isalnum())
        return secrets.compare_digest(given.encode(), code.encode())

    @staticmethod
    def _window(windows: dict[_K, _Window], key: _K, now: float) -> _Window:
        window = windows.get(key)
        if window is None or now - window.start >= WINDOW_SECONDS:
            window = windows[key] = _Window(start=now)
            if len(windows) > 10_000:  # forget the oldest: memory stays bounded
                oldest = min(windows, key=lambda k: windows[k].start)
                del windows[oldest]
        return window


def startup_lines(claims: OwnerClaims, platforms: Iterable[str]) -> str:
    """What `vivo run` prints: a code per platform, and what to do with it."""
    codes = claims.issue(platforms)
    if not codes:
        return ""
    minutes = round(claims.ttl / 60)
    lines = [
        "Owner codes: type  !soy-dueño CODE  (en: !i-am-owner, pt: !sou-dono) in your own chat"
        f" to get the owner's commands there. Each works once, for {minutes} min:",
        *(f"  {platform:<9} !soy-dueño {code}" for platform, code in codes.items()),
    ]
    return "\n".join(lines)
