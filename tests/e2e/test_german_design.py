"""A German shop in a real Chromium: product and category pages at phone and desktop width, saved as screenshots
(e2e-artifacts/design/de-<page>-<width>.png), with German's long words inside their buttons and chips (nothing wider
than its box, no sideways scroll) and axe-core finding nothing.

The site is test_design.py's (a non-demo build of the repository's site from the bundled catalog, served with
netlify.toml's headers) with `marketplace: EBAY_DE` and `language: de-DE`.
"""

from __future__ import annotations

import shutil
import threading
import tomllib
from collections.abc import Callable, Iterator
from functools import partial
from http.server import ThreadingHTTPServer

import pytest
from demo_copy import single_marketplace

from .conftest import AXE, REPO, Visit, copy_site
from .test_design import DESKTOP, PHONE, SHOTS, _build, _load_images, _Netlify, _open

pytestmark = pytest.mark.e2e

# Elements whose text must stay inside them: the buy button, the filter and category chips, the price box, the facts.
BOXES = ".button, .chip, .chips a, .product-buy, .card-meta span, .price-age, .facts dd"


@pytest.fixture(scope="module")
def german_storefront(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    work = tmp_path_factory.mktemp("german-storefront")
    root = copy_site(work / "site")
    single_marketplace(root, "de-DE")  # a German shop, not the demo's two editions; its categories in German
    text = (root / "site.yaml").read_text(encoding="utf-8")
    text = text.replace("marketplace: EBAY_US", "marketplace: EBAY_DE").replace("# language: en-US", "language: de-DE")
    (root / "site.yaml").write_text(text, encoding="utf-8")
    for page in (REPO / "builder/scaffold/locales/de/content/pages").glob("*.md"):
        shutil.copy(page, root / "content/pages" / page.name)
    catalog = work / "catalog"
    shutil.copytree(REPO / "builder" / "demo_catalog", catalog, copy_function=shutil.copy)  # fresh file times
    _build(root, catalog)
    output = root / "output"
    product = next(
        p
        for p in sorted(output.glob("p/*/index.html"))
        if ">Auf eBay sofort kaufen<" in (html := p.read_text(encoding="utf-8")) and "price-was" in html
    )
    pages = {"product": "/" + product.parent.relative_to(output).as_posix() + "/", "category": "/film-cameras/"}
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


@pytest.mark.parametrize(("width", "height"), [PHONE, DESKTOP])
def test_german_screenshots_fit(
    german_storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit], width: int, height: int
) -> None:
    url, pages = german_storefront
    visit = new_visit(viewport={"width": width, "height": height}, device_scale_factor=1, locale="de-DE")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        _open(visit, url + path)
        _load_images(visit, path)
        assert visit.page.locator("html").get_attribute("lang") == "de-DE"
        visit.page.screenshot(path=str(SHOTS / f"de-{name}-{width}.png"), full_page=True)
        visit.page.screenshot(path=str(SHOTS / f"de-{name}-{width}-fold.png"))
        overflow = visit.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width}px"
        spilled = visit.page.evaluate(
            "sel => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null"
            " && e.scrollWidth > e.clientWidth + 1).map(e => e.className + ': ' + e.textContent.trim())",
            BOXES,
        )
        assert spilled == [], f"{path} at {width}px: text wider than its box"
    visit.assert_clean()


@pytest.mark.parametrize(("width", "height"), [PHONE, DESKTOP])
def test_german_pages_have_no_axe_violations(
    german_storefront: tuple[str, dict[str, str]], new_visit: Callable[..., Visit], width: int, height: int
) -> None:
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed ({AXE}): run `npm install --prefix tests/e2e` (.ci/run does)")
    url, pages = german_storefront
    visit = new_visit(viewport={"width": width, "height": height}, bypass_csp=True)
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
