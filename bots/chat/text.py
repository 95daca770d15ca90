"""Text folding for chat input: viewers type `REMERAS`, `remerá`, `Rojas` and mean the same thing.

Everything that compares what a viewer typed with what the owner configured goes through
`fold` (case, accents, width) and, for single words, `stem` (simple Spanish/Portuguese/
English plurals and gender), so both sides are folded the same way.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable

_SPACE = re.compile(r"\s+")
# Edge punctuation a viewer adds around words; "-" is kept because "-5" must stay negative.
EDGE_PUNCT = ".,;:!?¡¿\"'`´()[]{}<>«»“”‘’*_~|#"

NUMBER_WORDS: dict[str, int] = {
    # es
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    # en
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
    # pt (tres, seis, cinco are shared with es once accents are folded)
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "quatro": 4, "sete": 7, "oito": 8,
    "nove": 9, "dez": 10,
}  # fmt: skip


def clean(text: str) -> str:
    """Chat text made safe to parse: width-folded (NFKC) and with control/format chars removed.

    Platforms deliver zero-width joiners, bidi marks and stray control bytes; they become
    spaces (or vanish) so they can never split or glue a word unexpectedly.
    """
    if text.isascii() and text.isprintable():
        # Most chat lines: NFKC leaves ASCII as it is and no printable ASCII character is
        # a control or format one, so only the spacing changes (as below, without the walk).
        return " ".join(text.split())
    normalized = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    for ch in normalized:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Cc", "Cs", "Co", "Cn"):
            out.append(" ")
        elif category == "Cf":
            continue
        else:
            out.append(ch)
    return _SPACE.sub(" ", "".join(out)).strip()


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: the form every comparison uses."""
    if text.isascii():
        # NFKD leaves ASCII as it is, with nothing to strip, and casefold is lower there.
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", bare.casefold()).strip()


def strip_edges(word: str) -> str:
    return word.strip(EDGE_PUNCT)


def words(text: str) -> list[str]:
    """Whitespace-split words with edge punctuation removed; `/` separates too (`negro/M`)."""
    parts = text.replace("/", " ").split()
    return [w for w in (strip_edges(p) for p in parts) if w]


def stem(word: str) -> str:
    """A folded word without its plural and gender ending: remeras, remera → remer;
    rojas, rojo → roj; colores, color → color; talles, talle → tall.

    Deliberately crude: it only has to map the forms a viewer types for one configured word
    onto the same key, and both sides of every comparison are stemmed alike.
    """
    w = fold(word)
    if len(w) > 2 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 3 and w[-1] in "aoe":
        w = w[:-1]
    return w


@functools.lru_cache(maxsize=4096)
def stems(text: str) -> tuple[str, ...]:
    """The stems of each word in `text`, in order: the key a name or alias is matched by.

    Cached: every `!comprar` stems each product's name and aliases again to find the one
    the viewer named, and the catalog's names are few."""
    return tuple(stem(w) for w in words(fold(text)))


def closest(query: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The choice most similar to `query` (difflib ratio), if any is similar enough."""
    matches = difflib.get_close_matches(fold(query), list(choices), n=1, cutoff=cutoff)
    return matches[0] if matches else None
