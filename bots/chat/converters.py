"""From free chat text to what the Store understands: product, variant and quantity.

Viewers write `!comprar 2 remeras negras talle M`, `!comprar taza x3` or `!comprar dos
stickers`. Parsing is pure (the catalog is passed in) so every form is testable without a
store. Matching works on folded stems (see bots.chat.text) and finds the product first, by the
longest run of words naming it, then reads quantity and variant from the words left over.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import pairwise
from operator import is_
from typing import NamedTuple

from adapters.base import Button
from bots.chat.labels import Options, options_label
from bots.chat.router import MAX_QUANTITY, BadArgument, MissingArgument
from bots.chat.text import NUMBER_WORDS, closest, fold, stem, stems, strip_edges, words
from commerce.views import LineRequest, ProductView, VariantView

_QUANTITY = re.compile(r"^(?:x|×)?(-?\d+)(?:x|×|u|un|uds?|pcs?)?$")
_QUANTITY_SIGN = re.compile(r"^(?:x|×)$")
_MAX_DIGITS = 6
Synonyms = Mapping[str, Collection[str]]
_NONE: Synonyms = {}
# Words viewers put around sizes and colours that carry no meaning of their own.
_FILLERS = frozenset(
    {
        "talle", "talla", "tamano", "tamanho", "size", "color", "colour", "cor",
        "de", "del", "en", "el", "la", "los", "las", "em", "do", "da", "of", "in", "the",
        "a", "y", "e", "and", "con", "com", "with", "por", "favor", "porfa", "pls",
        "please", "plis", "quiero", "quero", "want",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Item:
    """One resolved line of a purchase."""

    product: ProductView
    variant: VariantView | None
    quantity: int

    def line(self) -> LineRequest:
        key = self.variant.key if self.variant is not None else None
        return LineRequest(sku=self.product.sku, quantity=self.quantity, variant_key=key)


@dataclass(frozen=True, slots=True)
class Word:
    raw: str
    folded: str
    stem: str


def to_words(text: str) -> list[Word]:
    return [Word(raw=w, folded=fold(w), stem=stem(w)) for w in words(text)]


def _keys(product: ProductView) -> list[tuple[str, ...]]:
    """Every stem sequence that names `product`: SKU, name, aliases."""
    keys = [stems(product.sku), stems(product.sku.replace("-", " ").replace("_", " "))]
    keys.append(stems(product.name))
    keys.extend(stems(alias) for alias in product.aliases)
    return [k for k in keys if k]


class _Names(NamedTuple):
    by_stems: dict[tuple[str, ...], ProductView]  # every name's stems -> the product it names
    longest: int  # words in the longest name
    queue: frozenset[tuple[str, ...]]  # the names of queue products (split_shoutout)


_last_names: tuple[tuple[ProductView, ...], _Names] | None = None


def _names(products: Sequence[ProductView]) -> _Names:
    """The names of `products`, worked out once per catalog: every `!comprar` parses against
    the same reading (Store.recent_products), so the last answer is kept and reused while
    the very same product objects come again."""
    global _last_names
    given = tuple(products)
    last = _last_names
    if last is not None and len(last[0]) == len(given) and all(map(is_, last[0], given)):
        return last[1]
    index: dict[tuple[str, ...], ProductView] = {}
    for product in given:
        for key in _keys(product):
            index.setdefault(key, product)
    queue = frozenset(key for p in given if p.queue for key in _keys(p))
    names = _Names(index, max((len(k) for k in index), default=0), queue)
    _last_names = (given, names)
    return names


def find_product(
    tokens: Sequence[Word], products: Sequence[ProductView]
) -> tuple[ProductView, int, int] | None:
    """The product named by the longest run of `tokens`, with the run's [start, end)."""
    index, longest, _ = _names(products)  # by_stems, longest, queue
    for size in range(min(longest, len(tokens)), 0, -1):
        for start in range(len(tokens) - size + 1):
            run = tuple(t.stem for t in tokens[start : start + size])
            if run in index:
                return index[run], start, start + size
    return None


