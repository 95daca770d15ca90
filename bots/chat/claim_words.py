"""Claim words: while a product is on the spotlight, `quiero`, `yo`, `mío` or a size alone
(`M`) buy it without `!comprar`, the way TikTok and Instagram sellers run their lives.

The router keeps one `ClaimSnapshot` (None while claim words are off or nothing is on the
spotlight), so an ordinary chat line costs one attribute check when they are off; when
they are on, a line longer than `MAX_CHARS` stops at its length, and a short one is folded
(`¡MÍO!` → `mio`) and looked up in one frozen set (a claim word followed by variant
words, `quiero M`, costs a few lookups more). A match runs exactly what
`!comprar <sku> [variant]` runs (bots.commands.orders).

Pure functions and values only: the router owns the state and the store calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bots.chat.text import EDGE_PUNCT, fold
from commerce.views import ProductView

MAX_CHARS = 24  # longer lines are conversation, not a claim
MAX_WORDS = 3
_MISSING = "?"  # not a locale: the phrase is not a claim word


@dataclass(frozen=True, slots=True)
class Claim:
    """What a matched line buys: `!comprar <sku> <variant>`, in `locale` if the word says."""

    sku: str
    variant: str = ""
    locale: str | None = None

    @property
    def args(self) -> str:
        return f"{self.sku} {self.variant}".strip()


def normalize(text: str) -> tuple[str, ...] | None:
    """`¡Quiero!` → ("quiero",); `yo M 🙌` → ("yo", "m"); None for a line too long to be a
    claim (over `MAX_CHARS` characters or `MAX_WORDS` words) or with no word at all."""
    if len(text) > MAX_CHARS:
        return None
    said = text.split()
    if not said or len(said) > MAX_WORDS:
        return None
    # Most chat is ASCII, and lower() is its fold.
    said = [w.lower() for w in said] if text.isascii() else fold(text).split()
    parts = tuple(w for p in said if (w := p.strip(EDGE_PUNCT)) and (w.isalnum() or _wordlike(w)))
    return parts or None


def _wordlike(word: str) -> bool:
    """Has a letter or digit: `🙌` and `!!!` are not words."""
    return any(c.isalnum() for c in word)


def phrases(words: Mapping[str, Iterable[str]]) -> dict[str, str | None]:
    """Folded claim phrase → the language it implies (None when two languages share it)."""
    found: dict[str, str | None] = {}
    for locale, said in words.items():
        for phrase in said:
            key = " ".join(normalize(phrase) or ())
            if not key:
                continue
            found[key] = locale if found.get(key, locale) == locale else None
    return found


def variant_words(product: ProductView) -> frozenset[str]:
    """Every folded option value of `product`'s variants: `M`, `negro`…"""
    return frozenset(
        fold(value) for variant in product.variants for value in variant.options.values()
    )


@dataclass(frozen=True, slots=True)
class ClaimSnapshot:
    """Claim words on, with a product on the spotlight: what the router matches against."""

    sku: str
    words: Mapping[str, str | None]  # folded phrase → locale
    variants: frozenset[str]
    until: datetime | None = None

    def match(self, text: str) -> Claim | None:
        """The claim in `text`: a claim phrase (`quiero`), a claim phrase then variant
        words (`quiero M`, `yo negro M`), or variant words alone (`M`); else None."""
        parts = normalize(text)
        if parts is None:
            return None
        line = " ".join(parts)
        locale = self.words.get(line, _MISSING)
        if locale is not _MISSING:
            return Claim(self.sku, "", locale)
        if not self.variants or parts[-1] not in self.variants:
            return None  # every claim of a variant ends with one of its words
        for cut in range(len(parts)):
            rest = parts[cut:]
            if not all(word in self.variants for word in rest):
                continue
            head = " ".join(parts[:cut])
            if cut == 0:
                return Claim(self.sku, " ".join(rest), None)
            if head in self.words:
                return Claim(self.sku, " ".join(rest), self.words[head])
        return None


def snapshot(
    enabled: bool,
    product: ProductView | None,
    words: Mapping[str, str | None],
    sizes: bool,
    until: datetime | None,
) -> ClaimSnapshot | None:
    if not enabled or product is None:
        return None
    variants = variant_words(product) if sizes else frozenset()
    return ClaimSnapshot(product.sku, words, variants, until)
