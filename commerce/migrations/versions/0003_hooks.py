"""Notifications get a per-row next-attempt time (rows in backoff never block younger ones);
orders remember when they were delivered (a refund after that never restocks).

Revision ID: 0003_hooks
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_hooks'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True))
    # Orders delivered before this revision: their delivery time is unknown, their payment's
    # is the best lower bound.
    op.execute("UPDATE orders SET fulfilled_at = paid_at WHERE status = 'fulfilled'")
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(
            'ix_notifications_due', ['processed_at', 'next_attempt_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index('ix_notifications_due')
        batch.drop_column('next_attempt_at')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('fulfilled_at')
