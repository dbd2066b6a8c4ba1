"""The storefront's design in a real Chromium (issue 12): every kind of page at phone and desktop width, light and
dark, saved as screenshots; axe-core finds nothing at any impact; the phone sees price and button without
scrolling; the category menu works; times read relative to the reader's clock.

The site is a real (non-demo) build of the repository's site from the bundled catalog used as a response directory,
built twice by the CLI with one listing removed in between, so that it has an ended page too; it is served as
Netlify serves it, with netlify.toml's headers (the CSP included), so a blocked resource is a console error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlencode

import pytest

from .conftest import ARTIFACTS, AXE, REPO, Visit, copy_site
from .test_search import listings, matching, query_word

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "design"
PHONE = (390, 844)
DESKTOP = (1280, 900)


class _Netlify(SimpleHTTPRequestHandler):
    """The output folder with netlify.toml's headers; a missing file answers /404.html with status 404."""

    headers_for: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        path = self.path.split("?", 1)[0]
        for pattern, values in self.headers_for:
            if re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), path):
                for name, value in values.items():
                    self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _build(root: Path, catalog: Path) -> None:
    command = [sys.executable, "-m", "builder", "build", "--root", str(root), "--catalog-dir", str(catalog)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def storefront(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """(URL, {kind of page: path}) of a served non-demo build with every kind of page."""
    work = tmp_path_factory.mktemp("storefront")
    root = copy_site(work / "site")
    catalog = work / "catalog"
    # Copied with fresh times: a response directory's data is as old as its files.
    shutil.copytree(REPO / "builder" / "demo_catalog", catalog, copy_function=shutil.copy)
    _build(root, catalog)
    headphones = catalog / "headphones.json"
    data = json.loads(headphones.read_text(encoding="utf-8"))
    gone = data["itemSummaries"].pop(0)  # sold between two builds: its page becomes an "ended" page
    headphones.write_text(json.dumps(data), encoding="utf-8")
    _build(root, catalog)

    output = root / "output"
    pages: dict[str, str] = {"home": "/", "category": "/headphones/", "404": "/no-such-page/"}
    for page in sorted(output.glob("p/*/index.html")):
        html = page.read_text(encoding="utf-8")
        path = "/" + page.parent.relative_to(output).as_posix() + "/"
        if "product-ended" in html:
            kind = "ended"
        elif "no-image-large" in html:
            kind = "no-image"
        elif ">Bid on eBay<" in html:
            kind = "auction"
        elif ">Buy It Now on eBay<" in html and "price-was" in html:
            kind = "product"
        else:
            continue
        pages.setdefault(kind, path)
    guides = sorted(output.glob("guides/*/index.html"))  # the demo site's buying guides (guide_pages.py)
    if guides:
        pages["guide"] = "/" + guides[0].parent.relative_to(output).as_posix() + "/"
        pages["guides"] = "/guides/"
    assert gone["legacyItemId"] in pages["ended"], pages
    # The search page with results, one filter applied: a condition that some of the matches have.
    indexed = listings(root / ".cache")  # what the build indexed of the listing pages
    word = query_word(indexed)
    condition = Counter(i.condition for i in matching(indexed, word)).most_common(1)[0][0]
    pages["search"] = "/search/?" + urlencode({"q": word, "condition": condition})
    kinds = {"home", "category", "404", "product", "auction", "no-image", "ended", "guide", "guides", "search"}
    assert set(pages) == kinds, pages

    netlify = tomllib.loads((root / "netlify.toml").read_text(encoding="utf-8"))
    _Netlify.headers_for = [
        (rule["for"], {k: " ".join(str(v).split()) for k, v in rule["values"].items()}) for rule in netlify["headers"]
    ]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Netlify, directory=str(output)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", pages
    finally:
        server.shutdown()


def _open(visit: Visit, url: str) -> None:
    response = visit.page.goto(url)
    assert response is not None
    if url.endswith("/no-such-page/"):
        assert response.status == 404
        # The browser logs the 404 status itself; that one console error is the point of the page.
        visit.errors[:] = [e for e in visit.errors if "404" not in e]
    else:
        assert response.status == 200, url
    if "/search/?" in url:  # the results come from the index in the browser, after the page has loaded
        visit.page.locator("form[data-search][data-ready]").wait_for()
        visit.page.locator(".search-result").first.wait_for()
        assert visit.page.locator("input[type=checkbox]:checked").count() == 1, url


def _load_images(visit: Visit, url: str) -> None:
    visit.page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    # Not wait_for_function: its polling evaluates a string, which the site's CSP (no 'unsafe-eval') refuses.
    loaded = visit.page.evaluate(
        "Promise.race([Promise.all([...document.images].map(i => i.decode().catch(() => null))).then(() => true),"
        " new Promise(done => setTimeout(() => done(false), 10000))])"
    )
    assert loaded, f"{url}: images still loading after 10 s"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), [PHONE, DESKTOP])
