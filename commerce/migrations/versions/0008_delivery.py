"""Delivery: each product's method, the buyer's delivery details, fulfilment after paid.

Existing products become "digital" where they were marked digital, "ship" otherwise;
existing fulfilled orders read as delivered.

Revision ID: 0008_delivery
Revises: 0003_panel
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008_delivery'
down_revision: str | None = '0003_panel'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('products') as batch:
        batch.add_column(sa.Column('delivery', sa.String(length=16), nullable=False, server_default='ship'))
        batch.add_column(sa.Column('queue', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('deliver_text', sa.Text(), nullable=True))
    op.execute("UPDATE products SET delivery = 'digital' WHERE digital")
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('delivery_method', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('delivery_option', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('shipping_minor', sa.BigInteger(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('ship_with_order_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('fulfilment', sa.String(length=24), nullable=True))
        batch.add_column(sa.Column('carrier', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('tracking', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE orders SET fulfilment = 'delivered' WHERE status = 'fulfilled'")
    op.create_table('delivery_details',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contact', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['viewer_id'], ['viewers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', name='uq_delivery_details_order')
    )
    op.create_index(op.f('ix_delivery_details_viewer_id'), 'delivery_details', ['viewer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_delivery_details_viewer_id'), table_name='delivery_details')
    op.drop_table('delivery_details')
    with op.batch_alter_table('orders') as batch:
        for name in ('ready_at', 'shipped_at', 'tracking', 'carrier', 'fulfilment',
                     'ship_with_order_id', 'shipping_minor', 'delivery_option', 'delivery_method'):
            batch.drop_column(name)
    with op.batch_alter_table('products') as batch:
        for name in ('deliver_text', 'queue', 'delivery'):
            batch.drop_column(name)
