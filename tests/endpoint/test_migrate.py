"""The Alembic migrations build exactly the tables `builder/endpoint/schema.py` declares, on SQLite and PostgreSQL.

The comparison runs after `upgrade head`, so every migration, today's and any added later, is held to the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Engine, MetaData, String

from builder.endpoint.migrate import current_revision, head_revision, upgrade
from builder.endpoint.schema import metadata
from builder.endpoint.store import make_engine


@pytest.fixture
def migrated(database_url: str) -> Iterator[Engine]:
    """A database (SQLite file or PostgreSQL schema) after `affsite endpoint migrate`."""
    engine = make_engine(database_url, pool_size=1)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


def _differences(engine: Engine, declared: MetaData) -> list[Any]:
    """What autogenerate would write to turn the database into `declared` (types and defaults compared too)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, declared))


def test_the_migrations_build_exactly_the_declared_tables(migrated: Engine) -> None:
    assert current_revision(migrated) == head_revision()
    assert _differences(migrated, metadata) == []


def test_the_comparison_sees_a_drift(migrated: Engine) -> None:
    """Proof that the test above can fail: a schema.py that differs from the migrations shows in the diff."""
    drifted = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["clicks"].append_column(Column("campaign", String(40), nullable=True))
    drifted.tables["subscribers"].c.status.type = String(32)
    drifted.tables["clicks"].indexes.clear()
    seen = {_describe(change) for change in _differences(migrated, drifted)}
    assert seen == {
        ("add_column", "clicks.campaign"),
        ("modify_type", "subscribers.status"),
        ("remove_index", "ix_clicks_day"),
    }


def _describe(change: Any) -> tuple[str, str]:
    if isinstance(change, list):  # column changes come as a list of (kind, schema, table, column, ...)
        kind, _schema, table, column = change[0][:4]
        return kind, f"{table}.{column}"
    kind, subject = change[0], change[-1]
    if kind == "add_column":
        return kind, f"{change[2]}.{subject.name}"
    return kind, str(subject.name)
