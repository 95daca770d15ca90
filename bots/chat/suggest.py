"""Autocomplete for platforms that offer it (Discord): product names, then their variants.

Adapters may not import the store, so the runtime hands them this function instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bots.chat.text import fold
from commerce.store import Store
from commerce.views import ProductView

Suggest = Callable[[str, str], Awaitable[list[str]]]
LIMIT = 25


def make_suggest(store: Store) -> Suggest:
    async def suggest(line: str, partial: str) -> list[str]:
        """`line` is the command plus what is already chosen; `partial` what is being typed."""
        products = await asyncio.to_thread(store.list_products)
        words = line.split(maxsplit=1)
        chosen = words[1] if len(words) > 1 else ""
        if not chosen:
            return product_names(products, partial)
        product = _named(products, chosen)
        if product is None:
            return []
        labels = [
            " ".join(v.options[k] for k in sorted(v.options))
            for v in product.variants
            if v.available > 0
        ]
        return [label for label in labels if fold(label).startswith(fold(partial))][:LIMIT]

    return suggest


def product_names(products: list[ProductView], partial: str) -> list[str]:
    wanted = fold(partial)
    hits = [
        p.name
        for p in products
        if p.available > 0
        and any(wanted in fold(candidate) for candidate in (p.name, p.sku, *p.aliases))
    ]
    return hits[:LIMIT]


def _named(products: list[ProductView], text: str) -> ProductView | None:
    wanted = fold(text)
    for product in products:
        if wanted in {fold(product.name), fold(product.sku), *map(fold, product.aliases)}:
            return product
    return None
