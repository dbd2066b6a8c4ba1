"""GET /go/{item_id}: the tracked redirect for newsletters and visitors without JavaScript."""

from __future__ import annotations

from .conftest import BROWSER_UA, ITEMS, SITE, Endpoint


def test_go_redirects_to_the_manifest_url_and_counts(endpoint: Endpoint) -> None:
    response = endpoint.client.get("/go/123456789012", headers={"user-agent": BROWSER_UA}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == ITEMS[0].url
    assert response.headers["cache-control"] == "no-store"
    [row] = endpoint.rows("clicks")
    assert (row["item_id"], row["source"], row["category"], row["is_bot"]) == ("123456789012", "go", "cameras", False)


def test_head_and_prefetch_are_not_counted(endpoint: Endpoint) -> None:
    assert endpoint.client.head("/go/123456789012", follow_redirects=False).status_code == 302
    for header in ({"sec-purpose": "prefetch"}, {"purpose": "prefetch"}, {"x-moz": "prefetch"}):
        response = endpoint.client.get("/go/123456789012", headers=header, follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == ITEMS[0].url
    assert endpoint.rows("clicks") == []


def test_unknown_item_is_a_404_page_that_links_to_the_site(endpoint: Endpoint) -> None:
    response = endpoint.client.get("/go/999999999999", follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f'href="{SITE}/"' in response.text
    assert endpoint.rows("clicks") == []


def test_no_open_redirect(endpoint: Endpoint) -> None:
    attempts = [
        "/go/123456789012?url=https://evil.example/",
        "/go/123456789012?redirect=//evil.example",
        "/go/https:%2F%2Fevil.example",
        "/go/%2F%2Fevil.example",
        "/go/123456789012%0d%0aLocation:%20https://evil.example",
        "/go/..%2F..%2Fevil",
    ]
    for path in attempts:
        response = endpoint.client.get(path, follow_redirects=False)
        location = response.headers.get("location")
        assert location in (None, ITEMS[0].url), (path, location)
        assert "evil.example" not in response.headers.get("location", "")
        assert response.status_code in (302, 404), path
