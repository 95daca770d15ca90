"""Folding and stemming: the forms viewers type land on the same key as the configured word."""

from __future__ import annotations

import pytest

from bots.chat.text import clean, closest, fold, stem, stems, words


def test_fold_ignores_case_accents_and_spacing() -> None:
    assert fold("  Cómprar\tREMERÁ ") == "comprar remera"
    assert fold("AÇÃO") == "acao"


def test_clean_drops_control_and_format_chars_and_folds_width() -> None:
    assert clean("！comprar\u200b remera\x00\x07  M\u202e") == "!comprar remera M"
    assert clean("\n\t") == ""


@pytest.mark.parametrize(
    ("typed", "configured"),
    [
        ("remeras", "remera"),
        ("TAZAS", "taza"),
        ("stickers", "sticker"),
        ("rojas", "rojo"),
        ("negra", "negro"),
        ("Blancos", "blanca"),
        ("colores", "color"),
        ("talles", "talle"),
        ("m", "M"),
    ],
)
def test_stem_maps_plural_and_gender_forms_together(typed: str, configured: str) -> None:
    assert stem(typed) == stem(configured)


@pytest.mark.parametrize(
    ("a", "b"), [("remera", "taza"), ("S", "XS"), ("M", "L"), ("roja", "rosa")]
)
def test_stem_keeps_different_words_apart(a: str, b: str) -> None:
    assert stem(a) != stem(b)


def test_words_strip_edge_punctuation_but_keep_signs() -> None:
    assert words("«remera», negro/M -5!") == ["remera", "negro", "M", "-5"]
    assert stems("Saludo Personalizado") == (stem("saludo"), stem("personalizado"))


def test_closest_finds_near_misses_only() -> None:
    assert closest("remra", ["remera", "taza"]) == "remera"
    assert closest("zzz", ["remera", "taza"]) is None
