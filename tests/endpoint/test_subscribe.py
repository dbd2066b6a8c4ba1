"""Subscriptions: the form without JavaScript, JSON, double opt-in over real SMTP, unsubscribe, abuse defences."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from .conftest import SITE, AppFactory, Endpoint

FORM = {"content-type": "application/x-www-form-urlencoded", "origin": SITE}


def _links(message: EmailMessage) -> tuple[str, str]:
    body = message.get_content()
    confirm = re.search(r"https://\S+/api/confirm\?token=\S+", body)
    unsubscribe = re.search(r"https://\S+/api/unsubscribe\?token=\S+", body)
    assert confirm and unsubscribe, body
    return confirm.group(0), unsubscribe.group(0)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _status(endpoint: Endpoint) -> list[str]:
    return [row["status"] for row in endpoint.rows("subscribers")]


def test_double_opt_in_and_one_click_unsubscribe(endpoint: Endpoint) -> None:
    response = endpoint.client.post("/api/subscribe", json={"email": "Reader@Example.COM", "website": ""})
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    [mail] = endpoint.smtp.wait(1)
    assert mail["To"] == "Reader@example.com"
    assert mail["From"] == "news@shop.example.org"
    confirm_url, unsubscribe_url = _links(mail)
    assert mail["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the header as sent: the URL itself (a mail client does not decode RFC 2047 words in List-Unsubscribe)
    assert f"List-Unsubscribe: <{unsubscribe_url}>".encode() in endpoint.smtp.raw[0]
    assert confirm_url.startswith(SITE + "/api/confirm?token=")
    assert _status(endpoint) == ["pending"]

    # a mail scanner following the link does not confirm: the page only shows a button
    page = endpoint.client.get(_path(confirm_url))
    assert page.status_code == 200
    assert '<form method="post" action="/api/confirm">' in page.text
    assert _status(endpoint) == ["pending"]
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    confirmed = endpoint.client.post("/api/confirm", data={"token": token.group(1)}, headers={"origin": SITE})
    assert confirmed.status_code == 200
    assert "You are subscribed" in confirmed.text
    [row] = endpoint.rows("subscribers")
    assert row["status"] == "confirmed"
    assert row["confirmed_at"] is not None
    assert row["consent_ip_hash"] and "203.0.113.7" not in row["consent_ip_hash"]

    # single use
    again = endpoint.client.post("/api/confirm", data={"token": token.group(1)}, headers={"origin": SITE})
    assert again.status_code == 400

    # RFC 8058 one-click, as a mail provider sends it (no Origin, form body)
    one_click = endpoint.client.post(
        _path(unsubscribe_url),
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert _status(endpoint) == ["unsubscribed"]
    # the page from the link offers the button too, and repeating does no harm
    assert "Unsubscribe me" in endpoint.client.get(_path(unsubscribe_url)).text
    assert endpoint.client.post(_path(unsubscribe_url)).status_code == 200


def test_form_without_javascript_redirects_to_the_thank_you_page(endpoint: Endpoint) -> None:
    response = endpoint.client.post(
        "/api/subscribe", content="email=form%40example.org&website=", headers=FORM, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == SITE + "/newsletter/thanks/"
    endpoint.smtp.wait(1)
    assert _status(endpoint) == ["pending"]


def test_invalid_address_from_the_form_gets_a_page(endpoint: Endpoint) -> None:
    response = endpoint.client.post("/api/subscribe", content="email=not-an-address&website=", headers=FORM)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "not valid" in response.text
    json_response = endpoint.client.post("/api/subscribe", json={"email": "a@b@c"})
    assert json_response.json()["error"]["code"] == "invalid_email"
    too_long = endpoint.client.post("/api/subscribe", json={"email": "a" * 300 + "@example.org"})
    assert too_long.status_code == 422
    assert endpoint.rows("subscribers") == []


def test_subscribing_again_is_not_an_error_and_reveals_nothing(endpoint: Endpoint) -> None:
    first = endpoint.client.post("/api/subscribe", json={"email": "same@example.org"})
    second = endpoint.client.post("/api/subscribe", json={"email": "SAME@example.org"})  # a double submit
    other = endpoint.client.post("/api/subscribe", json={"email": "new@example.org"})
    assert first.status_code == second.status_code == other.status_code == 202
    assert first.json() == second.json() == other.json()
    assert len(endpoint.rows("subscribers")) == 2
    endpoint.smtp.wait(2)
    # the double submit queued one mail, not two
    assert [row["kind"] for row in endpoint.rows("outbox")] == ["confirm", "confirm"]
    assert len([m for m in endpoint.smtp.messages if m["To"].lower() == "same@example.org"]) == 1
    # asking again an hour later sends a reminder with the same link, so both mails' links work
    endpoint.clock.advance(hours=1)
    assert endpoint.client.post("/api/subscribe", json={"email": "same@example.org"}).status_code == 202
    endpoint.smtp.wait(3)
    mails = [m for m in endpoint.smtp.messages if m["To"].lower() == "same@example.org"]
    assert len(mails) == 2 and mails[0]["Message-ID"] != mails[1]["Message-ID"]
    old_token, new_token = (_links(m)[0].split("token=", 1)[1] for m in mails)
    assert endpoint.client.post("/api/confirm", data={"token": old_token}).status_code == 200
    assert endpoint.client.post("/api/confirm", data={"token": new_token}).status_code == 400  # used: single use


def test_honeypot_gets_a_neutral_success_and_nothing_is_stored(endpoint: Endpoint) -> None:
    form = endpoint.client.post(
        "/api/subscribe",
        content="email=bot%40example.org&website=http%3A%2F%2Fspam",
        headers=FORM,
        follow_redirects=False,
    )
    assert form.status_code == 303
    as_json = endpoint.client.post("/api/subscribe", json={"email": "bot@example.org", "website": "spam"})
    assert as_json.status_code == 202
    assert endpoint.rows("subscribers") == []
    assert endpoint.rows("rate_limits") == []
    assert endpoint.smtp.messages == []


def test_rate_limit_per_address(endpoint: Endpoint) -> None:
    statuses = [
        endpoint.client.post("/api/subscribe", json={"email": "flood@example.org"}).status_code for _ in range(4)
    ]
    assert statuses == [202, 202, 202, 429]
    assert "retry-after" in endpoint.client.post("/api/subscribe", json={"email": "flood@example.org"}).headers
    assert endpoint.client.post("/api/subscribe", json={"email": "other@example.org"}).status_code == 202
    endpoint.clock.advance(hours=1)
    assert endpoint.client.post("/api/subscribe", json={"email": "flood@example.org"}).status_code == 202


def test_rate_limit_per_ip(make_endpoint: AppFactory) -> None:
    endpoint = make_endpoint(AFFSITE_SUBSCRIBE_PER_IP_PER_HOUR="2")
    statuses = [
        endpoint.client.post("/api/subscribe", json={"email": f"p{i}@example.org"}).status_code for i in range(3)
    ]
    assert statuses == [202, 202, 429]
    assert len(endpoint.rows("subscribers")) == 2
    assert all("203.0.113.7" not in row["key"] for row in endpoint.rows("rate_limits"))


def test_cross_site_posts_are_refused(endpoint: Endpoint) -> None:
    evil = endpoint.client.post(
        "/api/subscribe",
        content="email=victim%40example.org",
        follow_redirects=False,
        headers={"content-type": "application/x-www-form-urlencoded", "origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    no_origin = endpoint.client.post(
        "/api/subscribe",
        content="email=victim%40example.org",
        headers={"content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site"},
    )
    assert no_origin.status_code == 403
    null_origin = endpoint.client.post("/api/subscribe", json={"email": "v@example.org"}, headers={"origin": "null"})
    assert null_origin.status_code == 403
    assert endpoint.rows("subscribers") == []


def test_expired_forged_and_cross_purpose_tokens_do_not_confirm(endpoint: Endpoint) -> None:
    endpoint.client.post("/api/subscribe", json={"email": "late@example.org"})
    confirm_url, unsubscribe_url = _links(endpoint.smtp.wait(1)[0])
    token = confirm_url.split("token=", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert endpoint.client.post("/api/confirm", data={"token": forged}).status_code == 400
    unsubscribe_token = unsubscribe_url.split("token=", 1)[1]
    assert endpoint.client.post("/api/confirm", data={"token": unsubscribe_token}).status_code == 400
    assert endpoint.client.get("/api/confirm?token=garbage").status_code == 400
    endpoint.clock.advance(hours=49)
    assert endpoint.client.get(_path(confirm_url)).status_code == 400
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 400
    assert _status(endpoint) == ["pending"]
    assert (
        endpoint.client.post(
            "/api/confirm", data={"token": token}, headers={"origin": "https://evil.example"}
        ).status_code
        == 403
    )


def test_non_ascii_tokens_are_bad_links_not_server_errors(endpoint: Endpoint) -> None:
    for token in ("%C3%A9.abc", "abc.%C3%A9", "%C3%A9"):
        assert endpoint.client.get(f"/api/confirm?token={token}").status_code == 400
        assert endpoint.client.get(f"/api/unsubscribe?token={token}").status_code == 400
        assert endpoint.client.post(f"/api/unsubscribe?token={token}").status_code == 400
        assert endpoint.client.post("/api/confirm", content=f"token={token}", headers=FORM).status_code == 400


def test_malformed_and_oversized_subscribe_bodies(endpoint: Endpoint) -> None:
    post = endpoint.client.post
    assert post("/api/subscribe", content="{", headers={"content-type": "application/json"}).status_code == 400
    assert post("/api/subscribe", json={"email": "a@example.org", "extra": 1}).status_code == 422
    assert post("/api/subscribe", json=["a@example.org"]).status_code == 422
    assert (
        post("/api/subscribe", content="email=a%40example.org", headers={"content-type": "text/csv"}).status_code == 415
    )
    big = post("/api/subscribe", content="email=" + "a" * 5000, headers=FORM)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "body_too_large"
    assert post("/api/subscribe", content=b"email=\xff\xfe", headers=FORM).status_code == 400
    assert endpoint.rows("subscribers") == []


def test_confirmed_subscriber_subscribing_again_gets_no_mail(endpoint: Endpoint) -> None:
    endpoint.client.post("/api/subscribe", json={"email": "loyal@example.org"})
    token = _links(endpoint.smtp.wait(1)[0])[0].split("token=", 1)[1]
    assert endpoint.client.post("/api/confirm", data={"token": token}).status_code == 200
    again = endpoint.client.post("/api/subscribe", json={"email": "loyal@example.org"})
    assert again.status_code == 202
    assert _status(endpoint) == ["confirmed"]
    import time

    time.sleep(0.3)
    assert len(endpoint.smtp.messages) == 1
