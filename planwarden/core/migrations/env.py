"""Alembic environment: runs on the connection planwarden.core.db hands it."""

from __future__ import annotations

from alembic import context

from planwarden.plan.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs `alembic` by hand
    raise SystemExit("run migrations through planwarden (they apply automatically on first use)")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
