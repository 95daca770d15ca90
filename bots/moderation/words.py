"""Word lists and whole-word matching that folds what trolls do to dodge a filter.

A viewer who wants "puta" on stream writes "PUTA", "pütá", "p.u.t.a", "puuuta" or "m13rd4".
`fold` undoes case, accents and leetspeak; `WordList` compares by letters and their runs,
so "puuuta" is "puta" while "as" is not "ass" (a run may grow, never shrink; a consonant
must grow to three, so "fodder" is not "foder" but "fooder" and "foddder" are). Only whole
words match, so "computadora", "Scunthorpe" and "class" pass: a bad word inside an
ordinary one is the ordinary one. A plural (-s, -es) of a listed word matches too.

Pure text logic, no database: the shipped lists live next to this file (one word a line,
`#` comments), the owner's additions and exceptions come from the store.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["LOCALES", "Match", "WordList", "find", "fold", "shipped"]

LOCALES = ("es", "en", "pt")

# Leetspeak digits and symbols, as letters. "1" is i or l: both are tried.
LEET = {"4": "a", "@": "a", "3": "e", "0": "o", "$": "s", "5": "s", "7": "t", "!": "i", "|": "l"}
_MAX_ONES = 10  # a run this long is read letter by letter; longer ones by segments
_MAX_READINGS = 512
EDGES = "@$!|"  # a mention's "@" or an exclamation mark may also be just punctuation
TOKEN = re.compile(r"(?:[^\W_]|[@$!|])+")
# What may sit between the letters of a spelled-out word: "p.u.t.a", "p u t a", "p-u-t-a".
GAP = re.compile(r"[\s.\-_*·,/\\+~'\"]{1,3}")
PLURALS = ("es", "s")
VOWELS = frozenset("aeiouy")


@dataclass(frozen=True, slots=True)
class Match:
    word: str  # the listed word, folded
    start: int  # where it is in the text given
    end: int


def fold(text: str, one: str = "i") -> str:
    """Lower case, no accents, leetspeak as letters: "PÜT4" → "puta". `one` is what "1" is."""
    # NFKC first: "𝐩𝐮𝐭𝐚" and "ｐｕｔａ" are letters in costume, then case, then accents.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(one if c == "1" else LEET.get(c, c) for c in plain)


def _runs(word: str) -> tuple[str, tuple[int, ...]]:
    """("puta", (1, 1, 1, 1)) for "puuta" reads ("puta", (1, 2, 1, 1))."""
    letters: list[str] = []
    counts: list[int] = []
    for c in word:
        if letters and letters[-1] == c:
            counts[-1] += 1
        else:
            letters.append(c)
            counts.append(1)
    return "".join(letters), tuple(counts)


class WordList:
    """Listed words minus the owner's exceptions; `match` answers for one folded token."""

    def __init__(self, words: Iterable[str], allowed: Iterable[str] = ()) -> None:
        exceptions = {w for w in (_plain(a) for a in allowed) if w}
        self.words = frozenset(w for w in (_plain(x) for x in words) if w and w not in exceptions)
        self._allowed = frozenset(exceptions)
        self._index: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for word in self.words:
            key, counts = _runs(word)
            self._index.setdefault(key, []).append((word, counts))

    def match(self, token: str) -> str | None:
        """The listed word `token` (already folded) is, or None."""
        if token in self._allowed:
            return None
        candidates = [token]
        candidates += [token[: -len(end)] for end in PLURALS if token.endswith(end)]
        for candidate in candidates:
            key, counts = _runs(candidate)
            for word, least in self._index.get(key, ()):
                if all(
                    _grown(letter, c, n) for letter, c, n in zip(key, counts, least, strict=True)
                ):
                    return word
        return None


def _grown(letter: str, count: int, listed: int) -> bool:
    """Whether a run of `count` letters can be the word's run of `listed` stretched."""
    return count == listed or (count > listed and (letter in VOWELS or count >= 3))


def _plain(word: str) -> str:
    return "".join(c for c in fold(word.strip()) if c.isalpha())


