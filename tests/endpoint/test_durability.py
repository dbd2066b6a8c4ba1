"""Every acknowledged write survives SIGKILL: clients write concurrently, the process is killed, and after a
restart every click answered 204 and every subscription answered 202 is in the database."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from builder.endpoint.schema import clicks, subscribers
from builder.endpoint.store import Store

from .conftest import SITE, MailSink, free_port, make_env
from .server import ServerProcess


def test_acknowledged_writes_survive_sigkill(
    database_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path
) -> None:
    env = make_env(
        database_url,
        manifest_path,
        smtp,
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

    restarted = ServerProcess(env, free_port(), tmp_path / "endpoint-restart.log")  # recovers and serves again
    try:
        assert httpx.get(restarted.base + "/api/health").json()["status"] == "ok"
    finally:
        restarted.stop()
    store = Store.from_url(database_url)
    try:
        with store.engine.connect() as connection:
            pages = set(connection.execute(select(clicks.c.page)).scalars())
            emails = {e.lower() for e in connection.execute(select(subscribers.c.email)).scalars()}
    finally:
        store.close()
    assert acked_pages - pages == set()
    assert acked_emails - emails == set()
