"""`[claim_words]` in config.toml: optional, per language, and each problem names its fix."""

from __future__ import annotations

import pytest

from bots.config import ConfigError, parse_config
from bots.runtime.services import CLAIM_WORDS, ClaimWordsSettings

BASE = {"payments": {"mercadopago": {"access_token": "TEST-x"}}}


def test_defaults_are_every_language_sizes_on_15_seconds_6_hours() -> None:
    config = parse_config(BASE, {})
    assert config.claim_words == ClaimWordsSettings()
    assert config.claim_words.words["es"] == CLAIM_WORDS["es"]


def test_a_language_list_replaces_only_that_language() -> None:
    raw = {
        **BASE,
        "claim_words": {"es": ["dale", "lo llevo"], "sizes": False, "repeat_seconds": 30},
    }
    config = parse_config(raw, {})
    words = config.claim_words
    assert words.words["es"] == ("dale", "lo llevo") and words.words["en"] == CLAIM_WORDS["en"]
    assert words.sizes is False and words.repeat_seconds == 30 and words.hours == 6


def test_problems_name_the_key_and_the_fix() -> None:
    raw = {
        **BASE,
        "claim_words": {
            "es": "quiero",
            "en": ["i really want this one please"],
            "sizes": "yes",
            "hours": 0,
            "word": ["x"],
        },
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, {})
    problems = {p.key: str(p) for p in caught.value.problems}
    assert "must be a list of words" in problems["claim_words.es"]
    assert 'es = ["quiero", "yo", "mío"]' in problems["claim_words.es"]
    assert "1 to 3 words" in problems["claim_words.en"]
    assert "sizes = true" in problems["claim_words.sizes"]
    assert "hours = 6" in problems["claim_words.hours"]
    assert "is not a key of [claim_words]" in problems["claim_words.word"]
