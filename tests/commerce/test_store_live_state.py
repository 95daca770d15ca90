"""The spotlight and the claim-words switch kept in the store (commerce.live_state), on
both databases: read back by another Store, closing the store turns claim words off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from commerce.live_state import ClaimWordsState
from commerce.store import Store


def test_the_spotlight_is_kept_and_seen_by_another_store(store: Store) -> None:
    assert store.spotlight() is None
    store.set_spotlight("TAZA")
    other = Store(store.url)
    try:
        assert other.spotlight() == "TAZA"
        other.set_spotlight(None)
        assert store.spotlight() is None
    finally:
        other.close()


def test_claim_words_are_off_until_turned_on_and_off_again_at_closing(store: Store) -> None:
    assert store.claim_words() == ClaimWordsState()
    until = datetime(2026, 12, 2, 23, 0, tzinfo=UTC)
    store.set_claim_words(ClaimWordsState(True, until))
    state = store.claim_words()
    assert state.enabled and state.until == until
    assert state.active(until - timedelta(minutes=1)) and not state.active(until)
    store.set_open(True)
    assert store.claim_words().enabled
    store.set_open(False)
    assert store.claim_words() == ClaimWordsState()


def test_a_damaged_document_reads_as_off(store: Store) -> None:
    store.set_owner_setting("live.claim_words", "{not json")
    store.set_owner_setting("live.spotlight", "[]")
    assert store.claim_words() == ClaimWordsState()
    assert store.spotlight() is None
