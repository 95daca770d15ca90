"""What each buyer was last told of their order after payment (shipped, ready, digital text).

Orders that are past pending already count as told, so an upgrade sends nothing old.

Revision ID: 0014_notices
Revises: 0012_outbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014_notices'
down_revision: str | None = '0012_outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('buyer_told', sa.String(length=24), nullable=True))
    op.execute(
        "UPDATE orders SET buyer_told = COALESCE(fulfilment, 'before_notices') "
        "WHERE status <> 'pending'"
    )


def downgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('buyer_told')
