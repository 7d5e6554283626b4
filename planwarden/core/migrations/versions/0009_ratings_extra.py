"""ratings: a plan's rating scale (RAG or BRAG), each action's complete flag and extra columns

Revision ID: 0009
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("rating_scale", sa.String(length=8), nullable=False, server_default="rag"))
    with op.batch_alter_table("actions") as batch:
        batch.add_column(sa.Column("complete", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))
    # under RAG green means complete: existing actions keep meaning what they meant
    op.execute("UPDATE actions SET complete = (rag = 'green') WHERE rag IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("extra")
        batch.drop_column("complete")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("rating_scale")
