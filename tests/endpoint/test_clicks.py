"""POST /api/clicks: the beacon from product pages."""

from __future__ import annotations

import json
import time

from builder.endpoint.store import Store

from .conftest import BEACON_HEADERS, BROWSER_UA, CLIENT_IP, ITEMS, AppFactory, Endpoint, click_body, write_manifest


def test_beacon_click_is_stored_without_the_ip(endpoint: Endpoint) -> None:
    headers = {**BEACON_HEADERS, "referer": "https://Shop.Example.org/p/camera-123456789012/?q=secret"}
    response = endpoint.client.post("/api/clicks", content=click_body(), headers=headers)
    assert response.status_code == 204
    assert response.content == b""
    [row] = endpoint.rows("clicks")
    assert row["item_id"] == "123456789012"
    assert row["category"] == "cameras"
    assert row["page"] == "/p/camera-123456789012/"
    assert row["referrer_host"] == "shop.example.org"
    assert row["source"] == "beacon"
    assert not row["is_bot"]
    assert len(row["visitor"]) == 32
    assert all(CLIENT_IP not in str(value) for value in row.values())


def test_json_content_type_is_accepted_and_category_falls_back_to_the_items(endpoint: Endpoint) -> None:
    body = click_body(item_id="223456789012", category="not-its-category", page="/")
    response = endpoint.client.post("/api/clicks", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 204
    assert endpoint.rows("clicks")[0]["category"] == "lenses"


def test_unknown_item_is_rejected_and_nothing_stored(endpoint: Endpoint) -> None:
    response = endpoint.client.post("/api/clicks", content=click_body(item_id="999"), headers=BEACON_HEADERS)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_item"
    assert endpoint.rows("clicks") == []


def test_bot_click_is_kept_flagged_and_left_out_of_stats(endpoint: Endpoint) -> None:
    bot = {**BEACON_HEADERS, "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=bot).status_code == 204
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS).status_code == 204
    assert sorted(r["is_bot"] for r in endpoint.rows("clicks")) == [False, True]
    stats = endpoint.store.click_stats(endpoint.clock().date())
    assert stats["item"] == [("123456789012", 1)]
    assert stats["bots"] == [("bots", 1)]


def test_bad_bodies_get_json_errors_and_store_nothing(endpoint: Endpoint) -> None:
    post = endpoint.client.post
    cases = [
        (post("/api/clicks", content="x" * 2049, headers=BEACON_HEADERS), 413, "body_too_large"),
        (post("/api/clicks", content="{not json", headers=BEACON_HEADERS), 400, "malformed_body"),
        (post("/api/clicks", content='{"item_id": 123456789012}', headers=BEACON_HEADERS), 422, "invalid_click"),
        (
            post("/api/clicks", content=json.dumps({"item_id": "123456789012", "x": 1}), headers=BEACON_HEADERS),
            422,
            "invalid_click",
        ),
        (
            post("/api/clicks", content=click_body(page="javascript:alert(1)"), headers=BEACON_HEADERS),
            422,
            "invalid_click",
        ),
        (
            post("/api/clicks", content=click_body(), headers={"content-type": "application/xml"}),
            415,
            "unsupported_media_type",
        ),
        (post("/api/clicks", content="[]", headers=BEACON_HEADERS), 422, "invalid_click"),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
        assert "Traceback" not in response.text
    assert endpoint.rows("clicks") == []


def test_chunked_body_over_the_limit_is_refused(endpoint: Endpoint) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1000

    response = endpoint.client.post("/api/clicks", content=chunks(), headers=BEACON_HEADERS)
    assert response.status_code == 413


def test_cross_site_clicks_are_refused(endpoint: Endpoint) -> None:
    evil = {**BEACON_HEADERS, "origin": "https://evil.example"}
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=evil).status_code == 403
    no_origin = {"content-type": "text/plain", "sec-fetch-site": "cross-site", "user-agent": BROWSER_UA}
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=no_origin).status_code == 403
    same = {"content-type": "text/plain", "sec-fetch-site": "same-origin", "user-agent": BROWSER_UA}
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=same).status_code == 204
    assert len(endpoint.rows("clicks")) == 1


def test_visitor_hash_is_stable_for_a_day_and_unlinkable_the_next(endpoint: Endpoint) -> None:
    for _ in range(2):
        endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    endpoint.clock.advance(days=1)
    endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    first, second, third = (r["visitor"] for r in endpoint.rows("clicks"))
    assert first == second != third
    endpoint.clock.advance(days=2)
    endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    assert len(endpoint.rows("visitor_salts")) <= 2  # old salts are erased: old hashes cannot be recomputed


def test_manifest_changes_are_picked_up(endpoint: Endpoint) -> None:
    from builder.manifest import ManifestItem

    new = ManifestItem("323456789012", "https://www.ebay.com/itm/323456789012", "Tripod", "/p/tripod/", ("tripods",))
    assert (
        endpoint.client.post("/api/clicks", content=click_body(item_id=new.item_id), headers=BEACON_HEADERS).status_code
        == 422
    )
    write_manifest(endpoint.manifest, [*ITEMS, new])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        response = endpoint.client.post("/api/clicks", content=click_body(item_id=new.item_id), headers=BEACON_HEADERS)
        if response.status_code == 204:
            break
        time.sleep(0.05)
    assert response.status_code == 204
    assert endpoint.client.get("/api/health").json()["manifest_items"] == 3


def test_broken_manifest_keeps_the_last_good_one(endpoint: Endpoint) -> None:
    endpoint.manifest.write_text("{ half a manif")
    time.sleep(0.4)
    assert endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS).status_code == 204


def test_clicks_per_ip_are_limited(make_endpoint: AppFactory) -> None:
    endpoint = make_endpoint(AFFSITE_CLICKS_PER_IP_PER_MINUTE="3")
    statuses = [
        endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS).status_code for _ in range(5)
    ]
    assert statuses == [204, 204, 204, 429, 429]
    assert len(endpoint.rows("clicks")) == 3


def test_health_reports_database_and_manifest(endpoint: Endpoint) -> None:
    body = endpoint.client.get("/api/health").json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "manifest_items": 2,
        "manifest_generated_at": "2026-11-22T09:00:00Z",
        "outbox": {"queued": 0, "retrying": 0, "failed": 0, "oldest_queued_seconds": None, "last_error": None},
    }


def test_health_and_clicks_are_503_when_the_database_is_gone(endpoint: Endpoint) -> None:
    broken = Store.from_url("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    endpoint.client.app.state.runtime.store = broken  # type: ignore[attr-defined]
    response = endpoint.client.get("/api/health")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    response = endpoint.client.post("/api/clicks", content=click_body(), headers=BEACON_HEADERS)
    assert response.status_code == 503  # never a 204 for a click that was not committed
    endpoint.client.app.state.runtime.store = endpoint.store  # type: ignore[attr-defined]
