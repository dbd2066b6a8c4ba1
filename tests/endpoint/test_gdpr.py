"""Personal data: erased on request down to the last keyed hash, purged when no longer needed, kept in owner-only
files, and a database backup alone does not give visitors' IP addresses back."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from builder.cli import main
from builder.endpoint.tokens import keyed_hash
from builder.endpoint.visitors import visitor_hash

from .conftest import BEACON_HEADERS, CLIENT_IP, SECRET, AppFactory, Endpoint, click_body, wait_until


def _confirm(endpoint: Endpoint, address: str) -> None:
    before = len(endpoint.smtp.messages)
    endpoint.client.post("/api/subscribe", json={"email": address})
    mail = endpoint.smtp.wait(before + 1)[-1]
    token = mail.get_content().split("/api/confirm?token=", 1)[1].split()[0]
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 200


def test_delete_erases_every_trace(
    endpoint: Endpoint, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _confirm(endpoint, "gone@example.org")
    _confirm(endpoint, "stays@example.org")
    wait_until(lambda: all(r["status"] == "sent" for r in endpoint.rows("outbox")), what="sent mails")
    address_key = f"sub-addr:{keyed_hash(SECRET, 'address', 'gone@example.org')}"
    ip_key = f"sub-ip:{keyed_hash(SECRET, 'ip', CLIENT_IP)}"
    assert {r["key"] for r in endpoint.rows("rate_limits")} >= {address_key, ip_key}
    assert len(endpoint.rows("outbox")) == 2

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("AFFSITE_SECRET_KEY", SECRET)
    assert main(["subscribers", "delete", "Gone@Example.org"]) == 0
    capsys.readouterr()
    everything = "\n".join(
        str(endpoint.rows(table)) for table in ("subscribers", "outbox", "rate_limits", "clicks", "visitor_salts")
    )
    assert "gone@" not in everything
    assert address_key.split(":")[1] not in everything
    # the sign-up counter of the IP they used goes too (here the other person shares it, and keeps their own
    # consent record)
    assert ip_key not in {r["key"] for r in endpoint.rows("rate_limits")}
    assert [r["email"] for r in endpoint.rows("subscribers")] == ["stays@example.org"]
    assert len(endpoint.rows("outbox")) == 1


def test_stale_sign_ups_and_old_unsubscribes_are_purged(make_endpoint: AppFactory) -> None:
    endpoint = make_endpoint(AFFSITE_OUTBOX_POLL_SECONDS="0.05")
    _confirm(endpoint, "leaver@example.org")
    _confirm(endpoint, "stayer@example.org")
    endpoint.client.post("/api/subscribe", json={"email": "never-confirmed@example.org"})
    endpoint.smtp.wait(3)
    leaver_token = endpoint.smtp.messages[0]["List-Unsubscribe"].split("token=", 1)[1].rstrip(">")
    assert endpoint.client.post(f"/api/unsubscribe?token={leaver_token}").status_code == 200

    endpoint.clock.advance(hours=49)  # past the 48 h confirmation window: the pending sign-up goes
    wait_until(lambda: len(endpoint.rows("subscribers")) == 2, what="the purge of the stale sign-up")
    assert sorted(r["status"] for r in endpoint.rows("subscribers")) == ["confirmed", "unsubscribed"]
    endpoint.clock.advance(days=30)  # 30 days after leaving: the unsubscribed address goes
    wait_until(lambda: len(endpoint.rows("subscribers")) == 1, what="the purge of the old unsubscribe")
    assert [r["email"] for r in endpoint.rows("subscribers")] == ["stayer@example.org"]
    assert {r["subscriber_id"] for r in endpoint.rows("outbox")} <= {endpoint.rows("subscribers")[0]["id"]}


def test_sqlite_files_are_owner_only(database_url: str, make_endpoint: AppFactory) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("file modes are SQLite's; PostgreSQL keeps its files itself")
    old = os.umask(0o022)  # the usual umask, which would make new files world-readable
    try:
        endpoint = make_endpoint()
        endpoint.client.post("/api/subscribe", json={"email": "private@example.org"})
        endpoint.smtp.wait(1)
    finally:
        os.umask(old)
    path = Path(database_url.split("///", 1)[1])
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert {p.name for p in files} >= {path.name, path.name + "-wal"}
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_a_database_backup_alone_does_not_give_visitor_ips_back(endpoint: Endpoint) -> None:
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS).status_code == 204
    [click] = endpoint.rows("clicks")
    [salt] = endpoint.rows("visitor_salts")
    # what someone holding the backup would try: the stored salt with every candidate IP
    guess = visitor_hash(salt["salt"], CLIENT_IP, BEACON_HEADERS["user-agent"])
    assert click["visitor"] and click["visitor"] != guess
    # with the secret key (not in the database) it is the same visitor, so counting visitors still works
    keyed = keyed_hash(SECRET, "visitor-salt", salt["salt"])
    assert click["visitor"] == visitor_hash(keyed, CLIENT_IP, BEACON_HEADERS["user-agent"])
