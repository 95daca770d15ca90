"""Notifications: a per-row next-attempt time, so rows in backoff never block younger ones.

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
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index(
            'ix_notifications_due', ['processed_at', 'next_attempt_at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_index('ix_notifications_due')
        batch.drop_column('next_attempt_at')
