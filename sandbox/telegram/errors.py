"""Telegram's error shape: the `{"ok": false, …}` answers the Bot API refuses requests with.

Kept apart so parameter parsing, sending and polling all raise the same `ApiError` and the
API plumbing renders it once.
"""

from __future__ import annotations

import math
from typing import Any


class ApiError(Exception):
    """A Bot API refusal, rendered in Telegram's error shape."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _too_many(wait: float) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
