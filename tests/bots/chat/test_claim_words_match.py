"""Claim words, the pure part: how a short line is folded and what it claims."""

from __future__ import annotations

from decimal import Decimal

from bots.chat.claim_words import ClaimSnapshot, normalize, phrases, snapshot
from bots.runtime.services import CLAIM_WORDS
from commerce.money import Money
from commerce.views import ProductView, VariantView


def _product(*options: dict[str, str]) -> ProductView:
    price = Money(Decimal("15000"), "ARS")
    variants = tuple(
        VariantView(i, ",".join(f"{k}={v}" for k, v in sorted(o.items())), o, price, 5, 5)
        for i, o in enumerate(options)
    )
    return ProductView(1, "REM", "Remera", (), "", price, 10, 10, True, None, None, False, variants)


WORDS = phrases(CLAIM_WORDS)


def test_normalize_folds_case_accents_and_edge_punctuation() -> None:
    assert normalize("¡MÍO!") == ("mio",)
    assert normalize("  Lo   Quiero!! ") == ("lo", "quiero")
    assert normalize("yo 🙌") == ("yo",)
    assert normalize("🙌🙌") is None
    assert normalize("") is None


def test_long_lines_are_never_claims() -> None:
    assert normalize("quiero quiero quiero quiero") is None  # four words
    assert normalize("x" * 25) is None  # past MAX_CHARS before any folding
    assert normalize("yo también quiero uno") is None


def test_phrases_know_their_language() -> None:
    assert WORDS["quiero"] == "es" and WORDS["mio"] == "es" and WORDS["para mi"] == "es"
    assert WORDS["mine"] == "en" and WORDS["i'll take it"] == "en"
    assert WORDS["quero"] == "pt" and WORDS["e meu"] == "pt"
    shared = phrases({"es": ["ok"], "en": ["OK"]})
    assert shared == {"ok": None}


def test_a_claim_word_buys_the_spotlight_in_its_language() -> None:
    snap = snapshot(True, _product(), WORDS, True, None)
    assert isinstance(snap, ClaimSnapshot)
    claim = snap.match("¡Quiero!")
    assert claim is not None and claim.args == "REM" and claim.locale == "es"
    mine = snap.match("MINE")
    assert mine is not None and mine.locale == "en"
    assert snap.match("hola") is None
    assert snap.match("quiero saber el precio") is None


def test_sizes_alone_and_after_a_claim_word() -> None:
    product = _product({"talle": "S"}, {"talle": "M"}, {"talle": "L"})
    snap = snapshot(True, product, WORDS, True, None)
    assert snap is not None
    alone = snap.match("M")
    assert alone is not None and alone.args == "REM m" and alone.locale is None
    after = snap.match("quero L")
    assert after is not None and after.args == "REM l" and after.locale == "pt"
    assert snap.match("XL") is None
    assert snap.match("hola M") is None
    without_sizes = snapshot(True, product, WORDS, False, None)
    assert without_sizes is not None and without_sizes.match("M") is None


def test_nothing_to_match_while_off_or_without_a_spotlight() -> None:
    assert snapshot(False, _product(), WORDS, True, None) is None
    assert snapshot(True, None, WORDS, True, None) is None
