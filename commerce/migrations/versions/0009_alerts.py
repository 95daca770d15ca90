"""Owner settings (the overlay's alerts, as set in the panel).

Revision ID: 0009_alerts
Revises: 0013_owner_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009_alerts'
down_revision: str | None = '0013_owner_alerts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('owner_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('owner_settings')
