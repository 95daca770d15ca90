"""Flash sales and coupons: their tables, and the sale that priced an order line.

Revision ID: 0017_promotions
Revises: 0016_waitlist
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0017_promotions'
down_revision: str | None = '0016_waitlist'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('flash_sales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('price_minor', sa.BigInteger(), nullable=True),
    sa.Column('max_per_buyer', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_flash_sales_ends', 'flash_sales', ['ended_at', 'ends_at'], unique=False)
    op.create_index(op.f('ix_flash_sales_product_id'), 'flash_sales', ['product_id'], unique=False)
    op.create_table('coupons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('min_total_minor', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('uses', sa.Integer(), server_default='0', nullable=False),
    sa.Column('once_per_viewer', sa.Boolean(), nullable=False),
    sa.Column('live_only', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', name='uq_coupons_code')
    )
    op.create_table('coupon_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=False),
    sa.Column('discount_minor', sa.BigInteger(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ),
    sa.ForeignKeyConstraint(['viewer_id'], ['viewers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', name='uq_coupon_uses_order')
    )
    op.create_index(op.f('ix_coupon_uses_coupon_id'), 'coupon_uses', ['coupon_id'], unique=False)
    op.create_index(op.f('ix_coupon_uses_viewer_id'), 'coupon_uses', ['viewer_id'], unique=False)
    with op.batch_alter_table('order_lines') as batch:
        batch.add_column(sa.Column('flash_sale_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('order_lines') as batch:
        batch.drop_column('flash_sale_id')
    op.drop_index(op.f('ix_coupon_uses_viewer_id'), table_name='coupon_uses')
    op.drop_index(op.f('ix_coupon_uses_coupon_id'), table_name='coupon_uses')
    op.drop_table('coupon_uses')
    op.drop_table('coupons')
    op.drop_index(op.f('ix_flash_sales_product_id'), table_name='flash_sales')
    op.drop_index('ix_flash_sales_ends', table_name='flash_sales')
    op.drop_table('flash_sales')
