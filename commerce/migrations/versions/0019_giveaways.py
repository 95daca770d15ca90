"""Giveaways: the prize given away (`!sorteo`) and every viewer's entry (`!participo`).

Revision ID: 0019_giveaways
Revises: 0018_auctions
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019_giveaways'
down_revision: str | None = '0018_auctions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('giveaways',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('running', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('holds_unit', sa.Boolean(), nullable=False),
    sa.Column('seed_hex', sa.String(length=64), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=128), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('winner_entry_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.ForeignKeyConstraint(['variant_id'], ['variants.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('running', name='uq_giveaways_running')
    )
    op.create_table('giveaway_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('giveaway_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('channel_id', sa.String(length=128), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['giveaway_id'], ['giveaways.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('giveaway_id', 'platform', 'user_id', name='uq_giveaway_entries_viewer')
    )
    op.create_index('ix_giveaway_entries_giveaway', 'giveaway_entries', ['giveaway_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_giveaway_entries_giveaway', table_name='giveaway_entries')
    op.drop_table('giveaway_entries')
    op.drop_table('giveaways')
