"""The outbox: a sign-up's mail survives a mail server that refuses, fails or hangs, is retried with backoff over
hours (time moved by the test clock, never slept), and is sent once even with two instances on one database."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from builder.endpoint import outbox
from builder.endpoint.migrate import upgrade
from builder.endpoint.store import Store

from .conftest import (
    BEACON_HEADERS,
    SITE,
    AppFactory,
    Endpoint,
    MailSink,
    click_body,
    free_port,
    make_env,
    start_sink,
    wait_until,
)
from .server import ServerProcess

FAST = {"AFFSITE_OUTBOX_POLL_SECONDS": "0.05", "AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR": "0"}


def _health(endpoint: Endpoint) -> dict[str, Any]:
    response = endpoint.client.get("/api/health")
    assert response.status_code == 200
    box: dict[str, Any] = response.json()["outbox"]
    return box


def _attempts(endpoint: Endpoint) -> list[int]:
    """Attempts made so far, counted once none is in flight (a claim counts an attempt before it is made)."""
    rows = endpoint.rows("outbox")
    if any(row["locked_until"] is not None for row in rows):
        return [-1]
    return [row["attempts"] for row in rows]


def test_backoff_grows_to_an_hour() -> None:
    waits = [outbox.backoff(n) for n in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert waits[-1] == timedelta(hours=1) and waits == sorted(waits)
    assert outbox.backoff(10_000) == timedelta(hours=1)  # three days of hourly tries do not overflow


def test_smtp_refusing_connections_then_back_delivers_every_mail_once(make_endpoint: AppFactory) -> None:
    port = free_port()  # nothing listens here yet: connections are refused
    endpoint = make_endpoint(SMTP_PORT=str(port), **FAST)
    addresses = [f"early{i}@example.org" for i in range(3)]
    for address in addresses:
        assert endpoint.client.post("/api/subscribe", json={"email": address}).status_code == 202
    wait_until(lambda: _attempts(endpoint) == [1, 1, 1], what="a first failed attempt of every mail")
    box = _health(endpoint)
    assert (box["queued"], box["retrying"], box["failed"]) == (3, 3, 0)
    assert box["last_error"] == "ConnectionRefusedError" or "not tried" in box["last_error"]

    # retried over hours (never more than an hour apart); nothing is given up on
    for _ in range(6):
        before = sum(_attempts(endpoint))
        endpoint.clock.advance(hours=1)
        wait_until(lambda b=before: sum(_attempts(endpoint)) >= b + 3, what="another try of every mail")  # type: ignore[misc]
    assert _health(endpoint)["queued"] == 3
    assert endpoint.smtp.messages == []

    sink = MailSink("127.0.0.1", port)
    controller = start_sink(sink)  # the mail server is back
    try:
        endpoint.clock.advance(hours=1)
        sink.wait(3)
        wait_until(lambda: _health(endpoint)["queued"] == 0, what="an empty outbox")
    finally:
        controller.stop()
    assert sorted(m["To"] for m in sink.messages) == addresses  # every one once
    assert len(sink.sessions) == 1  # the waiting mails went out over one connection, not one each
    assert {row["status"] for row in endpoint.rows("outbox")} == {"sent"}
    # the links in the late mails still work: the link's lifetime counts from the sign-up, not from the send
    token = sink.messages[0].get_content().split("/api/confirm?token=", 1)[1].split()[0]
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 200


def test_a_permanent_refusal_is_given_up_on_and_reported(make_endpoint: AppFactory, smtp: MailSink) -> None:
    smtp.refuse = "550 5.1.1 no such user"
    endpoint = make_endpoint(**FAST)
    endpoint.client.post("/api/subscribe", json={"email": "nobody@example.org"})
    wait_until(lambda: _health(endpoint)["failed"] == 1, what="the mail to be given up on")
    box = _health(endpoint)
    assert box["queued"] == 0 and box["last_error"] == "SMTPDataError 550"
    assert "nobody" not in str(box)


def test_temporary_failures_are_given_up_on_after_three_days(make_endpoint: AppFactory, smtp: MailSink) -> None:
    smtp.refuse = "451 4.3.0 try again later"
    endpoint = make_endpoint(AFFSITE_CONFIRM_TTL_HOURS="720", **FAST)
    endpoint.client.post("/api/subscribe", json={"email": "patient@example.org"})
    wait_until(lambda: _attempts(endpoint) == [1], what="the first attempt")
    for _ in range(75):
        before = _attempts(endpoint)[0]
        endpoint.clock.advance(hours=1)
        wait_until(
            lambda b=before: _attempts(endpoint)[0] > b or _health(endpoint)["failed"],  # type: ignore[misc]
            what="another attempt",
        )
        if _health(endpoint)["failed"]:
            break
    box = _health(endpoint)
    assert box["failed"] == 1 and box["last_error"] == "SMTPDataError 451"
    assert 70 <= _attempts(endpoint)[0] <= 80  # about one an hour, for 72 hours


def test_a_hung_mail_server_blocks_no_request(make_endpoint: AppFactory) -> None:
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(100)  # accepts connections (the kernel does) and never says a word
    try:
        endpoint = make_endpoint(
            SMTP_PORT=str(hung.getsockname()[1]),
            SMTP_TIMEOUT="30",
            SMTP_SEND_TIMEOUT="60",
            AFFSITE_CLICKS_PER_IP_PER_MINUTE="0",
            AFFSITE_SUBSCRIBE_PER_ADDRESS_PER_HOUR="0",
            **FAST,
        )
        # more sign-ups than the request thread pool (40) has threads: with SMTP in requests, this would hang
        for i in range(60):
            assert endpoint.client.post("/api/subscribe", json={"email": f"h{i}@example.org"}).status_code == 202
        for _ in range(20):
            assert endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS).status_code == 204
        assert _health(endpoint)["queued"] == 60
        assert endpoint.smtp.messages == []
    finally:
        hung.close()


def test_the_whole_send_is_cut_off_after_its_timeout(make_endpoint: AppFactory) -> None:
    """A server that greets and then stalls in the middle of a mail: the send timeout ends the attempt."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(10)
    stop = threading.Event()

    def trickle() -> None:  # answers each line, but slower and slower: no single read times out
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(b"220 slow.example ESMTP\r\n")
            while not stop.wait(0.2):
                try:
                    conn.sendall(b"250-still thinking\r\n")
                except OSError:
                    break
            conn.close()

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        endpoint = make_endpoint(
            SMTP_PORT=str(server.getsockname()[1]), SMTP_TIMEOUT="1", SMTP_SEND_TIMEOUT="0.5", **FAST
        )
        endpoint.client.post("/api/subscribe", json={"email": "slow@example.org"})
        wait_until(lambda: _attempts(endpoint) == [1] and _health(endpoint)["last_error"], what="a cut-off send")
        assert _health(endpoint)["last_error"] == "SMTP send timed out"
        assert _health(endpoint)["queued"] == 1  # tried again later
    finally:
        stop.set()
        server.close()


