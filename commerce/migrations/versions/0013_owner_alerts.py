"""Owner alerts: what the owner is told of, its delivery to their private chats, and the
owner's choices made in the panel.

Revision ID: 0013_owner_alerts
Revises: 0014_notices
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013_owner_alerts'
down_revision: str | None = '0014_notices'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('owner_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('dedupe_key', sa.String(length=160), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('buyer', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key', name='uq_owner_alerts_dedupe')
    )
    op.create_index('ix_owner_alerts_created', 'owner_alerts', ['created_at', 'id'], unique=False)
    op.create_index('ix_owner_alerts_unread', 'owner_alerts', ['read_at', 'kind'], unique=False)
    op.create_table('owner_alert_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=255), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['owner_alerts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id', 'platform', 'user_id', name='uq_owner_alert_deliveries')
    )
    op.create_index('ix_owner_alert_deliveries_alert_id', 'owner_alert_deliveries', ['alert_id'], unique=False)
    op.create_index('ix_owner_alert_deliveries_due', 'owner_alert_deliveries', ['sent_at', 'next_try_at'], unique=False)
    op.create_table('alert_preferences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('routes', sa.JSON(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('digest_minutes', sa.Integer(), nullable=False),
    sa.Column('missing_details_hours', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('alert_preferences')
    op.drop_index('ix_owner_alert_deliveries_due', table_name='owner_alert_deliveries')
    op.drop_index('ix_owner_alert_deliveries_alert_id', table_name='owner_alert_deliveries')
    op.drop_table('owner_alert_deliveries')
    op.drop_index('ix_owner_alerts_unread', table_name='owner_alerts')
    op.drop_index('ix_owner_alerts_created', table_name='owner_alerts')
    op.drop_table('owner_alerts')
