"""Carts: an order's revision and the payment links it had before lines were added.

Revision ID: 0003_cart
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_cart'
down_revision: str | None = '0003_events'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
    op.drop_index('ix_orders_viewer_id', table_name='orders')
    op.create_index('ix_orders_viewer_status', 'orders', ['viewer_id', 'status'], unique=False)
    op.create_table('superseded_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('preference_id', sa.String(length=128), nullable=True),
    sa.Column('payment_url', sa.Text(), nullable=True),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_superseded_links_order_id'), 'superseded_links', ['order_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_superseded_links_order_id'), table_name='superseded_links')
    op.drop_table('superseded_links')
    op.drop_index('ix_orders_viewer_status', table_name='orders')
    op.create_index('ix_orders_viewer_id', 'orders', ['viewer_id'], unique=False)
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('revision')
