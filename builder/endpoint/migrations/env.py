"""Alembic environment: run by `builder.endpoint.migrate` with a connection already open (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from builder.endpoint.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `affsite endpoint migrate`")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    on_version_apply=context.config.attributes.get("on_version_apply"),  # how `upgrade` reports each step
)
with context.begin_transaction():
    context.run_migrations()
