"""Waitlists for sold-out products, and the one reminder before a hold expires.

Revision ID: 0016_waitlist
Revises: 0015_shoutouts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016_waitlist'
down_revision: str | None = '0015_shoutouts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('products.id'), nullable=False),
        sa.Column('variant_id', sa.Integer(), sa.ForeignKey('variants.id'), nullable=True),
        sa.Column('viewer_id', sa.Integer(), sa.ForeignKey('viewers.id'), nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('channel_id', sa.String(length=128), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('hold_seconds', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('order_id', sa.Integer(), sa.ForeignKey('orders.id'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        'ix_waitlist_line', 'waitlist_entries', ['status', 'product_id', 'variant_id', 'id']
    )
    op.create_index('ix_waitlist_viewer', 'waitlist_entries', ['viewer_id', 'status'])


def downgrade() -> None:
    op.drop_index('ix_waitlist_viewer', table_name='waitlist_entries')
    op.drop_index('ix_waitlist_line', table_name='waitlist_entries')
    op.drop_table('waitlist_entries')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('reminded_at')
