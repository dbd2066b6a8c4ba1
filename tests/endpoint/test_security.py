"""Production manners: headers on every answer, CORS for the site only, trusted proxies, Netlify's signature,
and logs that never hold an address, a token or an IP."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from builder.endpoint.settings import load_settings
from builder.endpoint.visitors import client_ip

from .conftest import BEACON_HEADERS, SITE, AppFactory, Endpoint, MailSink, click_body, free_port, make_env
from .server import ServerProcess


@pytest.fixture
def served(sqlite_url: str, manifest_path: Path, smtp: MailSink, tmp_path: Path) -> Iterator[httpx.Client]:
    """The endpoint as the owner runs it (`affsite endpoint`: uvicorn in its own process), and a client for it."""
    server = ServerProcess(make_env(sqlite_url, manifest_path, smtp), free_port(), tmp_path / "endpoint.log")
    try:
        with httpx.Client(base_url=server.base, timeout=10) as client:
            yield client
    finally:
        server.stop()


def test_security_headers_and_request_id_on_every_answer(served: httpx.Client) -> None:
    answers = [
        served.get("/api/health"),
        served.get("/nowhere"),
        served.post("/api/clicks", content="x" * 5000, headers=BEACON_HEADERS),
        served.get("/go/1", follow_redirects=False),
        served.get("/api/confirm?token=x"),
    ]
    assert [response.status_code for response in answers] == [200, 404, 413, 404, 400]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["referrer-policy"] == "same-origin"  # no-referrer makes browsers post Origin: null
        assert len(response.headers["x-request-id"]) >= 8
        # uvicorn adds "server: uvicorn" unless told not to; only a real uvicorn can show it
        assert "server" not in response.headers
    assert answers[1].json()["error"]["code"] == "not_found"
    given = served.get("/api/health", headers={"x-request-id": "abc12345-trace"})
    assert given.headers["x-request-id"] == "abc12345-trace"


def test_cors_only_for_the_site(endpoint: Endpoint) -> None:
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    ok = endpoint.client.options("/api/subscribe", headers={"origin": SITE, **preflight})
    assert ok.headers.get("access-control-allow-origin") == SITE
    other = endpoint.client.options("/api/subscribe", headers={"origin": "https://evil.example", **preflight})
    assert other.headers.get("access-control-allow-origin") is None


def test_proxy_headers_count_only_from_trusted_proxies() -> None:
    proxies = load_settings(
        {"AFFSITE_SECRET_KEY": "x" * 40, "AFFSITE_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}, dev=True
    ).trusted_proxies
    spoof = {"x-forwarded-for": "1.2.3.4", "x-nf-client-connection-ip": "5.6.7.8"}
    assert client_ip("198.51.100.9", spoof, proxies, proxy_verified=False) == "198.51.100.9"
    assert client_ip("10.1.2.3", spoof, proxies, proxy_verified=False) == "5.6.7.8"
    chain = {"x-forwarded-for": "6.6.6.6, 203.0.113.5, 10.0.0.7"}
    assert client_ip("10.1.2.3", chain, proxies, proxy_verified=False) == "203.0.113.5"
    assert client_ip("10.1.2.3", {"x-forwarded-for": "garbage"}, proxies, proxy_verified=False) == "10.1.2.3"


def _netlify_token(secret: str, **claims: object) -> str:
    payload = {"iss": "netlify", "exp": int(time.time()) + 60, "site_url": SITE, **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def test_netlify_signature_is_required_when_configured(make_endpoint: AppFactory) -> None:
    secret = "netlify-proxy-secret-0123456789abcdef"
    endpoint = make_endpoint(AFFSITE_NETLIFY_PROXY_SECRET=secret)
    post = endpoint.client.post
    assert post("/api/clicks", content=click_body(), headers=BEACON_HEADERS).status_code == 403
    bad = [
        _netlify_token("wrong-secret-wrong-secret-wrong-secret"),
        _netlify_token(secret, iss="someone"),
        _netlify_token(secret, exp=int(time.time()) - 60),
        "not-a-jwt",
    ]
    for token in bad:
        response = post("/api/clicks", content=click_body(), headers={**BEACON_HEADERS, "x-nf-sign": token})
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "proxy_signature_invalid"
    good = {**BEACON_HEADERS, "x-nf-sign": _netlify_token(secret), "x-nf-client-connection-ip": "198.51.100.23"}
    assert post("/api/clicks", content=click_body(), headers=good).status_code == 204
    assert endpoint.client.get("/api/health").status_code == 200  # load balancer checks need no signature
    assert len(endpoint.rows("clicks")) == 1


def test_logs_hold_no_address_token_or_ip(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    from builder.endpoint.logs import JsonFormatter

    caplog.set_level(logging.DEBUG)
    endpoint.client.post("/api/subscribe", json={"email": "private.person@example.org"})
    body = endpoint.smtp.wait(1)[0].get_content()
    token = body.split("/api/confirm?token=", 1)[1].split()[0]
    endpoint.client.get(f"/api/confirm?token={token}")
    endpoint.client.post("/api/confirm", data={"token": token})
    endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    formatter = JsonFormatter()
    # everything the endpoint process logs; "mail.log" is aiosmtpd, the test's SMTP server, and "httpx" the test
    # client (its URLs hold the token; `affsite endpoint` keeps httpx at WARNING: logs.configure_json_logging)
    lines = [formatter.format(record) for record in caplog.records if record.name not in ("mail.log", "httpx")]
    assert any('"route": "/api/confirm"' in line for line in lines)
    text = "\n".join(lines)
    assert "private.person" not in text
    assert token[:20] not in text
    assert "203.0.113.7" not in text


def test_a_database_error_logs_no_address(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    from sqlalchemy import text

    from builder.endpoint.logs import JsonFormatter

    caplog.set_level(logging.DEBUG)
    with endpoint.store.engine.begin() as connection:
        connection.execute(text("DROP TABLE subscribers"))  # the write fails as a broken database would
    answer = endpoint.client.post("/api/subscribe", json={"email": "private.person@example.org"})
    # the documented 503 (try again), not a 500
    assert answer.status_code == 503 and "private" not in answer.text
    lines = [JsonFormatter().format(record) for record in caplog.records if record.name != "mail.log"]
    assert any("subscribe: not stored" in line and "Error" in line for line in lines)
    assert "private.person" not in "\n".join(lines)


def test_settings_repr_hides_the_database_password() -> None:
    settings = load_settings(
        {"AFFSITE_SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://affsite:hunter2-db-pw@db/affsite"}, dev=True
    )
    assert "hunter2-db-pw" in settings.database_url
    assert "hunter2-db-pw" not in repr(settings) and "k" * 40 not in repr(settings)
