"""Delivery details given after the payment: the payer's name and contact kept apart from
what the buyer typed later, and which private chat took an order's details (the Telegram
deep link a Twitch or YouTube buyer opens after paying).

Revision ID: 0021_delivery_link
Revises: 0020_panel_webhooks
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021_delivery_link'
down_revision: str | None = '0020_panel_webhooks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('delivery_details') as batch:
        batch.add_column(
            sa.Column('payer_name', sa.String(length=200), nullable=False, server_default='')
        )
        batch.add_column(
            sa.Column('payer_contact', sa.String(length=200), nullable=False, server_default='')
        )
        batch.add_column(sa.Column('linked_to', sa.String(length=160), nullable=True))
    op.execute(
        "UPDATE delivery_details SET payer_name = name, payer_contact = contact "
        "WHERE source = 'payer'"
    )


def downgrade() -> None:
    with op.batch_alter_table('delivery_details') as batch:
        batch.drop_column('linked_to')
        batch.drop_column('payer_contact')
        batch.drop_column('payer_name')
