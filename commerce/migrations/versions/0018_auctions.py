"""Auctions: the auctioned unit (`!subasta`) and every bid received (`!oferto`).

Revision ID: 0018_auctions
Revises: 0017_promotions
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018_auctions'
down_revision: str | None = '0017_promotions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('auctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('running', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('base_minor', sa.BigInteger(), nullable=False),
    sa.Column('increment_minor', sa.BigInteger(), nullable=False),
    sa.Column('current_minor', sa.BigInteger(), nullable=True),
    sa.Column('leader_bid_id', sa.Integer(), nullable=True),
    sa.Column('extend_seconds', sa.Integer(), nullable=False),
    sa.Column('pay_seconds', sa.Integer(), nullable=False),
    sa.Column('holds_unit', sa.Boolean(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=128), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('offered_bid_id', sa.Integer(), nullable=True),
    sa.Column('offers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.ForeignKeyConstraint(['variant_id'], ['variants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('running', name='uq_auctions_running')
    )
    op.create_table('auction_bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('auction_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('channel_id', sa.String(length=128), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=True),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['auction_id'], ['auctions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_auction_bids_auction', 'auction_bids', ['auction_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_auction_bids_auction', table_name='auction_bids')
    op.drop_table('auction_bids')
    op.drop_table('auctions')
