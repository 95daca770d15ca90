"""Helpers shared by the store tests: a sample catalog, a buyer, and the stock invariant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text

from commerce.db import make_engine
from commerce.store import Store
from commerce.views import LineRequest, OrderView, ProductSpec, VariantSpec, ViewerRef

T0 = datetime(2025, 6, 1, 20, 0, tzinfo=UTC)
TTL = timedelta(minutes=15)
ANA = ViewerRef("twitch", "u-ana", "ana")
BETO = ViewerRef("twitch", "u-beto", "beto")
CARLA = ViewerRef("twitch", "u-carla", "carla")
DANI = ViewerRef("twitch", "u-dani", "dani")


def catalog() -> list[ProductSpec]:
    return [
        ProductSpec("TAZA", "Taza", Decimal("8500"), "ARS", stock=5, aliases=("mug",)),
        ProductSpec(
            "REM",
            "Remera",
            Decimal("15000"),
            "ARS",
            variants=(
                VariantSpec({"talle": "M", "color": "negro"}, stock=3),
                VariantSpec({"talle": "L", "color": "negro"}, stock=2, price=Decimal("16500")),
            ),
        ),
        ProductSpec("STICK", "Stickers", Decimal("2500.50"), "ARS", stock=50, max_per_viewer=3),
    ]


def buy(
    store: Store,
    sku: str = "TAZA",
    quantity: int = 1,
    variant: str | None = None,
    viewer: ViewerRef = ANA,
    now: datetime = T0,
) -> OrderView:
    return store.reserve(viewer, "canal", [LineRequest(sku, quantity, variant)], ttl=TTL, now=now)


def assert_stock_invariant(url: str) -> None:
    """0 <= reserved + sold <= stock on every row, and reserved / sold equal exactly the
    units of pending / paid+fulfilled orders drawing on that row, plus those of orders
    refunded after delivery, which never return to stock (no unit lost or doubled)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            for table, line_col in (("products", "product_id"), ("variants", "variant_id")):
                rows = conn.execute(text(f"SELECT id, stock, reserved, sold FROM {table}")).all()
                for row_id, stock, reserved, sold in rows:
                    assert stock >= 0 and reserved >= 0 and sold >= 0, (table, row_id)
                    assert reserved + sold <= stock, (table, row_id, stock, reserved, sold)
                    extra = " AND l.variant_id IS NULL" if table == "products" else ""
                    held = dict(
                        conn.execute(
                            text(
                                "SELECT CASE WHEN o.status = 'refunded' AND o.fulfilled_at"
                                " IS NOT NULL THEN 'delivered_refunded' ELSE o.status END,"
                                " COALESCE(SUM(l.quantity), 0) FROM order_lines l"
                                f" JOIN orders o ON o.id = l.order_id WHERE l.{line_col} = :id"
                                f"{extra} GROUP BY 1"
                            ),
                            {"id": row_id},
                        ).all()
                    )
                    # An auction holds its unit itself while bidding (commerce.auctions).
                    auction_col = "variant_id" if table == "variants" else "product_id"
                    by_auction = conn.execute(
                        text(
                            "SELECT COUNT(*) FROM auctions WHERE running = 1 AND holds_unit"
                            f" AND {auction_col} = :id{extra.replace('l.', '')}"
                        ),
                        {"id": row_id},
                    ).scalar_one()
                    # So does a giveaway while it takes entries (commerce.giveaways).
                    by_giveaway = conn.execute(
                        text(
                            "SELECT COUNT(*) FROM giveaways WHERE running = 1 AND holds_unit"
                            f" AND {auction_col} = :id{extra.replace('l.', '')}"
                        ),
                        {"id": row_id},
                    ).scalar_one()
                    pending = held.get("pending", 0) + int(by_auction) + int(by_giveaway)
                    assert reserved == pending, (table, row_id, held, by_auction, by_giveaway)
                    delivered = held.get("fulfilled", 0) + held.get("delivered_refunded", 0)
                    assert sold == held.get("paid", 0) + delivered, (
                        table,
                        row_id,
                        held,
                    )
    finally:
        engine.dispose()
