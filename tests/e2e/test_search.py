"""Search and the category chips in a real Chromium, on the demo site served by `affsite serve` (with the site's
CSP): type a query in the header, filter and sort the results; sort and filter a category page. The expected
results are read from what the build indexed of each listing's page (the records it keeps in its cache folder,
as the page's search block says them), not written down here."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from builder.search_index import RECORDS_NAME

from .conftest import AXE, Site, Visit

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Listing:
    title: str
    text: str  # what the search indexes of it: its page's search block
    condition: str
    amount: Decimal | None
    fetched: str


def listings(cache: Path) -> list[Listing]:
    """Every listing page's account of itself in the index: its title, text, condition and price, as its search
    block said them (the records the build keeps in its cache folder `cache`; ended listings are not in them)."""
    records = json.loads((cache / RECORDS_NAME).read_text())["records"]
    found = []
    for path, record in sorted(records.items()):
        if not path.startswith("p/"):
            continue  # a category or a guide
        price = record["sort"].get("price")
        condition = record["filters"].get("condition", [""])[0]
        amount = Decimal(price) if price else None
        found.append(Listing(record["meta"]["title"], record["content"], condition, amount, record["meta"]["fetched"]))
    return found


def query_word(all_listings: list[Listing]) -> str:
    """A brand-like word in 3 to 20 titles with at least two conditions among them, and never the start of a
    longer word (Pagefind matches the last word of a query as a prefix)."""
    words = Counter(w for item in all_listings for w in set(re.findall(r"\b[A-Z][a-z]{3,}\b", item.title)))
    vocabulary = {w.lower() for item in all_listings for w in re.findall(r"\w+", item.text)}
    for word, _ in words.most_common():
        longer = any(v != word.lower() and v.startswith(word.lower()) for v in vocabulary)
        found = matching(all_listings, word)
        if 3 <= len(found) <= 20 and len({i.condition for i in found}) >= 2 and not longer:
            return word
    raise AssertionError("the demo catalog has no word to search for")


def matching(all_listings: list[Listing], word: str) -> list[Listing]:
    return [i for i in all_listings if re.search(rf"\b{word}\b", i.text, re.IGNORECASE)]


def result_titles(visit: Visit) -> list[str]:
    return visit.page.locator(".search-result .search-title").all_inner_texts()


def wait_for_results(visit: Visit, expected: int) -> None:
    expect(visit.page.locator(".search-result")).to_have_count(expected)


def amount(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", text))


def test_search_from_the_header_then_filter_and_sort(site: Site, visit: Visit) -> None:
    all_listings = listings(site.cache)
    word = query_word(all_listings)
    found = matching(all_listings, word)
    page = visit.page
    page.goto(site.url + "/mirrorless-cameras/")
    page.get_by_role("search").get_by_label("Search listings").fill(word)
    page.get_by_role("search").get_by_label("Search listings").press("Enter")
    page.wait_for_url(f"{site.url}/search/?q={word}")
    page.locator("form[data-search][data-ready]").wait_for()
    page.locator(".search-result").first.wait_for()
    titles = result_titles(visit)
    assert {i.title for i in found} <= {t.removeprefix("Category: ") for t in titles}, titles
    prices = page.locator(".search-price strong").all_inner_texts()
    assert len(prices) == len(found) and all(p.startswith(("$", "Bid $")) for p in prices), prices
    ages = page.locator(".search-price time").all_inner_texts()
    assert len(ages) == len(found) and all(t.startswith("price checked") for t in ages), ages

    # A condition that some of the matches have and others not: only those are left.
    condition = Counter(i.condition for i in found).most_common()[-1][0]
    expected = sorted(i.title for i in found if i.condition == condition)
    page.locator("fieldset", has_text="Condition").get_by_label(condition, exact=True).check()
    wait_for_results(visit, len(expected))
    assert sorted(result_titles(visit)) == expected
    assert f"condition={condition}".replace(" ", "+") in page.url

    # Sorted by price, high to low, among the same matches.
    page.get_by_label("Sort").select_option("price-desc")
    page.wait_for_url("**sort=price-desc**")
    wait_for_results(visit, len(expected))
    shown = [amount(t) for t in page.locator(".search-price strong").all_inner_texts()]
    priced = sorted((i.amount for i in found if i.condition == condition and i.amount is not None), reverse=True)
    assert shown == priced and len(shown) == len(expected)
    visit.assert_clean()


def test_search_results_hide_a_price_older_than_the_limit(site: Site, visit: Visit) -> None:
    all_listings = listings(site.cache)
    word = query_word(all_listings)
    fetched = all_listings[0].fetched
    later = datetime.fromisoformat(fetched.replace("Z", "+00:00")) + timedelta(hours=7)
    visit.page.clock.set_fixed_time(later)
    visit.page.goto(f"{site.url}/search/?q={word}")
    visit.page.locator(".search-result").first.wait_for()
    prices = visit.page.locator(".search-result .search-price").all_inner_texts()
    assert prices and all(p == "Check the current price on eBay" for p in prices), prices
    visit.assert_clean()


def card_amounts(visit: Visit) -> list[Decimal]:
    return [amount(t) for t in visit.page.locator(".grid .card .price-now").all_inner_texts()]


def test_category_chips_sort_and_filter_without_a_server(site: Site, visit: Visit) -> None:
    slug = max(
        (p.parent.name for p in site.output.glob("*/listings.json")),
        key=lambda s: len(json.loads((site.output / s / "listings.json").read_text())["items"]),
    )
    items = json.loads((site.output / slug / "listings.json").read_text())["items"]
    page = visit.page
    page.goto(f"{site.url}/{slug}/")
    first_page = page.locator(".grid .card").count()
    assert page.locator("nav.pagination").is_visible() == (len(items) > first_page)

    page.get_by_label("Sort listings").select_option("price-asc")
    page.wait_for_url("**sort=price-asc")
    expect(page.locator(".grid .card")).to_have_count(min(len(items), 96))
    shown = card_amounts(visit)
    assert shown == sorted(shown) and len(shown) == sum(1 for i in items if i["price"] is not None)
    assert not page.locator("nav.pagination").is_visible()  # every listing of the category, sorted

    page.get_by_role("button", name="Free shipping").click()
    free = sum(1 for i in items if i["free"])
    assert 0 < free < len(items), "the demo category should have listings with and without free shipping"
    expect(page.locator(".grid .card")).to_have_count(free)
    metas = page.locator(".grid .card .card-meta").all_inner_texts()
    assert all("Free shipping" in m for m in metas), metas
    assert card_amounts(visit) == sorted(card_amounts(visit))
    assert page.get_by_role("button", name="Free shipping").get_attribute("aria-pressed") == "true"
    assert "free=1" in page.url

    # The address keeps the choice: a reload shows the same list; clearing it brings the paged list back.
    page.reload()
    expect(page.locator(".grid .card")).to_have_count(free)
    page.get_by_role("button", name="Free shipping").click()
    page.get_by_label("Sort listings").select_option("")
    expect(page.locator(".grid .card")).to_have_count(first_page)
    assert page.url == f"{site.url}/{slug}/"
    visit.assert_clean()


def test_search_page_with_results_and_filters_has_no_accessibility_violations(
    site: Site, new_visit: Callable[..., Visit]
) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm install --prefix tests/e2e` (.ci/run does)")
    visit = new_visit(bypass_csp=True)  # axe is injected as an inline script
    word = query_word(listings(site.cache))
    visit.page.goto(f"{site.url}/search/?q={word}")
    visit.page.locator(".search-result").first.wait_for()
    visit.page.add_script_tag(path=str(AXE))
    # Every impact, minor included; the demo-data banner is the theme's (outside any landmark, a known finding).
    result = visit.page.evaluate("axe.run({exclude: [['.demo-banner']]}, {resultTypes: ['violations']})")
    found = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]
    assert found == []
    visit.assert_clean()
