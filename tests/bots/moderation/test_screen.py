"""The owner's rules on one text and on one alert (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

from bots.moderation import MASK, Action, Hold, Rules, review, screen_text
from commerce.money import Money


def test_each_action_on_a_listed_word() -> None:
    text = "qué mierda, mirá www.spam.com"
    covered = screen_text(Rules(Action.REPLACE), "message", text)
    assert (covered.text, covered.matched, covered.links) == (
        f"qué {MASK}, mirá",
        ("mierda",),
        True,
    )
    hidden = screen_text(Rules(Action.HIDE), "message", text)
    assert hidden.text == "" and hidden.hidden and not hidden.held
    held = screen_text(Rules(Action.HOLD), "message", text)
    assert held.held and held.text == "qué mierda, mirá"  # whole for whoever approves it


def test_clean_text_passes_unchanged_whatever_the_action() -> None:
    for action in Action:
        screened = screen_text(Rules(action), "message", "¡gracias por el stream!")
        assert not screened.changed and not screened.held and not screened.hidden


def test_an_alert_waits_for_words_for_messages_or_from_an_amount() -> None:
    pesos = Money(Decimal(10000), "ARS")
    assert review(Rules(Action.HOLD), "PUT0", "", None).reason == "words"
    everything = Rules(hold=Hold.MESSAGES)
    assert review(everything, "ana", "hola", None).reason == "messages"
    assert not review(everything, "ana", "", None).held  # no message, nothing to read
    above = Rules(hold=Hold.ABOVE, hold_above=pesos)
    assert review(above, "ana", "", Money(Decimal(10000), "ARS")).reason == "amount"
    assert not review(above, "ana", "", Money(Decimal("9999.99"), "ARS")).held
    assert not review(above, "ana", "", Money(Decimal(50000), "USD")).held  # not pesos
