"""Proving that who opened an order's deep link paid for it, before it is theirs.

A Twitch or YouTube buyer gets a Telegram deep link for their paid order in the public
thank-you (bots.chat.deep_links): anyone in that chat can open it. So opening it proves
nothing; the opener must answer with something only the payer has, the provider's id of
the payment that paid the order. On MercadoPago that is the receipt's "Número de operación"
("Operation number", "Número da operação"), in the app's activity and in the email
MercadoPago sends the payer; it is not in the chat, nor guessable in a few tries.

The payer's email (recorded from the payment) is not accepted instead: friends, family and
anyone the buyer ever wrote to know it, and it is often the buyer's chat name at some mail
provider, so it proves much less than the receipt.

The right answer ties the order to that private chat (`delivery_details.linked_to`); from
then on only that chat gives its details and hears about it. Every wrong answer, from
anyone, counts against the order: after `TRIES` the link is locked for good and the owner
completes the details from the panel. Nothing about the order but its code (which the link
already carries) is told before the proof.
"""

from __future__ import annotations

import enum
import hmac
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from commerce import delivery, rows
from commerce.models import DELIVERY_DETAILS, PAYMENTS, Order

#: Wrong answers an order's deep link takes (from anyone) before it is locked.
TRIES = 5


class Claim(enum.StrEnum):
    OPEN = "open"  # nobody has proved it yet: ask for the operation number
    MINE = "mine"  # this chat proved it: the delivery questions go on here
    TAKEN = "taken"  # another chat proved it, or the details are in, or it is on its way
    LOCKED = "locked"  # too many wrong answers (or no payment to prove it with)
    WRONG = "wrong"  # not the operation number; `left` tries remain (0: locked just now)
    BLANK = "blank"  # nothing that reads as an operation number: not counted


@dataclass(frozen=True, slots=True)
class ClaimView:
    state: Claim
    left: int = 0  # wrong answers the order's link still takes


def state(s: Session, code: str, who: str) -> ClaimView:
    """Where order `code`'s deep link stands for the private chat `who` ("telegram:<id>")."""
    order = rows.find_order(s, code)
    found, _ = _state(s, order, who)
    return found


def prove(s: Session, code: str, who: str, answer: str, at: datetime) -> ClaimView:
    """Check `answer` against the payment of order `code`; on success `who` holds it."""
    order = rows.lock_order(s, code)
    found, payment_id = _state(s, order, who)
    if found.state is not Claim.OPEN or payment_id is None:
        return found
    expected, typed = _readable(payment_id, payment_id), _readable(answer, payment_id)
    if not typed:
        return ClaimView(Claim.BLANK, found.left)
    row = delivery.ensure_row(s, order, at)
    if hmac.compare_digest(typed.encode(), expected.encode()):
        s.execute(
            update(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.id == row.id).values(linked_to=who)
        )
        return ClaimView(Claim.MINE)
    tries = DELIVERY_DETAILS.c.proof_attempts
    s.execute(
        update(DELIVERY_DETAILS).where(DELIVERY_DETAILS.c.id == row.id).values({tries: tries + 1})
    )
    return ClaimView(Claim.WRONG, max(found.left - 1, 0))


def _state(s: Session, order: Order, who: str) -> tuple[ClaimView, str | None]:
    """The link's state, and the provider's id of the payment to prove it with."""
    assert order.id is not None
    if not delivery.awaits_details(s, order):
        return ClaimView(Claim.TAKEN), None
    row = delivery.details_row(s, order.id)
    if row is not None and row.linked_to is not None:
        return ClaimView(Claim.MINE if row.linked_to == who else Claim.TAKEN), None
    left = TRIES - (int(row.proof_attempts) if row is not None else 0)
    payment_id = None
    if order.paid_by_payment_id is not None:
        payment_id = s.execute(
            select(PAYMENTS.c.provider_payment_id).where(PAYMENTS.c.id == order.paid_by_payment_id)
        ).scalar_one_or_none()
    if left <= 0 or not payment_id:
        return ClaimView(Claim.LOCKED), None
    return ClaimView(Claim.OPEN, left), str(payment_id)


def _readable(text: str, payment_id: str) -> str:
    """What of `text` compares with the payment id: MercadoPago's ids are digits, so
    "Nº 1234 5678" reads 12345678; another provider's letters count too, in any case."""
    if payment_id.isascii() and payment_id.isdigit():
        return "".join(c for c in text if c in string.digits)
    return "".join(c for c in text.casefold() if c in string.ascii_lowercase + string.digits)
