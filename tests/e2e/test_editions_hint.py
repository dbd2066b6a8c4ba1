"""The offer of another edition (assets/editions.js) as visitors meet it in Chromium, on the demo site's two
editions (`us` at /, `de` at /de/): shown to a German browser on the US pages, in German, and to an English browser
on the German pages, in English (the visitor reads the offered edition's language, not necessarily the page's),
never to a browser that reads the page; it links the same page in the other edition, never redirects, and a "No
thanks" is remembered in localStorage, with no cookie."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from .conftest import Site, Visit


def test_a_german_browser_is_offered_the_german_page_and_can_say_no(
    site: Site, new_visit: Callable[..., Visit]
) -> None:
    visit = new_visit(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = visit.page
    page.goto(site.url + "/mirrorless-cameras/")
    hint = page.locator("[data-edition-hint]")
    hint.wait_for(state="visible")
    link = hint.locator("a")
    assert link.get_attribute("href") == "/de/mirrorless-cameras/" and link.inner_text() == "Deutsch"
    # In German, for a reader of German, on an English page: the sentence, the link in it, the button.
    assert hint.get_attribute("lang") == "de-DE"
    assert hint.locator("p").inner_text() == "Diese Seite gibt es auch auf Deutsch."
    assert page.url == site.url + "/mirrorless-cameras/"  # an offer, not a redirect
    hint.get_by_role("button", name="Nein, danke").click()
    assert not hint.is_visible()
    page.reload()
    page.wait_for_load_state("load")
    assert not hint.is_visible()
    page.goto(site.url + "/")
    page.wait_for_load_state("load")
    assert not page.locator("[data-edition-hint]").is_visible()  # "no" holds for the whole site
    assert page.evaluate("localStorage.getItem('affsite-edition-hint')") == "no"
    assert page.context.cookies() == []
    visit.assert_clean()


def test_the_offer_follows_the_link_to_the_german_counterpart(site: Site, new_visit: Callable[..., Visit]) -> None:
    visit = new_visit(locale="de-DE", viewport={"width": 390, "height": 844})
    page = visit.page
    page.goto(site.url + "/")
    page.locator("[data-edition-hint] a").click()
    page.wait_for_url(site.url + "/de/")
    assert page.locator("html").get_attribute("lang") == "de-DE"
    assert not page.locator("[data-edition-hint]").is_visible()  # the German page has nothing to offer a German
    visit.assert_clean()


def test_an_english_browser_is_offered_the_english_page_in_english(site: Site, new_visit: Callable[..., Visit]) -> None:
    visit = new_visit(locale="en-US", viewport={"width": 1280, "height": 900})
    page = visit.page
    page.goto(site.url + "/de/mirrorless-cameras/")
    assert page.locator("html").get_attribute("lang") == "de-DE"
    hint = page.locator("[data-edition-hint]")
    hint.wait_for(state="visible")
    # The page is German, the offer English: its reader may not read German at all.
    assert hint.get_attribute("lang") == "en-US"
    assert hint.locator("p").inner_text() == "This page is also available in English."
    link = hint.get_by_role("link", name="English")
    assert link.get_attribute("href") == "/mirrorless-cameras/" and link.get_attribute("hreflang") == "en-US"
    hint.get_by_role("button", name="No thanks").click()
    assert not hint.is_visible()
    assert page.evaluate("localStorage.getItem('affsite-edition-hint')") == "no"
    visit.assert_clean()


def test_the_offer_without_script_stays_hidden(site: Site, new_visit: Callable[..., Visit]) -> None:
    visit = new_visit(locale="en-US", java_script_enabled=False)
    page = visit.page
    page.goto(site.url + "/de/")
    assert page.locator("[data-edition-hint]").count() == 1
    assert not page.locator("[data-edition-hint]").is_visible()
    visit.assert_clean()


def test_an_english_browser_is_never_offered_another_edition(site: Site, new_visit: Callable[..., Visit]) -> None:
    visit = new_visit(locale="en-US", viewport={"width": 1280, "height": 900})
    page = visit.page
    for path in ("/", "/mirrorless-cameras/", "/search/"):
        page.goto(site.url + path)
        page.wait_for_load_state("load")
        assert page.locator("[data-edition-hint]").count() == 1
        assert not page.locator("[data-edition-hint]").is_visible()
    assert page.context.cookies() == []
    visit.assert_clean()


def test_a_click_on_the_german_edition_goes_to_ebay_de_and_is_counted(site: Site, visit: Visit) -> None:
    # The one manifest names the German edition's listings too (with their /de/ page), so the endpoint counts them.
    german: list[str] = []

    def ebay_de(route: Any) -> None:
        german.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>eBay.de</title><p>eBay.de")

    page = visit.page
    page.context.route("https://www.ebay.de/**", ebay_de)
    page.goto(site.url + "/de/mirrorless-cameras/")
    path = page.locator(".grid .card .card-link").first.get_attribute("href")
    assert path is not None and path.startswith("/de/p/")
    page.goto(site.url + path)
    link = page.locator(".product-buy").get_by_role("link", name=re.compile(r"auf eBay", re.I))
    item_id = link.get_attribute("data-item")
    href = link.get_attribute("href")
    assert href.startswith("https://www.ebay.de/") and "mkrid=707-53477-19255-0" in href and "customid=de-" in href
    before = len(site.rows("SELECT id FROM clicks WHERE item_id = ?", item_id))
    link.click(button="middle")
    deadline = time.monotonic() + 10
    while len(site.rows("SELECT id FROM clicks WHERE item_id = ?", item_id)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    rows = site.rows("SELECT source, page FROM clicks WHERE item_id = ? ORDER BY id", item_id)[before:]
    assert rows == [("beacon", path)]
    visit.assert_clean()
