"""The owner's commands: migrate, export, delete, stats, and refusing to start on a bad configuration."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from builder.cli import main

from .conftest import BEACON_HEADERS, SECRET, AppFactory, click_body, wait_until


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
    assert "to revision 0002" in capsys.readouterr().out
    assert main(["endpoint", "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out


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
