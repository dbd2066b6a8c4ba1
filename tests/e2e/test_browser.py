"""A visitor in a real Chromium: browse, click through to eBay, subscribe, see stale prices hidden, meet no errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from .conftest import CAMPAIGN, Site, Visit

pytestmark = pytest.mark.e2e

CATEGORY = "/headphones/"
GUIDE = "/guides/best-mirrorless-camera-under-1000/"  # a demo guide with every kind of block


def first_product_path(visit: Visit, site: Site) -> str:
    visit.page.goto(site.url + CATEGORY)
    href: str = visit.page.locator(".grid .card .card-link").first.get_attribute("href")
    assert href.startswith("/p/")
    return href


def test_home_category_and_product(site: Site, visit: Visit) -> None:
    page = visit.page
    page.goto(site.url + "/")
    assert page.locator("h1").inner_text() == "Gear Scout"
    assert page.locator(".disclosure").first.is_visible()
    assert page.locator(".grid .card").count() >= 4
    assert page.locator(".card .price-now").first.is_visible()

    page.locator("details.menu summary").click()  # the header's category menu (issue 12)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Headphones").click()
    page.wait_for_url(site.url + CATEGORY)
    assert page.locator("h1").inner_text().startswith("Headphones")
    cards = page.locator(".grid .card")
    assert cards.count() > 1
    title = cards.first.locator(".card-title").inner_text()

    cards.first.locator(".card-link").click()
    page.wait_for_url(site.url + "/p/**")
    assert page.locator("h1").inner_text() == title
    data = json.loads(page.locator('script[type="application/ld+json"]').first.text_content())  # then BreadcrumbList
    assert data["@type"] == "Product" and data["name"] == title
    # The button says what happens (issue 12); the price's age reads relative to the reader's clock.
    assert page.locator(".product-buy").get_by_role("link", name=re.compile(r"on eBay$")).is_visible()
    assert re.fullmatch(r"Price checked (just now|\d+ (min|h) ago)", page.locator(".product-buy .price-age").inner_text())
    visit.assert_clean()


def test_outbound_link_goes_to_the_tracked_url_and_the_click_is_stored(site: Site, visit: Visit) -> None:
    path = first_product_path(visit, site)
    page = visit.page
    page.goto(site.url + path)
    link = page.locator(".product-buy a.button")
    item_id = link.get_attribute("data-item")
    link.click()
    page.wait_for_url("https://www.ebay.com/**")
    assert visit.ebay_pages, "the browser never asked for the eBay page"
    assert f"campid={CAMPAIGN}" in page.url and item_id in page.url

    # (other tests click the same item without script: their clicks are the browser's pings)
    query = "SELECT item_id, page, source, is_bot FROM clicks WHERE item_id = ? AND source = 'beacon'"
    rows = site.wait_for_rows(query, item_id)
    assert rows, "the endpoint did not store the click"
    assert rows[0][1:] == (path, "beacon", 0)
    visit.assert_clean()


def test_subscribe_with_javascript(site: Site, visit: Visit, mail_sink: Any) -> None:
    page = visit.page
    page.goto(site.url + "/")
    page.get_by_label("Get the best new deals by email").fill("js-reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    status = page.locator(".newsletter-status")
    status.filter(has_text="Thanks").wait_for()
    assert page.url == site.url + "/"  # stayed on the page
    mail = mail_sink.to("js-reader@example.com")
    assert "confirm" in mail.get("Subject", "").lower() or "confirm" in str(mail.get_payload()).lower()
    rows = site.wait_for_rows("SELECT status FROM subscribers WHERE email_key = ?", "js-reader@example.com")
    assert rows == [("pending",)]
    visit.assert_clean()


def test_subscribe_without_javascript(site: Site, new_visit: Callable[..., Visit], mail_sink: Any) -> None:
    visit = new_visit(java_script_enabled=False)
    page = visit.page
    page.goto(site.url + CATEGORY)
    page.get_by_label("Get the best new deals by email").fill("plain-reader@example.com")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(site.url + "/newsletter/thanks/")
    assert page.locator("h1").inner_text() == "Check your inbox"
    mail_sink.to("plain-reader@example.com")
    rows = site.wait_for_rows("SELECT status FROM subscribers WHERE email_key = ?", "plain-reader@example.com")
    assert rows == [("pending",)]
    visit.assert_clean()


@pytest.mark.parametrize(("age", "shows_price"), [(timedelta(minutes=5), True), (timedelta(hours=7), False)])
def test_freshness_guard_hides_a_price_older_than_the_limit(
    site: Site, new_visit: Callable[..., Visit], age: timedelta, shows_price: bool
) -> None:
    probe = new_visit()
    path = first_product_path(probe, site)
    price = probe.page.locator(".product-buy .price")
    probe.page.goto(site.url + path)
    fetched = datetime.fromisoformat(price.get_attribute("data-fetched").replace("Z", "+00:00"))
    assert int(price.get_attribute("data-max-age")) == 6 * 3600

    visit = new_visit()
    visit.page.clock.set_fixed_time(fetched + age)
    visit.page.goto(site.url + path)
    price = visit.page.locator(".product-buy .price")
    assert price.locator(".price-live").is_visible() is shows_price
    assert price.locator(".price-check").is_visible() is not shows_price
    assert price.locator(".price-age").is_visible()  # the age is always stated
    visit.assert_clean()


# Accessibility (axe, any impact) and screenshots: test_design.py, over every kind of page, light and dark.
