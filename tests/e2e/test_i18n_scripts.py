"""The scripts speak the page's language (issue 14): in Chromium, the texts that site.js, filters.js and search.js
write come from the page's catalog. The site is the pseudo-translated one of tests/test_i18n_marking.py (every text
"⟦text⟧", German numbers), built by the CLI and served as static files; the clock is moved with Playwright's."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from conftest import NOW, SiteDir
from test_i18n_marking import affsite_build, pseudo_catalog, write_site

from .conftest import Visit

pytestmark = pytest.mark.e2e


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pseudo_url(site_dir: SiteDir, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    write_site(site_dir, pseudo_catalog(tmp_path_factory.mktemp("pseudo")))
    affsite_build(site_dir)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site_dir.output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_relative_times_chips_and_search_use_the_pages_texts(pseudo_url: str, visit: Visit) -> None:
    page = visit.page
    page.clock.set_fixed_time(NOW + timedelta(hours=2))
    page.goto(pseudo_url + "/p/kamera-4-100000000004/")
    assert page.locator(".product-buy .price-age").inner_text() == "⟦Price checked ⟦⟦2 h⟧ ago⟧⟧"

    page.goto(pseudo_url + "/kameras/")
    options = page.locator("#sf-sort option").all_inner_texts()
    assert options == [
        "⟦Featured⟧",
        "⟦Price: low to high⟧",
        "⟦Price: high to low⟧",
        "⟦Ending soonest⟧",
        "⟦Newly listed⟧",
    ]
    page.get_by_role("button", name="⟦Auction⟧").click()
    # Two auctions of 15 listings: the plural form the browser picks for 15 (CLDR's "other"), the count in German.
    page.wait_for_function("document.querySelector('.sort-filter-status').textContent !== ''")
    assert page.locator(".sort-filter-status").inner_text() == "⟦2 of 15 listings⟧"

    page.goto(pseudo_url + "/search/")
    status = page.locator("[data-status]")
    page.wait_for_selector("form[data-ready]")
    assert status.inner_text() == "⟦Type what you are looking for, or pick a filter.⟧"
    legends = page.locator("[data-filters] legend").all_inner_texts()
    assert legends and all(re.fullmatch(r"⟦\w+⟧", legend) for legend in legends), legends
    page.locator("#search-q").fill("Objektiv")
    page.wait_for_function(
        "/⟦/.test(document.querySelector('[data-status]').textContent) && "
        "/Objektiv/.test(document.querySelector('[data-status]').textContent)"
    )
    assert re.fullmatch(r"⟦\d+ results for “Objektiv”\.⟧", status.inner_text()), status.inner_text()
    visit.assert_clean()
