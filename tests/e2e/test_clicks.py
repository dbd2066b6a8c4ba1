"""Clicks counted without a redirect hop: the product link goes straight to eBay; without script the browser's own
`ping` counts it, with script the beacon does (also for a middle click), and never twice."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest

from .conftest import Site, Visit
from .test_browser import first_product_path

pytestmark = pytest.mark.e2e


def _clicks(site: Site, item_id: str) -> list[tuple[str, str]]:
    return site.rows("SELECT source, page FROM clicks WHERE item_id = ? ORDER BY id", item_id)


def _new_clicks(site: Site, item_id: str, before: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + 10
    while len(_clicks(site, item_id)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a second count of the same click (ping and beacon both) would land meanwhile
    return _clicks(site, item_id)[before:]


def test_without_javascript_the_ping_counts_the_click(site: Site, new_visit: Callable[..., Visit]) -> None:
    probe = new_visit()
    path = first_product_path(probe, site)
    visit = new_visit(java_script_enabled=False)
    page = visit.page
    page.goto(site.url + path)
    link = page.locator(".product-buy").get_by_role("link", name=re.compile(r"on eBay$"))
    item_id = link.get_attribute("data-item")
    assert link.get_attribute("href").startswith("https://www.ebay.com/")  # no hop through our domain
    before = len(_clicks(site, item_id))
    link.click()
    page.wait_for_url("https://www.ebay.com/**")
    assert _new_clicks(site, item_id, before) == [("ping", path)]
    visit.assert_clean()


def test_with_javascript_a_middle_click_is_counted_once_by_the_beacon(site: Site, visit: Visit) -> None:
    path = first_product_path(visit, site)
    page = visit.page
    page.goto(site.url + path)
    link = page.locator(".product-buy").get_by_role("link", name=re.compile(r"on eBay$"))
    assert link.get_attribute("ping") is None  # script counts clicks; the ping would count them twice
    item_id = link.get_attribute("data-item")
    before = len(_clicks(site, item_id))
    link.click(button="middle")
    assert _new_clicks(site, item_id, before) == [("beacon", path)]
    visit.assert_clean()
