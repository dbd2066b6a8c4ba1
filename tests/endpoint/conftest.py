"""Fixtures for the endpoint tests: real SQLite and PostgreSQL databases, a real SMTP sink, a manifest on disk,
and the real app behind Starlette's test client."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from builder.endpoint.app import create_app
from builder.endpoint.migrate import upgrade
from builder.endpoint.settings import Settings, load_settings
from builder.endpoint.store import Store
from builder.manifest import ManifestItem, dump_manifest

PG_ADMIN_URL = os.environ.get("AFFSITE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SITE = "https://shop.example.org"
CLIENT_IP = "203.0.113.7"
SECRET = "test-secret-key-0123456789-abcdefghijklmnop"

ITEMS = [
    ManifestItem(
        "123456789012",
        "https://www.ebay.com/itm/123456789012?mkcid=1&campid=555",
        "Camera",
        "/p/camera-123456789012/",
        ("cameras",),
    ),
    ManifestItem(
        "223456789012",
        "https://www.ebay.com/itm/223456789012?mkcid=1&campid=555",
        "Lens",
        "/p/lens-223456789012/",
        ("lenses", "cameras"),
    ),
]


def write_manifest(path: Path, items: list[ManifestItem]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(dump_manifest(items, SITE, datetime(2026, 11, 22, 9, tzinfo=UTC)))
    os.replace(tmp, path)


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "affsite-manifest.json"
    write_manifest(path, ITEMS)
    return path


# -- databases ----------------------------------------------------------------------------------------------------
def _postgres_or_skip() -> None:
    import psycopg

    try:
        psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres connect_timeout=3").close()
    except psycopg.Error as exc:
        reason = f"PostgreSQL at 127.0.0.1:5432 (database test, user postgres) does not answer: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true, so PostgreSQL must be available: {reason}")
        pytest.skip(reason)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    _postgres_or_skip()
    import psycopg

    schema = f"affsite_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/affsite.db"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/affsite.db"


# -- mail ---------------------------------------------------------------------------------------------------------
@dataclass
class MailSink:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # as received, for what a parser would hide (header encoding)
    sessions: set[int] = field(default_factory=set)  # SMTP connections that delivered mail
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: str = ""  # when set, every mail is answered with this reply instead (e.g. "451 ..." or "550 ...")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.sessions.add(id(session))
            self.messages.append(message)  # type: ignore[arg-type]
            self.raw.append(bytes(envelope.content))
        return "250 OK"

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} mail(s), got {len(self.messages)}")


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy (the sender works in the background); its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_sink(sink: MailSink) -> Controller:
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    return controller


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    sink = MailSink("127.0.0.1", free_port())
    controller = start_sink(sink)
    try:
        yield sink
    finally:
        controller.stop()


# -- clock and app ------------------------------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_env(database_url: str, manifest: Path, smtp: MailSink | None, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "AFFSITE_SITE_URL": SITE,
        "AFFSITE_SECRET_KEY": SECRET,
        "AFFSITE_MANIFEST": str(manifest),
        "AFFSITE_MANIFEST_RELOAD_SECONDS": "0.1",
        "SMTP_HOST": smtp.host if smtp else "127.0.0.1",
        "SMTP_PORT": str(smtp.port if smtp else 1),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "news@shop.example.org",
    }
    env.update(extra)
    return env


@dataclass
class Endpoint:
    client: TestClient
    store: Store
    settings: Settings
    smtp: MailSink
    clock: Clock
    manifest: Path

    def rows(self, table: str) -> list[dict[str, Any]]:
        from sqlalchemy import text

        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]


AppFactory = Callable[..., Endpoint]


@pytest.fixture
def make_endpoint(database_url: str, manifest_path: Path, smtp: MailSink, clock: Clock) -> Iterator[AppFactory]:
    """Start the real app (lifespan included) on the parametrized database; env overrides as keyword arguments."""
    stack: list[tuple[TestClient, Store]] = []

    def factory(**env: str) -> Endpoint:
        settings = load_settings(make_env(database_url, manifest_path, smtp, **env))
        store = Store.from_url(settings.database_url)
        if not stack:
            upgrade(store.engine)  # `affsite endpoint migrate`, as the operator would run it
        client = TestClient(create_app(settings, store=store, clock=clock), base_url=SITE, client=(CLIENT_IP, 50000))
        client.__enter__()
        stack.append((client, store))
        return Endpoint(client, store, settings, smtp, clock, manifest_path)

    yield factory
    for client, store in reversed(stack):
        client.__exit__(None, None, None)
        store.close()


@pytest.fixture
def endpoint(make_endpoint: AppFactory) -> Endpoint:
    return make_endpoint()


def click_body(item_id: str = "123456789012", category: str = "cameras", page: str = "/p/camera-123456789012/") -> str:
    return json.dumps({"item_id": item_id, "category": category, "page": page})


BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
BEACON_HEADERS = {"content-type": "text/plain;charset=UTF-8", "user-agent": BROWSER_UA, "origin": SITE}
