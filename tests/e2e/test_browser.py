"""A visitor in a real Chromium: browse, click through to eBay, subscribe, see stale prices hidden, meet no errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from .conftest import ARTIFACTS, AXE, CAMPAIGN, Site, Visit

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
    assert page.locator(".product-info").get_by_role("link", name="View on eBay").is_visible()
    assert page.locator(".product-info .price-age").inner_text().startswith("Price as of")
    visit.assert_clean()


def test_outbound_link_goes_to_the_tracked_url_and_the_click_is_stored(site: Site, visit: Visit) -> None:
    path = first_product_path(visit, site)
    page = visit.page
    page.goto(site.url + path)
    link = page.locator(".product-info").get_by_role("link", name="View on eBay")
    item_id = link.get_attribute("data-item")
    link.click()
    page.wait_for_url("https://www.ebay.com/**")
    assert visit.ebay_pages, "the browser never asked for the eBay page"
    assert f"campid={CAMPAIGN}" in page.url and item_id in page.url

    rows = site.wait_for_rows("SELECT item_id, page, source, is_bot FROM clicks WHERE item_id = ?", item_id)
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
    price = probe.page.locator(".product-info .price")
    probe.page.goto(site.url + path)
    fetched = datetime.fromisoformat(price.get_attribute("data-fetched").replace("Z", "+00:00"))
    assert int(price.get_attribute("data-max-age")) == 6 * 3600

    visit = new_visit()
    visit.page.clock.set_fixed_time(fetched + age)
    visit.page.goto(site.url + path)
    price = visit.page.locator(".product-info .price")
    assert price.locator(".price-live").is_visible() is shows_price
    assert price.locator(".price-check").is_visible() is not shows_price
    assert price.locator(".price-age").is_visible()  # the age is always stated
    visit.assert_clean()


@pytest.mark.parametrize("which", ["home", "category", "product", "guide", "guides"])
def test_no_serious_accessibility_violations(site: Site, new_visit: Callable[..., Visit], which: str) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm install --prefix tests/e2e` (.ci/run does)")
    visit = new_visit(bypass_csp=True)  # axe is injected as an inline script
    path = {"home": "/", "category": CATEGORY, "guide": GUIDE, "guides": "/guides/"}.get(which) or first_product_path(
        visit, site
    )
    visit.page.goto(site.url + path)
    visit.page.add_script_tag(path=str(AXE))
    result = visit.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == []
    visit.assert_clean()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_screenshots(site: Site, new_visit: Callable[..., Visit], width: int, height: int) -> None:
    """Home, a category, a product and a guide at phone and desktop width, saved to e2e-artifacts/ (CI keeps
    them)."""
    visit = new_visit(viewport={"width": width, "height": height}, device_scale_factor=1)
    product = first_product_path(visit, site)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in (("home", "/"), ("category", CATEGORY), ("product", product), ("guide", GUIDE)):
        visit.page.goto(site.url + path)
        visit.page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        # Not wait_for_function: its polling evaluates a string, which the site's CSP (no 'unsafe-eval') refuses.
        loaded = visit.page.evaluate(
            "Promise.race([Promise.all([...document.images].map(i => i.decode().catch(() => null))).then(() => true),"
            " new Promise(done => setTimeout(() => done(false), 10000))])"
        )
        assert loaded, f"{path}: images still loading after 10 s"
        target = ARTIFACTS / f"{name}-{width}.png"
        visit.page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 5000
        overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
    visit.assert_clean()
