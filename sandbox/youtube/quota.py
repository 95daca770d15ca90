"""The quota meter: YouTube's published prices, a daily budget, and what was spent on what.

Prices come from the Data API's "Quota costs" table (and each method's "Quota impact"). The
docs also say every request, invalid ones included, costs at least one unit: a request
refused for its parameters is charged 1, not its method's price.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRICES: dict[str, int] = {
    "liveBroadcasts.list": 1,
    "videos.list": 1,
    "liveChatMessages.list": 5,
    "liveChatMessages.insert": 20,
}
INVALID_REQUEST_PRICE = 1


@dataclass
class Meter:
    """Units spent out of `budget` today; `calls` counts the requests that were charged."""

    budget: int = 10_000
    spent: int = 0
    calls: dict[str, int] = field(default_factory=dict)

    def charge(self, method: str, *, valid: bool = True) -> bool:
        """Spend the method's price (1 for an invalid request); False when it does not fit."""
        price = PRICES[method] if valid else INVALID_REQUEST_PRICE
        if self.spent + price > self.budget:
            return False
        self.spent += price
        self.calls[method] = self.calls.get(method, 0) + 1
        return True

    def report(self) -> dict[str, object]:
        return {
            "spent": self.spent,
            "budget": self.budget,
            "remaining": self.budget - self.spent,
            "calls": self.calls,
            "prices": PRICES,
        }
