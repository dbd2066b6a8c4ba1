"""Versioned schema migrations (Alembic), run programmatically from the package: no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from ..errors import AffsiteError

SCRIPT_LOCATION = Path(__file__).with_name("migrations")


class SchemaError(AffsiteError):
    """The database schema is not the one this version of affsite expects."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every migration not yet applied; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def check_schema(engine: Engine, *, create_if_empty: bool) -> None:
    """Refuse to run against a database whose schema is not at head (or create it, when empty and allowed)."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    if current is None and create_if_empty and is_empty(engine):
        upgrade(engine)
        return
    if current is None:
        raise SchemaError(
            "The database has no affsite tables yet. Run `affsite endpoint migrate` once (with the same DATABASE_URL)."
        )
    raise SchemaError(
        f"The database schema is at revision {current}, this affsite needs {head}. "
        "Run `affsite endpoint migrate` (back up the database first)."
    )
