"""Events: when a payment link reached its chat, and an index to prune old message claims.

Revision ID: 0003_events
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_events"
down_revision: str | None = '0003_replies'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("link_sent_at", sa.DateTime(timezone=True), nullable=True))
    # Orders made before this column existed count as delivered: no second copy of a link.
    op.execute("UPDATE orders SET link_sent_at = created_at WHERE payment_url IS NOT NULL")
    op.create_index("ix_processed_created", "processed_messages", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_processed_created", table_name="processed_messages")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("link_sent_at")
