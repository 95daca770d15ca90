"""The owner's panel settings survive a restart (a new Store on the same database)."""

from __future__ import annotations

import pytest

from commerce.store import Store


def test_a_setting_is_kept_replaced_and_read_back_by_a_new_store(
    store: Store, store_url: str
) -> None:
    assert store.owner_setting("alerts") is None
    store.set_owner_setting("alerts", '{"a": 1}')
    store.set_owner_setting("alerts", '{"a": 2}')
    store.set_owner_setting("other", "x")
    again = Store(store_url)
    try:
        assert again.owner_setting("alerts") == '{"a": 2}'
        assert again.owner_setting("other") == "x"
    finally:
        again.close()


def test_a_key_must_be_short(store: Store) -> None:
    with pytest.raises(ValueError):
        store.set_owner_setting("k" * 65, "x")
    assert store.owner_setting("k" * 65) is None