def suggest(query: Sequence[Word], products: Sequence[ProductView]) -> str | None:
    """The product name closest to what the viewer typed, for "did you mean".

    Compares single words and pairs of words, so a typo next to a size (`remra M`) still
    finds the remera.
    """
    choices: dict[str, ProductView] = {}
    for product in products:
        for name in (product.name, product.sku, *product.aliases):
            choices.setdefault(fold(name), product)
    candidates = [t.folded for t in query if len(t.folded) >= 3]
    candidates += [f"{a.folded} {b.folded}" for a, b in pairwise(query)]
    best: tuple[float, str] | None = None
    for candidate in candidates:
        match = closest(candidate, choices)
        if match is None:
            continue
        score = SequenceMatcher(None, candidate, match).ratio()
        if best is None or score > best[0]:
            best = (score, match)
    return choices[best[1]].name if best else None


def parse_quantity(word: str) -> int | None:
    """A quantity word (`3`, `x3`, `3x`, `tres`, `three`, `três`), or None if it is not one.

    Raises BadArgument for a number outside 1..99, so `!comprar remera 0` is refused.
    """
    folded = fold(word)
    if folded in NUMBER_WORDS:
        return NUMBER_WORDS[folded]
    match = _QUANTITY.match(folded)
    if match is None:
        return None
    digits = match.group(1)
    if len(digits.lstrip("-")) > _MAX_DIGITS:
        raise BadArgument("bad_quantity", max=MAX_QUANTITY)
    quantity = int(digits)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BadArgument("bad_quantity", max=MAX_QUANTITY)
    return quantity


def _matches(word: Word, value: str, synonyms: Synonyms) -> bool:
    for spelling in (value, *synonyms.get(value.casefold(), ())):
        if word.folded == fold(spelling) or word.stem in stems(spelling):
            return True
    return False


