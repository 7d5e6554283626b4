"""board pack snapshots

Revision ID: 0005
Revises: 0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pack_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_key', sa.String(length=64), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('cutoff', sa.DateTime(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('meeting_id', sa.String(length=128), nullable=False),
        sa.Column('meeting_date', sa.Date(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_snapshots')),
        sa.UniqueConstraint('plan_key', 'as_of', 'meeting_id', 'sha256', name='uq_pack_snapshots_content'),
    )
    op.create_index('ix_pack_snapshots_plan_as_of', 'pack_snapshots', ['plan_key', 'as_of'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pack_snapshots_plan_as_of', table_name='pack_snapshots')
    op.drop_table('pack_snapshots')
