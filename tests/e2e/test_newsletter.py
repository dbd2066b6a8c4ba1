"""The newsletter's whole loop in a real Chromium, on the built site with the endpoint behind `affsite serve` and a
real SMTP server: sign up on a product page, get the mail, confirm from its link, leave again by one-click
(RFC 8058) and by the link; and a page on another site cannot confirm for anyone."""

from __future__ import annotations

import re
from email.message import Message

import httpx
import pytest

from .conftest import MailSink, Site, Visit
from .test_browser import first_product_path

pytestmark = pytest.mark.e2e


def _body(mail: Message) -> str:
    part = mail.get_body(("plain",)) if hasattr(mail, "get_body") else None
    payload = (part or mail).get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def _link(mail: Message, path: str) -> str:
    found = re.search(rf"http://\S+{re.escape(path)}\?token=\S+", _body(mail))
    assert found, _body(mail)
    return found.group(0)


def _status(site: Site, address: str) -> list[tuple[str]]:
    return site.rows("SELECT status FROM subscribers WHERE email_key = ?", address)


def _subscribe_on_a_product_page(site: Site, visit: Visit, address: str) -> None:
    page = visit.page
    page.goto(site.url + first_product_path(visit, site))
    page.get_by_label("Get the best new deals by email").fill(address)
    page.get_by_role("button", name="Subscribe").click()
    page.locator(".newsletter-status").filter(has_text="Thanks").wait_for()


def test_sign_up_confirm_and_leave_in_chromium(site: Site, visit: Visit, mail_sink: MailSink) -> None:
    page = visit.page
    _subscribe_on_a_product_page(site, visit, "loop-reader@example.com")
    mail = mail_sink.to("loop-reader@example.com")
    assert _status(site, "loop-reader@example.com") == [("pending",)]

    page.goto(_link(mail, "/api/confirm"))
    assert page.locator("h1").inner_text() == "Confirm your subscription"
    assert _status(site, "loop-reader@example.com") == [("pending",)]  # opening the link alone confirms nothing
    with page.expect_response("**/api/confirm") as answer:
        page.get_by_role("button", name="Yes, subscribe me").click()
    assert answer.value.status == 200
    assert answer.value.request.header_value("origin") in (site.url, "null")  # what Chromium really sends
    assert page.locator("h1").inner_text() == "You are subscribed"
    assert _status(site, "loop-reader@example.com") == [("confirmed",)]

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the header's URL, with no cookies or Origin
    header = str(mail["List-Unsubscribe"]).strip()
    assert str(mail["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
    one_click = httpx.post(
        header.strip("<>"),
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert _status(site, "loop-reader@example.com") == [("unsubscribed",)]
    visit.assert_clean()


def test_leave_from_the_link_in_the_mail(site: Site, visit: Visit, mail_sink: MailSink) -> None:
    page = visit.page
    _subscribe_on_a_product_page(site, visit, "link-leaver@example.com")
    mail = mail_sink.to("link-leaver@example.com")
    page.goto(_link(mail, "/api/confirm"))
    page.get_by_role("button", name="Yes, subscribe me").click()
    page.locator("h1").filter(has_text="You are subscribed").wait_for()

    page.goto(_link(mail, "/api/unsubscribe"))
    assert _status(site, "link-leaver@example.com") == [("confirmed",)]  # the page asks first
    page.get_by_role("button", name="Unsubscribe me").click()
    page.locator("h1").filter(has_text="You are unsubscribed").wait_for()
    assert _status(site, "link-leaver@example.com") == [("unsubscribed",)]
    visit.assert_clean()


def test_a_page_on_another_site_cannot_confirm(site: Site, visit: Visit, mail_sink: MailSink) -> None:
    page = visit.page
    _subscribe_on_a_product_page(site, visit, "victim@example.com")
    token = _link(mail_sink.to("victim@example.com"), "/api/confirm").split("token=", 1)[1]
    evil = (
        f'<!doctype html><title>evil</title><form method="post" action="{site.url}/api/confirm">'
        f'<input type="hidden" name="token" value="{token}"><button>go</button></form>'
    )
    page.route("https://evil.example/**", lambda route: route.fulfill(status=200, content_type="text/html", body=evil))
    page.goto("https://evil.example/")
    with page.expect_response("**/api/confirm") as answer:
        page.get_by_role("button", name="go").click()
    assert answer.value.status == 403
    assert _status(site, "victim@example.com") == [("pending",)]
