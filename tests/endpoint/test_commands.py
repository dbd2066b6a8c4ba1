"""The owner's commands: migrate (and what it prints), export, delete, stats, and refusing to start on a bad
configuration."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from builder.cli import main
from builder.endpoint.migrate import SCRIPT_LOCATION, head_revision

from .conftest import BEACON_HEADERS, SECRET, AppFactory, MailSink, click_body, free_port, make_env, wait_until
from .server import REPO, ServerProcess


def _confirm(endpoint, address: str) -> None:  # type: ignore[no-untyped-def]
    before = len(endpoint.smtp.messages)
    endpoint.client.post("/api/subscribe", json={"email": address})
    mail = endpoint.smtp.wait(before + 1)[-1]
    token = mail.get_content().split("/api/confirm?token=", 1)[1].split()[0]
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 200


def test_export_delete_and_stats(
    make_endpoint: AppFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    endpoint = make_endpoint()
    _confirm(endpoint, "=cmd@example.org")
    _confirm(endpoint, "keep@example.org")
    endpoint.client.post("/api/subscribe", json={"email": "pending@example.org"})
    for _ in range(3):
        endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    endpoint.client.post("/api/clicks", content=click_body(), headers={**BEACON_HEADERS, "user-agent": "curl/8.0"})
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["subscribers", "export"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["email"] for r in rows] == ["'=cmd@example.org", "keep@example.org"]  # no spreadsheet formulas
    assert all(r["confirmed_at"] and r["consent_ip_hash"] for r in rows)

    assert main(["subscribers", "delete", "KEEP@example.org"]) == 0
    assert main(["subscribers", "delete", "keep@example.org"]) == 1
    assert "no subscriber" in capsys.readouterr().err
    out = tmp_path / "export.csv"
    assert main(["subscribers", "export", "--output", str(out)]) == 0
    assert "keep@example.org" not in out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert main(["subscribers", "delete", "not an address"]) == 2

    capsys.readouterr()
    assert main(["stats", "--days", "7"]) == 0
    output = capsys.readouterr().out
    assert "3 by people; 1 by bots" in output
    assert "123456789012" in output and "cameras" in output


def test_migrate_then_schema_is_current(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["stats"]) == 1  # no tables yet: told to migrate
    assert "affsite endpoint migrate" in capsys.readouterr().err
    assert main(["endpoint", "migrate"]) == 0
    assert "database: applied 0001_initial" in capsys.readouterr().out
    assert main(["endpoint", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


def _applied_lines() -> list[str]:
    """The line the owner should see for each migration, oldest first, read from the migration files themselves
    (file name, first line of the docstring), so a migration added later is expected too."""
    scripts = reversed(list(ScriptDirectory(str(SCRIPT_LOCATION)).walk_revisions()))
    return [f"database: applied {Path(s.path).stem} ({' '.join(s.doc.split()).rstrip('.')})" for s in scripts]


def _affsite(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "builder", *args], env=full_env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_migrate_prints_one_line_per_migration_then_up_to_date(database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url}
    first = _affsite(env, "endpoint", "migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == _applied_lines()
    assert first.stdout.startswith("database: applied 0001_initial (The first schema: clicks, subscribers")
    assert first.stderr == ""  # no "setup plugin ...", "Context impl ...", "Running upgrade ..."
    again = _affsite(env, "endpoint", "migrate", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [f"database: up to date (revision {head_revision()})"]
    assert again.stderr == ""


def test_a_schema_from_a_newer_affsite_is_a_message_not_a_traceback(sqlite_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": sqlite_url}
    assert _affsite(env, "endpoint", "migrate", cwd=tmp_path).returncode == 0
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # as a later affsite, with a migration this one lacks, would leave it
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    for command in (["endpoint", "migrate"], ["stats"]):
        result = _affsite(env, *command, cwd=tmp_path)
        assert result.returncode == 1
        assert "revision 9999_from_the_future, which this affsite does not know" in result.stderr
        assert "Traceback" not in result.stderr


def _start_log(env: dict[str, str], log: Path) -> list[dict[str, object]]:
    """Start the endpoint as the owner does, stop it, and return what it logged while starting."""
    server = ServerProcess(env, free_port(), log)
    server.stop()
    lines = log.read_text().splitlines()
    assert not [line for line in lines if not line.startswith("{")], "lines outside the JSON log"
    return [json.loads(line) for line in lines]


def test_the_endpoints_start_logs_one_line_per_migration(
    database_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path
) -> None:
    env = make_env(database_url, manifest_path, smtp)
    if database_url.startswith("sqlite"):
        first = _start_log(env, tmp_path / "first.log")  # SQLite: the first start creates the tables
        assert [e["message"] for e in first if e["logger"] == "affsite.endpoint.migrate"] == _applied_lines()
        assert not [e for e in first if str(e["logger"]).startswith("alembic")]
    else:
        assert _affsite(env, "endpoint", "migrate", cwd=tmp_path).returncode == 0  # PostgreSQL: always by hand
    again = _start_log(env, tmp_path / "again.log")
    assert [e["message"] for e in again if e["logger"] == "affsite.endpoint.migrate"] == [
        f"database: up to date (revision {head_revision()})"
    ]
    assert not [e for e in again if str(e["logger"]).startswith("alembic")]


def test_endpoint_refuses_to_start_without_a_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    for name in ("AFFSITE_SECRET_KEY", "SMTP_HOST", "AFFSITE_DEV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("AFFSITE_SITE_URL", "https://shop.example.org")
    monkeypatch.setenv("AFFSITE_MANIFEST", "m.json")
    monkeypatch.setenv("SMTP_PORT", "eighty")
    assert main(["endpoint"]) == 2
    err = capsys.readouterr().err
    assert "AFFSITE_SECRET_KEY" in err and "SMTP_HOST" in err and "Not a valid int" in err
    assert "Traceback" not in err
    assert SECRET not in err


def test_pending_lists_unconfirmed_sign_ups_and_resend_queues_new_mails(
    make_endpoint: AppFactory, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = make_endpoint(AFFSITE_OUTBOX_POLL_SECONDS="0.05")
    _confirm(endpoint, "done@example.org")
    endpoint.client.post("/api/subscribe", json={"email": "waiting@example.org"})
    endpoint.smtp.wait(2)
    wait_until(lambda: {r["status"] for r in endpoint.rows("outbox")} == {"sent"}, what="both mails marked sent")
    monkeypatch.setenv("DATABASE_URL", database_url)

    assert main(["subscribers", "pending"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("waiting@example.org\tsigned up 0.0 h ago\tmail sent after 1 attempt(s)")
    assert "done@" not in captured.out
    assert "1 sign-up(s) waiting" in captured.err

    assert main(["subscribers", "pending", "--resend"]) == 0
    assert "queued 1 new confirmation mail(s)" in capsys.readouterr().err
    assert main(["subscribers", "pending", "--resend"]) == 0  # the first one is not sent yet, or just was
    capsys.readouterr()
    endpoint.clock.advance(minutes=1)  # the CLI queued it at its own (real) time; the test clock stands still
    endpoint.smtp.wait(3)
    again = endpoint.smtp.messages[2]
    assert again["To"] == "waiting@example.org"
    token = again.get_content().split("/api/confirm?token=", 1)[1].split()[0]
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 200
    assert main(["subscribers", "pending"]) == 0
    assert capsys.readouterr().out == ""
