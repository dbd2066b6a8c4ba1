"""Every acknowledged write survives SIGKILL: clients write concurrently, the process is killed, and after a
restart every click answered 204 and every subscription answered 202 is in the database, and every sign-up gets its
confirmation mail exactly once (one Message-ID per person, whatever the kill interrupted)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from builder.endpoint.schema import clicks, subscribers
from builder.endpoint.store import Store

from .conftest import SITE, MailSink, free_port, make_env, wait_until
from .server import ServerProcess


def test_acknowledged_writes_survive_sigkill(
    database_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path
) -> None:
    clock_file = tmp_path / "now"
    start = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    clock_file.write_text(start.isoformat())
    env = make_env(
        database_url,
        manifest_path,
        smtp,
        AFFSITE_TEST_NOW=f"@{clock_file}",
        AFFSITE_OUTBOX_POLL_SECONDS="0.05",
        AFFSITE_CLICKS_PER_IP_PER_MINUTE="0",
        AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR="0",
        AFFSITE_SUBSCRIBE_PER_ADDRESS_PER_HOUR="0",
    )
    if database_url.startswith("postgresql"):
        from builder.endpoint.migrate import upgrade

        store = Store.from_url(database_url)
        upgrade(store.engine)
        store.close()
    port = free_port()
    server = ServerProcess(env, port, tmp_path / "endpoint.log")
    acked_pages: set[str] = set()
    acked_emails: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        with httpx.Client(base_url=server.base, timeout=5) as client:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 5 == 0:
                        address = f"w{worker}-{n}@example.org"
                        response = client.post("/api/subscribe", json={"email": address}, headers={"origin": SITE})
                        if response.status_code == 202:
                            with lock:
                                acked_emails.add(address)
                    else:
                        page = f"/p/w{worker}-{n}/"
                        body = json.dumps({"item_id": "123456789012", "category": "cameras", "page": page})
                        response = client.post("/api/clicks", content=body, headers={"content-type": "text/plain"})
                        if response.status_code == 204:
                            with lock:
                                acked_pages.add(page)
                except httpx.HTTPError:
                    if stop.is_set():
                        return
                    time.sleep(0.01)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    try:
        # kill in the middle of the writing: once enough has been acknowledged, while clients keep writing
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (len(acked_pages) < 40 or len(acked_emails) < 3):
            time.sleep(0.05)
        server.kill()
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert len(acked_pages) >= 40, "the clients should have been writing when the process was killed"
    assert acked_emails

    # an hour later (the killed process's claims on mails have run out) it recovers, serves and sends again
    clock_file.write_text((start + timedelta(hours=1)).isoformat())
    restarted = ServerProcess(env, free_port(), tmp_path / "endpoint-restart.log")
    try:
        assert httpx.get(restarted.base + "/api/health").json()["status"] == "ok"
        wait_until(
            lambda: acked_emails <= {str(m["To"]).lower() for m in smtp.messages},
            timeout=60,
            what="a confirmation mail for every acknowledged sign-up",
        )
        wait_until(
            lambda: httpx.get(restarted.base + "/api/health").json()["outbox"]["queued"] == 0,
            timeout=60,
            what="an empty outbox",
        )
    finally:
        restarted.stop()
    ids: dict[str, set[str]] = {}
    for message in smtp.messages:
        ids.setdefault(str(message["To"]).lower(), set()).add(str(message["Message-ID"]))
    assert {address: len(found) for address, found in ids.items() if len(found) != 1} == {}
    store = Store.from_url(database_url)
    try:
        with store.engine.connect() as connection:
            pages = set(connection.execute(select(clicks.c.page)).scalars())
            emails = {e.lower() for e in connection.execute(select(subscribers.c.email)).scalars()}
    finally:
        store.close()
    assert acked_pages - pages == set()
    assert acked_emails - emails == set()
