"""Per-route rate limits with Discord's documented `X-RateLimit-*` headers and 429 answers.

Each REST route is a bucket (`X-RateLimit-Bucket`, the same hash for every value of its
top-level resource), counted separately per major parameter: the channel, guild, or webhook
in the path. (The interaction callback, which a token may call once, is not limited.) Every
answer carries `Limit`, `Remaining`, `Reset` (epoch seconds) and `Reset-After`; a request
over the limit gets 429 with `retry_after`, `global: false` and `X-RateLimit-Scope: user`.
Discord does not publish its per-route numbers (clients must read the headers), so the
limit and window are the stand-in's own, generous by default and settable from the control
API to see a client wait.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from sandbox.discord.responses import _json

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The path parameters that split a bucket: channel, guild, and a webhook's id and token
# (interaction followups are webhooks: the application's id and the interaction token).
MAJOR_PARAMETERS = ("channel_id", "guild_id", "app_id", "token")


@dataclass
class _Window:
    remaining: int
    reset_at: float  # epoch seconds


class RateLimits:
    """Counts requests per (route, major parameters) in fixed windows."""

    def __init__(self, limit: int = 50, window: float = 1.0) -> None:
        self.limit, self.window = limit, window
        self._windows: dict[tuple[str, tuple[str, ...]], _Window] = {}

    def set(self, limit: int, window: float) -> None:
        """New numbers for every bucket; windows already open start over."""
        if limit < 1 or window <= 0:
            raise ValueError("limit must be at least 1 and window positive")
        self.limit, self.window = limit, window
        self._windows.clear()

    def wrap(self, method: str, path: str, handler: Handler) -> Handler:
        """`handler`, counted against its route's bucket and answering with the headers."""
        bucket = hashlib.sha1(f"{method} {path}".encode()).hexdigest()[:32]

        async def limited(request: web.Request) -> web.StreamResponse:
            major = tuple(request.match_info.get(name, "") for name in MAJOR_PARAMETERS)
            now = time.time()
            window = self._windows.get((bucket, major))
            if window is None or now >= window.reset_at:
                window = _Window(self.limit, now + self.window)
                self._windows[(bucket, major)] = window
            reset_after = max(window.reset_at - now, 0.0)
            headers = {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Reset": f"{window.reset_at:.3f}",
                "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": bucket,
            }
            if window.remaining <= 0:
                refused = _json(
                    {
                        "message": "You are being rate limited.",
                        "retry_after": round(reset_after, 3),
                        "global": False,
                    },
                    429,
                )
                refused.headers.update(headers)
                refused.headers["X-RateLimit-Remaining"] = "0"
                refused.headers["X-RateLimit-Scope"] = "user"
                refused.headers["Retry-After"] = str(max(math.ceil(reset_after), 1))
                return refused
            window.remaining -= 1
            response = await handler(request)
            response.headers.update(headers)
            response.headers["X-RateLimit-Remaining"] = str(window.remaining)
            return response

        return limited
