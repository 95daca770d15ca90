"""The wrong operation numbers an order's Telegram deep link was given: it locks after a
few (commerce.payer_proof), so a viewer who opens a link posted in public chat cannot take
the buyer's order by guessing.

Revision ID: 0022_delivery_proof
Revises: 0021_delivery_link
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0022_delivery_proof'
down_revision: str | None = '0021_delivery_link'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delivery_details') as batch:
        batch.add_column(
            sa.Column('proof_attempts', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('delivery_details') as batch:
        batch.drop_column('proof_attempts')
