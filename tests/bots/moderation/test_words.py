"""The word filter: what a troll does to a word is undone, and ordinary words pass.

Properties, not examples only: any listed word disguised with case, accents, leetspeak,
repeated letters or separators is still found; any word that merely contains a listed word
(the Scunthorpe problem) is not, checked against a regular-expression oracle that knows
nothing of the matcher's runs and folds.
"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bots.moderation.links import remove_links
from bots.moderation.screen import default_words
from bots.moderation.words import LOCALES, WordList, find, fold, shipped

WORDS = default_words()
LISTED = sorted(WORDS.words)
ACCENTS = {"a": "áàâäã", "e": "éèêë", "i": "íìîï", "o": "óòôöõ", "u": "úùûü", "c": "ç", "n": "ñ"}
LEET = {"a": "4@", "e": "3", "o": "0", "i": "1!", "l": "1|", "s": "$5", "t": "7"}
# Real words, in the three languages, that hold a listed word inside them.
ORDINARY = (
    (
        "Scunthorpe computadora disputa reputación diputado imputado computador disputar "
        "class classic assistant passion bass cocktail Dickens hello shell skill shitake "
        "Sussex cassette assess embarrass grass glass mass pass brass harass compass "
        "culto cultura vergel putativo merdoso? análisis analista pendiente "
        "fodder fodor scrap document sextant hearse "
        "as es os is us ha he hi ho"
    )
    .replace("?", "")
    .split()
)


def oracle(token: str) -> bool:
    """Whether a folded token is a listed word, by regular expressions: each run of a vowel
    as long or longer, a consonant's as long or three and more, then an optional plural."""
    for word in LISTED:
        pattern = ""
        for c, run in itertools.groupby(word):
            n = len(list(run))
            if c in "aeiouy" or n >= 2:
                pattern += f"{c}{{{n},}}"
            else:
                pattern += f"(?:{c}|{c}{{3,}})"
        if re.fullmatch(pattern + "(?:e?s)?", token):
            return True
    return False


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    word = draw(st.sampled_from(LISTED))
    letters = []
    for c in word:
        choice = draw(st.sampled_from(("plain", "upper", "accent", "leet")))
        if choice == "upper":
            c = c.upper()
        elif choice == "accent" and c in ACCENTS:
            c = draw(st.sampled_from(ACCENTS[c]))
        elif choice == "leet" and c in LEET:
            c = draw(st.sampled_from(LEET[c]))
        letters.append(c * draw(st.sampled_from((1, 1, 3, 4))))
    if draw(st.booleans()):
        spelled = "".join(letters)
        if len(spelled) == len(word):  # spell it out only without repeats: "p.u.t.a"
            sep = draw(st.sampled_from((".", " ", "-", "_", "*", ". ", "·")))
            return word, sep.join(spelled)
    return word, "".join(letters)


@given(disguised(), st.sampled_from(("", "hola ", "ey, ", "olha só ")))
@example(("malparida", "ma1par1da"), "")  # one "1" an l, the other an i
@example(("malparida", "ma111par111da"), "")  # runs of them, too
@example(("filhodaputa", "f11hodaputa"), "")  # an i and an l side by side
@example(("malparida", "ma1111par1111da"), "")
@example(("mogolica", "mogo1111111ca"), "")  # llll then iii, side by side
@example(("cabrona", "cabroN@"), "")  # a final "@" is an a before it is punctuation
@settings(max_examples=400)
def test_a_disguised_listed_word_is_found(case: tuple[str, str], before: str) -> None:
    word, text = case
    found = find(f"{before}{text} jaja", WORDS)
    assert [m.word for m in found] == [word], text


@given(
    st.sampled_from(LISTED),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóú", min_size=1, max_size=4),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéíóú", max_size=4),
)
@settings(max_examples=400)
def test_a_listed_word_inside_another_word_is_not_found(word: str, pre: str, post: str) -> None:
    token = f"{pre}{word}{post}"
    assume(not oracle(fold(token)))
    assert find(f"mira {token} ahora", WORDS) == []


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8))
@settings(max_examples=500)
def test_the_matcher_agrees_with_the_oracle_on_any_word(token: str) -> None:
    assert bool(find(token, WORDS)) == oracle(token)


@pytest.mark.parametrize("word", ORDINARY)
def test_ordinary_words_that_contain_a_listed_one_pass(word: str) -> None:
    assert find(f"que {word} tan lindo", WORDS) == []


@given(st.text(max_size=40))
def test_folding_is_idempotent_and_never_leaves_accents(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert not any(c in once for c in "áéíóúàèìòùâêîôûäëïöüãõç")


@given(st.text(alphabet="0123456789 .,$", max_size=20))
def test_numbers_and_symbols_alone_are_never_words(text: str) -> None:
    assert find(text, WORDS) == []


def test_each_language_ships_a_list_the_matcher_can_read() -> None:
    for locale in LOCALES:
        words = shipped(locale)
        assert len(words) >= 15
        assert all(w == w.strip() and " " not in w for w in words)
    assert {"puta", "fuck", "caralho"} <= WORDS.words


def test_an_owner_exception_lets_a_shipped_word_through_and_an_addition_blocks() -> None:
    owner = WordList([*LISTED, "chanta"], allowed=["Pelotudo"])
    assert [m.word for m in find("qué chanta, pelotudo", owner)] == ["chanta"]


@pytest.mark.parametrize("text", ["𝐩𝐮𝐭𝐚", "ｐｕｔａ", "ᴾᵁᵀᴬ", "ＰＵＴＡ!!"])
def test_letters_in_unicode_costume_are_letters(text: str) -> None:
    assert [m.word for m in find(text, WORDS)] == ["puta"]


def test_spelled_out_words_are_found_between_other_single_letters() -> None:
    assert [(m.start, m.end) for m in find("y p.u.t.a y", WORDS)] == [(2, 9)]
    assert find("a b c d e", WORDS) == []


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("compren en https://estafa.example/x ya", "compren en ya"),
        ("www.estafa.net", ""),
        ("seguime en bit.ly/abc!", "seguime en"),
        ("tienda.com.ar/oferta?x=1 barata", "barata"),
        ("HTTP://MAYUS.COM hola", "hola"),
    ],
)
def test_links_are_removed(text: str, left: str) -> None:
    assert remove_links(text) == (left, True)


@pytest.mark.parametrize("text", ["pesa 1.5 kg, etc.", "son las 10.30", "a.b", "gracias!!"])
def test_text_without_links_is_untouched(text: str) -> None:
    assert remove_links(text) == (text, False)
