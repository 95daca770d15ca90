"""The failures tests can ask for through `/_sandbox/telegram/faults`.

Forced 429s, dropped long polls and 502s, counted down as they happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Faults:
    rate_limit_count: int = 0  # the next N sends get a 429 regardless of pace
    rate_limit_retry_after: int = 1
    drop_polls: int = 0  # the next N getUpdates lose their connection after picking updates
    server_errors: int = 0  # the next N API calls answer 502 Bad Gateway

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate_limit": {
                "count": self.rate_limit_count,
                "retry_after": self.rate_limit_retry_after,
            },
            "drop_polls": self.drop_polls,
            "server_errors": self.server_errors,
        }
