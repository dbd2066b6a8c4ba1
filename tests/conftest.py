"""Shared fixtures: a small site on disk (site.yaml, categories, pages, the real templates) and Browse-shaped items."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fixed_locale_and_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Golden output must not depend on the machine: fixed time zone, no eBay credentials from the shell."""
    monkeypatch.setenv("TZ", "UTC")
    if hasattr(time, "tzset"):
        time.tzset()
    for name in (
        "EBAY_CLIENT_ID",
        "EBAY_CLIENT_SECRET",
        "EBAY_CAMPAIGN_ID",
        "AFFSITE_EBAY_AUTH_URL",
        "AFFSITE_EBAY_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
    # A build activates its site's language for Python texts (i18n.activate); the next test starts in English.
    from builder import i18n

    i18n.deactivate()


def item(n: int, **overrides: Any) -> dict[str, Any]:
    """A Browse item summary shaped like eBay's, with a unique 12-digit legacy id derived from n."""
    legacy = f"{100000000000 + n}"
    data: dict[str, Any] = {
        "itemId": f"v1|{legacy}|0",
        "legacyItemId": legacy,
        "title": f"Test Camera Model {n} Mirrorless Body",
        "price": {"value": f"{100 + n}.99", "currency": "USD"},
        "image": {"imageUrl": f"https://i.ebayimg.com/images/g/abc{n}/s-l225.jpg"},
        "thumbnailImages": [{"imageUrl": f"https://i.ebayimg.com/images/g/abc{n}/s-l1600.jpg"}],
        "condition": "Used",
        "conditionId": "3000",
        "seller": {"username": f"seller_{n}", "feedbackPercentage": "99.5", "feedbackScore": 1200 + n},
        "shippingOptions": [{"shippingCostType": "FIXED", "shippingCost": {"value": "0.00", "currency": "USD"}}],
        "buyingOptions": ["FIXED_PRICE"],
        "itemWebUrl": f"https://www.ebay.com/itm/{legacy}",
        "itemCreationDate": (NOW - timedelta(days=n % 30, hours=n % 24)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "itemLocation": {"country": "US", "postalCode": "100**"},
        "adultOnly": False,
    }
    data.update(overrides)
    return data


def search_response(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "href": "https://api.ebay.com/buy/browse/v1/item_summary/search?q=x&limit=200&offset=0",
        "total": len(items),
        "limit": 200,
        "offset": 0,
        "itemSummaries": items,
    }


SITE_YAML = """\
title: Test Shop
base_url: https://shop.example.org
description: A test shop.
marketplace: EBAY_US
campaign_id: "5338111111"
items_per_page: 10
endpoint_url: https://shop.example.org
newsletter: true
"""

CATEGORY_YAML = """\
title: {title}
q: {q}
items: 50
order: {order}
featured: true
intro: |
  Some *advice* about {title}.
"""

PAGES = {
    "about": "---\ntitle: About\nnav_order: 1\n---\nAbout us.\n",
    "disclosure": "---\ntitle: Affiliate disclosure\n---\nWe earn commissions.\n",
    "privacy": "---\ntitle: Privacy policy\n---\nWe keep little.\n",
}


class SiteDir:
    """A site folder in tmp_path that tests can change, plus a catalog directory next to it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.catalog = root.parent / f"{root.name}-catalog"
        self.output = root / "output"

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def override(self, template: str, old: str, new: str) -> Path:
        """The site's own copy of one theme file (`templates/<template>`), with `old` replaced by `new` once."""
        from builder.themes import THEME_DIR

        text = (THEME_DIR / template).read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in the theme's {template}"
        return self.write(f"templates/{template}", text.replace(old, new, 1))

    def set_items(self, slug: str, items: list[dict[str, Any]]) -> None:
        self.catalog.mkdir(parents=True, exist_ok=True)
        (self.catalog / f"{slug}.json").write_text(json.dumps(search_response(items)), encoding="utf-8")

    def add_category(
        self, slug: str, title: str, q: str, order: int = 10, items: list[dict[str, Any]] | None = None
    ) -> None:
        self.write(f"content/categories/{slug}.yaml", CATEGORY_YAML.format(title=title, q=q, order=order))
        if items is not None:
            self.set_items(slug, items)

    def files(self) -> dict[str, bytes]:
        return {
            p.relative_to(self.output).as_posix(): p.read_bytes() for p in sorted(self.output.rglob("*")) if p.is_file()
        }


@pytest.fixture
def site_dir(tmp_path: Path) -> SiteDir:
    root = tmp_path / "site"
    site = SiteDir(root)  # no templates/: the site uses the theme in the package until a test overrides a file
    site.write("site.yaml", SITE_YAML)
    for slug, text in PAGES.items():
        site.write(f"content/pages/{slug}.md", text)
    site.add_category("cameras", "Cameras", "camera", 10, [item(i) for i in range(1, 26)])
    site.add_category(
        "lenses", "Lenses", "lens", 20, [item(i, title=f"Prime Lens {i} 50mm f/1.8") for i in range(100, 112)]
    )
    return site


@pytest.fixture
def build_site_fn() -> Callable[..., Any]:
    """Build `site_dir` from its catalog directory at the fixed time NOW, returning the report."""
    from builder.build import BuildOptions, build_site
    from builder.catalog.files import DirectoryCatalog
    from builder.content import load_site

    def run(site: SiteDir, now: datetime = NOW, **options: Any) -> Any:
        loaded = load_site(site.root)
        opts = BuildOptions(site.root, site.output, site.root / ".cache", **options)
        return build_site(loaded, DirectoryCatalog(site.catalog), opts, now)

    return run


@pytest.fixture
def chdir(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)

