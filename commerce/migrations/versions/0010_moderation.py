"""Moderation: the owner's filter settings and words, and alerts held for approval.

Revision ID: 0010_moderation
Revises: 0008_delivery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010_moderation'
down_revision: str | None = '0008_delivery'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('moderation_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('hold', sa.String(length=16), nullable=False),
    sa.Column('hold_above', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('moderation_words',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('word', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('word', name='uq_moderation_words_word')
    )
    op.create_table('held_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'code', name='uq_held_alerts_kind_code')
    )
    op.create_index('ix_held_alerts_status_created', 'held_alerts', ['status', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_held_alerts_status_created', table_name='held_alerts')
    op.drop_table('held_alerts')
    op.drop_table('moderation_words')
    op.drop_table('moderation_settings')
