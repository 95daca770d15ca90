"""The buyer's shout-out message on an order (`!comprar saludo ¡feliz cumple Ana!`).

Revision ID: 0015_shoutouts
Revises: 0009_alerts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015_shoutouts'
down_revision: str | None = '0009_alerts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('shoutout_message', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('shoutout_message')
