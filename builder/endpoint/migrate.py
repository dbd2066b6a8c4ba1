"""Versioned schema migrations (Alembic), run programmatically from the package: no alembic.ini needed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Alembic logs its internals at INFO, some of it on import ("setup plugin ...", "Context impl ...", "Running
# upgrade ..."): noise to an owner, who gets one line per applied migration from `upgrade` instead. Left as it is
# when someone set the "alembic" logger's level or asked for debug output (`affsite -v`).
if logging.getLogger("alembic").level == logging.NOTSET and not logging.getLogger().isEnabledFor(logging.DEBUG):
    logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command  # after the logger is set: alembic logs on import
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Engine, inspect

from ..errors import AffsiteError

SCRIPT_LOCATION = Path(__file__).with_name("migrations")

log = logging.getLogger("affsite.endpoint.migrate")

Report = Callable[[str], None]
"""Where the one line per applied migration (or "up to date") goes: `print` for the CLI, the log for the server."""


def report_to_log(line: str) -> None:
    log.info(line)


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


def upgrade(engine: Engine, report: Report = report_to_log) -> tuple[str | None, str]:
    """Apply every migration not yet applied; returns (revision before, revision after).

    Reports one line per applied migration ("database: applied 0001_initial (...)"), or one "up to date" line.
    """
    before = current_revision(engine)
    config = _config()
    if before is not None and not _known(before):
        raise _newer_schema(before)  # alembic would end in a traceback ("Can't locate revision ...")
    applied: list[Script] = []

    def on_version_apply(*, step: MigrationInfo, **_: Any) -> None:
        script = step.up_revision  # a Script (a file) for every migration that runs
        if step.is_upgrade and not step.is_stamp and isinstance(script, Script):
            applied.append(script)

    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["on_version_apply"] = on_version_apply  # read by migrations/env.py
        command.upgrade(config, "head")
    # reported once the transaction is committed, so a line means the change is in the database
    for script in applied:
        report(f"database: applied {describe(script)}")
    after = head_revision()
    if not applied:
        report(up_to_date(after))
    return before, after


def describe(script: Script) -> str:
    """`0001_initial (The first schema: ...)`: the migration's file name and the first line of its docstring."""
    name = Path(script.path).stem
    summary = " ".join(script.doc.split()).rstrip(".")  # one line, even when the docstring's first paragraph is not
    return f"{name} ({summary})" if summary else name


def up_to_date(revision: str) -> str:
    return f"database: up to date (revision {revision})"


def is_empty(engine: Engine) -> bool:
    with engine.connect() as connection:
        return not inspect(connection).get_table_names()


def check_schema(engine: Engine, *, create_if_empty: bool, report: Report | None = None) -> None:
    """Refuse to run against a database whose schema is not at head (or create it, when empty and allowed).

    Migrations applied here are reported (to `report`, else the log); "up to date" only when `report` is given.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        if report is not None:
            report(up_to_date(head))
        return
    if current is None and create_if_empty and is_empty(engine):
        upgrade(engine, report or report_to_log)
        return
    if current is None:
        raise SchemaError(
            "The database has no affsite tables yet. Run `affsite endpoint migrate` once (with the same DATABASE_URL)."
        )
    if not _known(current):
        raise _newer_schema(current)
    raise SchemaError(
        f"The database schema is at revision {current}, this affsite needs {head}. "
        "Run `affsite endpoint migrate` (back up the database first)."
    )


def _known(revision: str) -> bool:
    return any(script.revision == revision for script in ScriptDirectory.from_config(_config()).walk_revisions())


def _newer_schema(revision: str) -> SchemaError:
    return SchemaError(
        f"The database schema is at revision {revision}, which this affsite does not know: a newer affsite migrated "
        "it. Run that version (or newer), or restore the backup made before it migrated."
    )
