"""Delivery questions in progress: which order a buyer is answering for, and what is next.

Keyed like aiogram's `StorageKey` (platform and user: the answers come in the private chat,
whatever chat the purchase was made in). Only the answers typed so far live here; what is
still missing is always derived from the order itself, so after a restart `/entrega`
starts again from the first question and nothing the Store holds is lost. A draft never
outlives its reservation: each answer checks that the order is still pending.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from adapters.base import ChatMessage

#: The questions for each method, in the order they are asked; each names a field of
#: commerce.views.DeliveryDetails and the reply keys `delivery_ask_<field>`.
SHIP_FIELDS = ("name", "contact", "street", "city", "province", "postal_code")
PICKUP_FIELDS = ("name", "contact")
_LIMIT = 10_000  # drafts remembered before the oldest is forgotten


@dataclass(slots=True)
class Draft:
    """One buyer's answers for one order, before they are saved through the Store."""

    code: str
    choice: str = ""  # the chosen DeliveryChoice id, once chosen
    method: str = ""  # "ship" or "pickup", once chosen
    answers: dict[str, str] = field(default_factory=dict)
    # Waiting for the payer's operation number before a deep link's questions
    # (commerce.payer_proof): the next private line is that answer, not a detail.
    proving: bool = False

    def fields(self) -> tuple[str, ...]:
        return SHIP_FIELDS if self.method == "ship" else PICKUP_FIELDS

    def next_field(self) -> str | None:
        """The first question not answered yet; None once everything is in."""
        return next((f for f in self.fields() if not self.answers.get(f)), None)


class Conversations:
    """The drafts in progress, at most one per buyer (a new order replaces the old one)."""

    def __init__(self, platforms: frozenset[str] = frozenset({"telegram"})) -> None:
        self.platforms = platforms  # where the questions are asked in a private chat
        self._drafts: OrderedDict[tuple[str, str], Draft] = OrderedDict()

    def get(self, platform: str, user_id: str) -> Draft | None:
        return self._drafts.get((platform, user_id))

    def start(self, platform: str, user_id: str, code: str) -> Draft:
        draft = Draft(code)
        self._drafts[(platform, user_id)] = draft
        self._drafts.move_to_end((platform, user_id))
        while len(self._drafts) > _LIMIT:
            self._drafts.popitem(last=False)
        return draft

    def drop(self, platform: str, user_id: str) -> None:
        self._drafts.pop((platform, user_id), None)

    def wants(self, message: ChatMessage) -> bool:
        """Whether a private line without a prefix answers a question we asked."""
        if not message.private:
            return False
        draft = self._drafts.get((message.platform, message.author.id))
        if draft is None:
            return False
        return draft.proving or (draft.next_field() is not None and bool(draft.method))