def test_screenshots_of_every_kind_of_page(
    storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit], width: int, height: int, scheme: str
) -> None:
    """Saved to e2e-artifacts/design/<page>-<width>-<scheme>.png, and -fold.png for the first screen only (CI keeps
    them; the README's pictures in docs/screenshots/ are copies of some); no page scrolls sideways."""
    url, pages = storefront
    visit = new_visit(viewport={"width": width, "height": height}, device_scale_factor=1, color_scheme=scheme)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        _open(visit, url + path)
        _load_images(visit, path)
        background = visit.page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        assert (background == "rgb(17, 20, 25)") is (scheme == "dark"), (path, background)
        target = SHOTS / f"{name}-{width}-{scheme}.png"
        visit.page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 5000
        visit.page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}-fold.png"))  # what the first screen shows
        overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        # Short pages: the footer ends at the bottom of the screen or below it, never with a band under it.
        gap = visit.page.evaluate("window.innerHeight - document.querySelector('footer').getBoundingClientRect().bottom")
        assert gap <= 1, f"{path}: {gap}px under the footer at {width}px"
    visit.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), [PHONE, DESKTOP])
def test_axe_finds_no_violations(
    storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit], width: int, height: int, scheme: str
) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm install --prefix tests/e2e` (.ci/run does)")
    url, pages = storefront
    visit = new_visit(viewport={"width": width, "height": height}, color_scheme=scheme, bypass_csp=True)
    found: list[str] = []
    for path in pages.values():
        _open(visit, url + path)
        visit.page.add_script_tag(path=str(AXE))
        result = visit.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        found += [
            f"{path}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
        ]
    assert found == []
    visit.assert_clean()


@pytest.mark.parametrize("kind", ["product", "auction", "no-image"])
def test_phone_sees_price_and_button_without_scrolling(
    storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit], kind: str
) -> None:
    url, pages = storefront
    visit = new_visit(viewport={"width": PHONE[0], "height": PHONE[1]})
    _open(visit, url + pages[kind])
    button = visit.page.locator(".product-buy a.button")
    price = visit.page.locator(".product-buy .price-now")
    assert button.inner_text() == {"auction": "Bid on eBay"}.get(kind, "Buy It Now on eBay")
    for element in (price, button):
        box = element.bounding_box()
        assert box is not None and box["y"] + box["height"] <= PHONE[1], (kind, box)
    visit.assert_clean()


def test_category_menu_on_a_phone(storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit]) -> None:
    url, _ = storefront
    visit = new_visit(viewport={"width": PHONE[0], "height": PHONE[1]})
    page = visit.page
    _open(visit, url + "/")
    menu = page.get_by_role("navigation", name="Main")
    assert not menu.is_visible()
    page.locator("details.menu summary").click()
    links = menu.get_by_role("link")
    assert links.count() == 8  # six categories, the about page and the guides; the legal pages are in the footer
    assert [links.nth(i).is_visible() for i in range(7)] == [True] * 7
    page.keyboard.press("Escape")
    assert not menu.is_visible()
    page.locator("details.menu summary").click()
    menu.get_by_role("link", name="Headphones").click()
    page.wait_for_url(url + "/headphones/")
    footer = page.locator("footer")
    assert footer.get_by_role("link", name="Privacy policy").is_visible()
    visit.assert_clean()


def test_times_read_relative_to_the_readers_clock(
    storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit]
) -> None:
    url, pages = storefront
    probe = new_visit()
    _open(probe, url + pages["product"])
    moment = probe.page.locator(".product-buy .price-age time")
    fetched = moment.get_attribute("datetime")
    exact = moment.get_attribute("title")
    assert re.fullmatch(r"just now|\d+ min ago", moment.inner_text())

    visit = new_visit(java_script_enabled=True)
    visit.page.clock.set_fixed_time(datetime.fromisoformat(fetched.replace("Z", "+00:00")) + timedelta(hours=2))
    _open(visit, url + pages["product"])
    later = visit.page.locator(".product-buy .price-age")
    assert later.inner_text() == "Price checked 2 h ago"
    assert later.locator("time").get_attribute("title") == exact  # the exact time on hover

    still = new_visit(java_script_enabled=False)
    _open(still, url + pages["product"])
    assert still.page.locator(".product-buy .price-age").inner_text() == f"Price checked {exact}"


def test_a_stale_card_keeps_one_clear_message(
    storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit]
) -> None:
    url, _ = storefront
    visit = new_visit()
    visit.page.clock.set_fixed_time(datetime.now().astimezone() + timedelta(hours=7))
    _open(visit, url + "/headphones/")
    card = visit.page.locator(".grid .card").first
    assert card.locator(".price-now").is_hidden()
    message = card.get_by_role("link", name="Check the current price on eBay")
    assert message.is_visible()
    assert message.get_attribute("href", timeout=1000).startswith("https://www.ebay.com/itm/")
    assert card.locator(".ship").count() == 0 or card.locator(".ship").is_hidden()
    assert "Checked 7 h ago" in card.inner_text()
    visit.assert_clean()
