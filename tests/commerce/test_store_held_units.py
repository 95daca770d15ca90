"""`Store.held_units`: what one channel's unpaid orders hold of a product."""

from __future__ import annotations

from store_helpers import ANA, BETO, T0, TTL

from commerce.store import Store
from commerce.views import LineRequest, ViewerRef

WEB = ViewerRef("web", "cookie-1", "eva")


def test_counts_pending_units_of_that_product_on_that_platform_only(shop: Store) -> None:
    assert shop.held_units("TAZA", "web") == 0
    shop.reserve(WEB, "web", [LineRequest("TAZA", 2), LineRequest("STICK", 1)], ttl=TTL, now=T0)
    shop.reserve(ANA, "canal", [LineRequest("TAZA", 1)], ttl=TTL, now=T0)  # a chat order
    other = ViewerRef("web", "cookie-3", "flor")  # the same visitor's next buy joins their cart
    cancelled = shop.reserve(other, "web", [LineRequest("TAZA", 1)], ttl=TTL, now=T0)
    shop.cancel_order(cancelled.code)
    remera = [
        LineRequest("REM", 1, "talle=M,color=negro"),
        LineRequest("REM", 1, "talle=L,color=negro"),
    ]
    shop.reserve(ViewerRef("web", "cookie-2", BETO.display_name), "web", remera, ttl=TTL, now=T0)
    assert shop.held_units("TAZA", "web") == 2
    assert shop.held_units("REM", "web") == 2  # every variant counts for the product
    assert shop.held_units("STICK", "web") == 1
    assert shop.held_units("TAZA", ANA.platform) == 1
    shop.expire_due(T0 + TTL * 2)
    assert shop.held_units("TAZA", "web") == 0
