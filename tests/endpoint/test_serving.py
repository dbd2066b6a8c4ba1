"""Serving under bad conditions: slow and vanishing clients, too many connections, no manifest, a database that
refuses writes. Each gets a documented answer (408, 503) and an INFO line, never a 500 or an ERROR traceback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from builder.endpoint.store import Store

from .conftest import SITE, AppFactory, Endpoint, MailSink, free_port, make_env
from .server import ServerProcess

HEAD = (
    "POST /api/subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    f"Origin: {SITE}\r\nContent-Length: 60\r\n\r\n"
)


def _server(sqlite_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path, **extra: str) -> ServerProcess:
    env = make_env(sqlite_url, manifest_path, smtp, **extra)
    return ServerProcess(env, free_port(), tmp_path / "endpoint.log")


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_slow_body_gets_408_and_a_vanishing_client_is_an_info_line(
    sqlite_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path
) -> None:
    server = _server(sqlite_url, manifest_path, smtp, tmp_path, AFFSITE_BODY_TIMEOUT_SECONDS="0.5")
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as slow:
            slow.sendall(HEAD.encode() + b'{"email": "sl')  # and then nothing
            assert _answer(slow).startswith(b"HTTP/1.1 408")
        with socket.create_connection(("127.0.0.1", server.port)) as gone:
            gone.sendall(HEAD.encode() + b'{"email": "go')
            time.sleep(0.1)
        time.sleep(0.3)
        ok = httpx.post(server.base + "/api/subscribe", json={"email": "fine@example.org"}, headers={"origin": SITE})
        assert ok.status_code == 202
    finally:
        server.stop()
    log = (tmp_path / "endpoint.log").read_text()
    assert "request body not received in time" in log
    assert "client disconnected before sending the whole body" in log
    assert '"level": "error"' not in log and "Traceback" not in log


def test_connections_beyond_the_limit_get_503_at_once(
    sqlite_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path
) -> None:
    server = _server(sqlite_url, manifest_path, smtp, tmp_path, AFFSITE_MAX_CONNECTIONS="3")
    held = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(HEAD.encode())  # two requests waiting for their bodies (uvicorn: fewer than the limit)
        time.sleep(0.2)
        refused = httpx.get(server.base + "/api/health", timeout=5)
        assert refused.status_code == 503
    finally:
        for sock in held:
            sock.close()
        time.sleep(0.2)
        assert httpx.get(server.base + "/api/health", timeout=5).status_code == 200  # and it recovers
        server.stop()


def test_health_is_503_without_a_manifest(make_endpoint: AppFactory, tmp_path: Path) -> None:
    endpoint = make_endpoint(AFFSITE_MANIFEST=str(tmp_path / "not-built-yet.json"))
    response = endpoint.client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "manifest_missing"


def test_health_is_503_and_writes_are_503_when_the_database_refuses_writes(
    endpoint: Endpoint, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    else:
        read_only = database_url.replace("?options=", "?options=-cdefault_transaction_read_only%3Don%20", 1)
    broken = Store.from_url(read_only)
    runtime = endpoint.client.app.state.runtime  # type: ignore[attr-defined]
    runtime.store = broken
    try:
        health = endpoint.client.get("/api/health")
        assert health.status_code == 503 and health.json()["error"]["code"] == "database_unavailable"
        confirm = endpoint.client.post("/api/unsubscribe?token=x.y")
        assert confirm.status_code == 400  # a bad link is still a bad link
        subscribe = endpoint.client.post("/api/subscribe", json={"email": "ro@example.org"})
        assert subscribe.status_code == 503
    finally:
        runtime.store = endpoint.store
        broken.close()
    assert endpoint.client.get("/api/health").status_code == 200