def _word_of(raw: str, words: WordList) -> str | None:
    """The listed word a token of the text is, trying "1" as i and as l, with and without
    a leading "@" or trailing "!" (punctuation, or leetspeak: "@ss", "sh!t")."""
    if not any(c.isalpha() for c in raw):
        return None  # "100", "$$$": numbers and symbols are never words
    forms = dict.fromkeys((raw, raw.strip(EDGES)))  # the whole token first: "cabron@" is "cabrona"
    for form in forms:
        for reading in _ones(form):
            found = words.match(fold(reading))
            if found:
                return found
    return None


def _ones(form: str) -> Iterator[str]:
    """`form` with each "1" read as i or as l: "ma1par1da" is "malparida", "f11hodaputa"
    is "filhodaputa", "mogo1111111ca" is "mogollllica".

    A run of ones is read as at most three letters held down ("llll" then "iii"); should
    the readings multiply past a few hundred, every one is read alike."""
    if "1" not in form:
        if form:
            yield form
        return
    parts = re.split(r"(1+)", form)
    choices = [_run_readings(len(run)) for run in parts[1::2]]
    if math.prod(len(c) for c in choices) > _MAX_READINGS:
        yield form.replace("1", "i")
        yield form.replace("1", "l")
        return
    for read in itertools.product(*choices):
        pairs = itertools.zip_longest(parts[0::2], read, fillvalue="")
        yield "".join(p for pair in pairs for p in pair)


@lru_cache(maxsize=64)
def _run_readings(n: int) -> tuple[str, ...]:
    """Every way to read n ones as i's and l's that changes letter at most twice."""
    found = []
    for reading in itertools.product("il", repeat=n) if n <= _MAX_ONES else ():
        found.append("".join(reading))
    if found:
        return tuple(r for r in found if _changes(r) <= 2)
    out = set()
    for a in range(n + 1):
        for b in range(a, n + 1):
            for first, second in (("i", "l"), ("l", "i")):
                out.add(first * a + second * (b - a) + first * (n - b))
    return tuple(sorted(out))


def _changes(reading: str) -> int:
    return sum(1 for x, y in itertools.pairwise(reading) if x != y)


def find(text: str, words: WordList) -> list[Match]:
    """Every listed word in `text`, as whole words or spelled out letter by letter."""
    tokens = [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]
    found: list[Match] = []
    for raw, start, end in tokens:
        word = _word_of(raw, words)
        if word:
            found.append(Match(word, start, end))
    for group in _spelled(text, tokens):
        found.extend(_spelled_words(text, group, words))
    found.sort(key=lambda m: (m.start, -m.end))
    kept: list[Match] = []
    for m in found:
        if not kept or m.start >= kept[-1].end:
            kept.append(m)
    return kept


def _spelled(text: str, tokens: list[tuple[str, int, int]]) -> Iterator[list[tuple[str, int, int]]]:
    """Runs of one-character tokens with small gaps between them: "p.u.t.a"."""
    group: list[tuple[str, int, int]] = []
    for token in tokens:
        if len(token[0]) == 1 and (not group or GAP.fullmatch(text[group[-1][2] : token[1]])):
            group.append(token)
            continue
        if len(group) >= 3:
            yield group
        group = [token] if len(token[0]) == 1 else []
    if len(group) >= 3:
        yield group


def _spelled_words(
    text: str, group: list[tuple[str, int, int]], words: WordList
) -> Iterator[Match]:
    for i in range(len(group)):
        for j in range(len(group), i + 2, -1):  # the longest spelled word from each letter
            joined = "".join(t[0] for t in group[i:j])
            word = _word_of(joined, words)
            if word:
                yield Match(word, group[i][1], group[j - 1][2])
                break


@lru_cache(maxsize=len(LOCALES))
def shipped(locale: str) -> tuple[str, ...]:
    """The words Vivo ships for `locale` (bots/moderation/lists/<locale>.txt)."""
    text = (resources.files("bots.moderation") / "lists" / f"{locale}.txt").read_text("utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(line for line in lines if line)
