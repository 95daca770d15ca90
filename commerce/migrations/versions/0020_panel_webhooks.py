"""Webhooks the owner adds in the panel (the config's `[[webhooks]]` stay in config.toml).

Revision ID: 0020_panel_webhooks
Revises: 0019_giveaways
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020_panel_webhooks'
down_revision: str | None = '0019_giveaways'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('events', sa.Text(), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', name='uq_webhook_endpoints_name')
    )


def downgrade() -> None:
    op.drop_table('webhook_endpoints')