# -- several instances --------------------------------------------------------------------------------------------
def _settled(store: Store, count: int) -> bool:
    from sqlalchemy import select

    from builder.endpoint.schema import outbox as table

    with store.engine.connect() as connection:
        rows = connection.execute(select(table.c.attempts, table.c.locked_until)).all()
    return len(rows) == count and all(r.attempts >= 1 and r.locked_until is None for r in rows)


def test_two_instances_on_postgres_drain_the_outbox_together_without_duplicates(
    pg_url: str, manifest_path: Path, tmp_path: Path
) -> None:
    clock_file = tmp_path / "now"
    start = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    clock_file.write_text(start.isoformat())
    port = free_port()  # the mail server is down while the sign-ups come in, so the mails pile up
    sink = MailSink("127.0.0.1", port)
    env = make_env(
        pg_url,
        manifest_path,
        sink,
        AFFSITE_TEST_NOW=f"@{clock_file}",
        AFFSITE_OUTBOX_POLL_SECONDS="0.02",
        AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR="0",
    )
    store = Store.from_url(pg_url)
    upgrade(store.engine)
    servers = [ServerProcess(env, free_port(), tmp_path / f"endpoint-{i}.log") for i in range(2)]
    try:
        addresses = [f"many{i}@example.org" for i in range(120)]
        for i, address in enumerate(addresses):
            response = httpx.post(
                servers[i % 2].base + "/api/subscribe", json={"email": address}, headers={"origin": SITE}
            )
            assert response.status_code == 202
        # every mail has been tried once and failed, and none is being tried now (leases are in the endpoint's
        # time: a jump of hours while a mail is in flight would hand it to the other instance, as a real clock
        # could not)
        wait_until(lambda: _settled(store, len(addresses)), timeout=30, what="a first attempt of every mail")
        controller = start_sink(sink)
        try:
            clock_file.write_text((start + timedelta(hours=2)).isoformat())  # every backoff has passed
            sink.wait(len(addresses), timeout=60)
            wait_until(
                lambda: httpx.get(servers[0].base + "/api/health").json()["outbox"]["queued"] == 0,
                timeout=30,
                what="an empty outbox",
            )
            clock_file.write_text((start + timedelta(hours=5)).isoformat())  # any lease left would run out now
            time.sleep(0.5)  # both senders poll 25 times meanwhile: a mail sent twice would arrive now
        finally:
            controller.stop()
    finally:
        for server in servers:
            server.stop()
        store.close()
    received = Counter(str(m["To"]) for m in sink.messages)
    assert sorted(received) == sorted(addresses)
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1]
    logs = [(tmp_path / f"endpoint-{i}.log").read_text() for i in range(2)]
    assert all("outbox: mail sent" in log for log in logs), "both instances should have sent some of the mails"


def test_simultaneous_double_submits_queue_one_mail(database_url: str) -> None:
    """Two sign-ups of one address at the same moment (a double click on two connections): one mail."""
    store = Store.from_url(database_url)
    upgrade(store.engine)
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def submit(n: int) -> None:
        barrier.wait()
        outcomes.append(store.subscribe("twice@example.org", "twice@example.org", f"ip{n}", now).action)

    try:
        for _round in range(3):
            threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        with store.engine.connect() as connection:
            from sqlalchemy import select

            from builder.endpoint.schema import outbox as table

            keys = connection.execute(select(table.c.key)).scalars().all()
    finally:
        store.close()
    assert sorted(outcomes).count("queued") == 1 and len(outcomes) == 24
    assert len(keys) == 1
