"""Owners recorded in the store: claimed once, listed, forgotten, on both databases."""

from __future__ import annotations

from store_helpers import T0

from commerce.store import Store


def test_an_owner_is_recorded_once_and_can_be_removed(store: Store) -> None:
    assert store.list_owners() == []
    assert store.add_owner("telegram", "42", "Lu", now=T0) is True
    assert store.add_owner("telegram", "42", "Lu again", now=T0) is False  # repeating: no change
    assert store.add_owner("discord", "42", "lu#1", now=T0) is True  # same id, other platform
    listed = [(o.platform, o.user_id, o.display_name) for o in store.list_owners()]
    assert listed == [("discord", "42", "lu#1"), ("telegram", "42", "Lu")]
    assert store.list_owners()[0].claimed_at == T0
    assert store.remove_owner("telegram", "42") is True
    assert store.remove_owner("telegram", "42") is False
    assert [(o.platform, o.user_id) for o in store.list_owners()] == [("discord", "42")]