def find_variant(
    product: ProductView, tokens: Sequence[Word], synonyms: Synonyms = _NONE
) -> VariantView | None:
    """The variant `tokens` describe (`M`, `negra M`, `rojas`); None for products without any.

    `synonyms` maps an option value to its translations (Messages.synonyms), so a viewer who
    was shown `preto` may type it for the owner's `negro`.
    """
    option_names = {stem(name) for v in product.variants for name in v.options}
    meaningful = [t for t in tokens if t.folded not in _FILLERS and t.stem not in option_names]
    if not product.variants:
        if meaningful:
            raise BadArgument(
                "unknown_words",
                words=" ".join(t.raw for t in meaningful),
                product=product.name,
                item=example_item(product),
            )
        return None
    for token in meaningful:
        if not any(
            _matches(token, val, synonyms) for v in product.variants for val in v.options.values()
        ):
            raise BadArgument(
                "unknown_variant",
                product=product.name,
                variant=token.raw,
                options=Options(product.variants),
                item=example_item(product),
            )
    candidates = [
        v
        for v in product.variants
        if all(any(_matches(t, val, synonyms) for val in v.options.values()) for t in meaningful)
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise BadArgument(
            "unknown_variant",
            product=product.name,
            variant=" ".join(t.raw for t in meaningful),
            options=Options(product.variants),
            item=example_item(product),
        )
    raise BadArgument(
        "variant_required",
        product=product.name,
        options=Options(tuple(candidates)),
        item=example_item(product, candidates),
    ).with_buttons(*variant_buttons(product, candidates))


def example_item(product: ProductView, variants: Sequence[VariantView] = ()) -> str:
    """`remera negro M`: the product, and one variant if it has any, as a viewer would type it."""
    choices = [v for v in (variants or product.variants) if v.available > 0]
    choices = choices or list(variants or product.variants)
    label = options_label(choices[0].options) if choices else ""
    return f"{product.name.lower()} {label}".strip()


def variant_buttons(product: ProductView, variants: Sequence[VariantView]) -> list[Button]:
    """One 'buy this one' tap per variant still in stock, as a command the router understands."""
    buttons = []
    for variant in variants:
        if variant.available > 0:
            label = options_label(variant.options)
            buttons.append(Button(f"{product.name} {label}", f"/comprar {product.sku} {label}"))
    return buttons


def resolve_product(text: str, products: Sequence[ProductView]) -> tuple[ProductView, list[Word]]:
    """The product `text` names and the words around it; "did you mean" when none matches."""
    tokens = to_words(text)
    if not tokens:
        raise MissingArgument("missing_product")
    found = find_product(tokens, products)
    if found is None:
        rest = [t for t in tokens if t.folded not in _FILLERS and not _is_quantity(t)]
        query = " ".join(t.raw for t in rest) or text.strip()
        hint = suggest(rest, products)
        if hint is not None:
            raise BadArgument("did_you_mean", query=query, suggestion=hint)
        raise BadArgument("product_not_found", query=query)
    product, start, end = found
    return product, [*tokens[:start], *tokens[end:]]


def parse_item(text: str, products: Sequence[ProductView], synonyms: Synonyms = _NONE) -> Item:
    """Product, variant and quantity from one item's words."""
    product, leftover = resolve_product(text, products)
    quantity: int | None = None
    others: list[Word] = []
    for token in leftover:
        amount = parse_quantity(token.raw)
        if amount is None:
            if not _QUANTITY_SIGN.match(token.folded):
                others.append(token)
            continue
        if quantity is not None and quantity != amount:
            raise BadArgument("two_quantities")
        quantity = amount
    variant = find_variant(product, others, synonyms)
    return Item(product, variant, quantity or 1)


def _is_quantity(token: Word) -> bool:
    try:
        return parse_quantity(token.raw) is not None or bool(_QUANTITY_SIGN.match(token.folded))
    except BadArgument:
        return True


_PART = re.compile(r"[^\s/]+")
_SEPARATORS = ",+;"


def split_shoutout(text: str, products: Sequence[ProductView]) -> tuple[str, str | None]:
    """(what to buy, the buyer's message) when the purchase starts with a queue item.

    `saludo ¡feliz cumple Ana!` -> ("saludo", "¡feliz cumple Ana!"); `2 saludos hola` ->
    ("2 saludos", "hola"): everything after the queue product's name is what the streamer
    should say, commas and all. Anything else (`saludo, taza`, `remera M`, a queue product
    after another item) is (text, None) and parses exactly as without queue products.
    """
    keys = _names(products).queue
    if not keys:
        return text, None
    found = [(m, strip_edges(m.group())) for m in _PART.finditer(text)]
    tokens = [(m, Word(raw=w, folded=fold(w), stem=stem(w))) for m, w in found if w]
    start = 0
    while start < len(tokens):
        raw = tokens[start][0].group()
        word = tokens[start][1]
        if any(c in raw for c in _SEPARATORS):
            return text, None
        if word.folded not in _FILLERS and not _is_quantity(word):
            break
        start += 1
    longest = max(len(k) for k in keys)
    for size in range(min(longest, len(tokens) - start), 0, -1):
        run = tuple(w.stem for _, w in tokens[start : start + size])
        if run not in keys:
            continue
        end = tokens[start + size - 1][0].end()
        message = text[end:].strip()
        if message[:1] in tuple(_SEPARATORS) or any(
            c in m.group() for m, _ in tokens[start : start + size] for c in _SEPARATORS
        ):
            return text, None
        return text[:end], message or None
    return text, None


def parse_purchase(
    text: str, products: Sequence[ProductView], max_items: int, synonyms: Synonyms = _NONE
) -> list[Item]:
    """Every item in `!comprar` text; several may be given separated by `,` or `+`."""
    chunks = [c for c in re.split(r"[,+;]", text) if c.strip()]
    if not chunks:
        raise MissingArgument("missing_product")
    if len(chunks) > max_items:
        raise BadArgument("too_many_items", max=max_items)
    return [parse_item(chunk, products, synonyms) for chunk in chunks]
