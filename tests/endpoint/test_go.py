"""GET /go/{item_id}: old newsletter links get a page that says where the link goes, never an automatic redirect
(EPN forbids redirecting to eBay from one's own domain); the click is counted by the link's ping."""

from __future__ import annotations

import re

from .conftest import BROWSER_UA, ITEMS, SITE, Endpoint

PING = {"content-type": "text/ping", "user-agent": BROWSER_UA, "origin": SITE, "ping-to": ITEMS[0].url}


def test_go_is_a_page_with_a_normal_link_and_no_redirect(endpoint: Endpoint) -> None:
    response = endpoint.client.get("/go/123456789012", headers={"user-agent": BROWSER_UA}, follow_redirects=False)
    assert response.status_code == 200
    assert "location" not in response.headers and "refresh" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "You are going to eBay" in response.text and "Camera" in response.text
    assert 'http-equiv="refresh"' not in response.text and "<script" not in response.text
    link = re.search(r'<a href="([^"]+)" rel="sponsored nofollow noopener" ping="([^"]+)"', response.text)
    assert link, response.text
    assert link.group(1).replace("&amp;", "&") == ITEMS[0].url
    assert "connect-src 'self'" in response.headers["content-security-policy"]  # the ping may go out
    assert endpoint.client.head("/go/123456789012").status_code == 200  # link checkers find a page
    assert endpoint.rows("clicks") == []  # showing the page is not a click

    # the browser's ping when the link is followed
    ping = link.group(2).replace("&amp;", "&")
    assert endpoint.client.post(ping, content="PING", headers=PING).status_code == 204
    [row] = endpoint.rows("clicks")
    assert (row["item_id"], row["source"], row["category"], row["is_bot"]) == ("123456789012", "go", "cameras", False)


def test_product_link_pings_are_counted_with_their_page(endpoint: Endpoint) -> None:
    headers = {**PING, "ping-from": SITE + "/p/lens-223456789012/"}
    response = endpoint.client.post("/api/clicks?item=223456789012&category=lenses", content="PING", headers=headers)
    assert response.status_code == 204
    [row] = endpoint.rows("clicks")
    assert (row["item_id"], row["source"], row["category"], row["page"]) == (
        "223456789012",
        "ping",
        "lenses",
        "/p/lens-223456789012/",
    )
    evil = {**headers, "origin": "https://evil.example"}
    assert endpoint.client.post("/api/clicks?item=223456789012", content="PING", headers=evil).status_code == 403
    unknown = endpoint.client.post("/api/clicks?item=999", content="PING", headers=headers)
    assert unknown.status_code == 422
    assert len(endpoint.rows("clicks")) == 1


def test_unknown_item_is_a_page_that_links_to_the_site(endpoint: Endpoint) -> None:
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
        assert "location" not in response.headers, path
        assert "evil.example" not in response.text, path
        assert response.status_code in (200, 404), path
