"""`vivo payments inbox`: the provider notifications the owner should know about.

The inbox never drops a notification silently. One the API refused (an id it does not
know, or an answer that was not a payment) or one it gave up on after repeated failures
leaves the retry loop but stays in the table; this lists them, with the last error, so the
owner can check the payment by hand (or run `vivo payments sync`).
"""

from __future__ import annotations

from collections.abc import Iterable

from commerce.views import NotificationView

_STATES = {"gave_up": "GAVE UP", "rejected": "rejected"}


def state(row: NotificationView) -> str:
    """One word or two for where the notification stands."""
    if row.processed_at is None:
        if row.attempts and row.next_attempt_at is not None:
            return f"retrying at {row.next_attempt_at:%Y-%m-%d %H:%M:%S}Z"
        return "waiting"
    outcome = row.outcome or "done"
    return _STATES.get(outcome, f"done: {outcome}")


def lines(rows: Iterable[NotificationView]) -> list[str]:
    """One line per notification, newest first as given."""
    out = []
    for row in rows:
        signed = "signed" if row.verified else "unsigned"
        error = f"  last error: {row.last_error}" if row.last_error else ""
        out.append(
            f"#{row.id}  {row.received_at:%Y-%m-%d %H:%M:%S}Z  {row.provider} {row.topic}"
            f" {row.resource_id} ({signed})  {state(row)}  attempts: {row.attempts}{error}"
        )
    return out
