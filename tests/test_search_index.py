"""The site search: which pages the Pagefind index holds, when it is made again, what it and the category JSON say
about prices, and the search page itself. The browser side is in tests/e2e/test_search.py."""

from __future__ import annotations

import asyncio
import gzip
import html
import json
import os
import re
import shutil
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SiteDir, item

from builder.catalog.normalize import Money
from builder.price_bands import price_band
from builder.search_index import ENTRY, INDEX_DIR, RECORDS_NAME, page_record


def _indexed_count(output: Path) -> int:
    entry = json.loads((output / INDEX_DIR / ENTRY).read_text())
    return sum(language["page_count"] for language in entry["languages"].values())


def _records(site: SiteDir) -> dict[str, Any]:
    """The records the last index was made from, by page path (the build keeps them in its cache folder)."""
    return dict(json.loads((site.root / ".cache" / RECORDS_NAME).read_text())["records"])


def _with_body(site: SiteDir) -> set[str]:
    """The pages in the index: those whose template includes the search block."""
    return set(_records(site))


def _fetched(site: SiteDir, when: Any) -> None:
    for path in site.catalog.glob("*.json"):
        os.utime(path, (when.timestamp(), when.timestamp()))


def test_only_listings_and_the_first_page_of_each_category_are_indexed(site_dir: SiteDir, build_site_fn: Any) -> None:
    report = build_site_fn(site_dir)
    output = site_dir.output
    products = {p.relative_to(output).as_posix() for p in output.glob("p/*/index.html")}
    assert len(products) == 37  # 25 cameras, 12 lenses
    assert (output / "cameras/page/2/index.html").is_file()  # 10 a page: the cameras have three
    assert _with_body(site_dir) == products | {"cameras/index.html", "lenses/index.html"}
    assert _indexed_count(output) == len(products) + 2
    assert any(note.startswith("search: 39 pages indexed") for note in report.notes), report.notes
    # What a visitor would find is the bundle our script loads; Pagefind's own UIs are not published.
    assert (output / INDEX_DIR / "pagefind.js").is_file()
    assert not (output / INDEX_DIR / "pagefind-ui.js").exists()
    assert not list(output.glob(f".{INDEX_DIR}*")), "the index is built beside the output and swapped in"


def test_each_record_says_what_its_page_shows(site_dir: SiteDir, build_site_fn: Any) -> None:
    """The block is rendered for the index only, so the records are checked against the pages themselves: a
    listing's title (its h1), its condition (its Condition fact) and its price (the JSON-LD Offer) as the page says."""
    build_site_fn(site_dir)
    records = _records(site_dir)
    pages = sorted(site_dir.output.glob("p/*/index.html"))
    assert len(pages) == 37
    for page in pages:
        text = page.read_text()
        record = records[page.relative_to(site_dir.output).as_posix()]
        title = re.search(r'<h1 class="product-title">(.*?)</h1>', text)
        assert title is not None and record["meta"]["title"] == html.unescape(title.group(1)), page
        condition = re.search(r"<dt>Condition</dt><dd>(.*?)</dd>", text)
        assert record["filters"].get("condition") == ([html.unescape(condition.group(1))] if condition else None)
        offer = json.loads(re.findall(r'<script type="application/ld\+json">(.*?)</script>', text)[0])["offers"]
        assert record["sort"]["price"] == offer["price"] and record["meta"]["currency"] == offer["priceCurrency"]


def test_an_ended_listing_leaves_the_index(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    before = _indexed_count(site_dir.output)
    site_dir.set_items("cameras", [item(i) for i in range(1, 25)])  # item 25 has ended
    build_site_fn(site_dir, NOW + timedelta(hours=1))
    [ended] = site_dir.output.glob("p/*-100000000025/index.html")
    assert '<meta name="robots" content="noindex">' in ended.read_text()
    assert ended.relative_to(site_dir.output).as_posix() not in _with_body(site_dir)
    assert _indexed_count(site_dir.output) == before - 1


def test_the_index_is_made_again_only_when_a_page_changed(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    entry = site_dir.output / INDEX_DIR / ENTRY
    made = entry.stat().st_mtime_ns

    again = build_site_fn(site_dir)
    assert not any(n.startswith("search:") for n in again.notes)
    assert entry.stat().st_mtime_ns == made

    # The index deleted by hand: the next build makes it again, without rewriting a single page.
    shutil.rmtree(site_dir.output / INDEX_DIR)
    repaired = build_site_fn(site_dir)
    assert repaired.written == 0 or repaired.rendered == 0
    assert _indexed_count(site_dir.output) == 39

    # New data for a category: pages change, and so does the index.
    made = entry.stat().st_mtime_ns
    site_dir.set_items("lenses", [item(i, title=f"Zoom Lens {i} 24-70mm") for i in range(100, 112)])
    changed = build_site_fn(site_dir)
    assert any(n.startswith("search:") for n in changed.notes)
    assert entry.stat().st_mtime_ns != made


def test_a_page_record_is_what_pagefind_reads_of_the_page() -> None:
    page = (
        b'<html><h1>Not this</h1><div data-pagefind-body hidden>\n<h2 data-pagefind-meta="title">Sony &amp; Co A7</h2>\n'
        b'<p>Sony &amp; Co A7 \xc2\xb7 <span data-pagefind-filter="category">Cameras</span>'
        b' \xc2\xb7 <span data-pagefind-filter="format">Auction</span><span data-pagefind-filter="format" hidden>Buy It Now</span></p>\n'
        b'<span data-pagefind-meta="kind:listing"></span><span data-pagefind-meta="fetched:2026-11-22T08:00:00Z"></span>'
        b'<span data-pagefind-filter="price:$50 to $100" data-pagefind-sort="price:75.5" data-pagefind-meta="amount:75.5"></span>'
        b"\n</div><p>Related</p></html>"
    )
    assert page_record("/p/sony-1/", page) == {
        "url": "/p/sony-1/",
        # Pagefind's reading: text nodes, a full stop after a block that ends in a letter or digit
        "content": "Sony & Co A7. Sony & Co A7 \u00b7 Cameras \u00b7 AuctionBuy It Now.",
        "meta": {"title": "Sony & Co A7", "kind": "listing", "fetched": "2026-11-22T08:00:00Z", "amount": "75.5"},
        "filters": {"category": ["Cameras"], "format": ["Auction", "Buy It Now"], "price": ["$50 to $100"]},
        "sort": {"price": "75.5"},
    }
    assert page_record("/about/", b"<html><h1>About</h1></html>") is None


def test_a_rebuild_that_changes_no_record_keeps_the_index(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    entry = site_dir.output / INDEX_DIR / ENTRY
    made = entry.stat().st_mtime_ns
    # The About page changes: pages are written again, but none of them is in the index.
    about = site_dir.root / "content" / "pages" / "about.md"
    about.write_text(about.read_text() + "\nOne more line.\n")
    report = build_site_fn(site_dir)
    assert report.written > 0
    assert not any(n.startswith("search:") for n in report.notes), report.notes
    assert entry.stat().st_mtime_ns == made


def test_pagefind_missing_is_a_warning_and_the_site_is_still_published(
    site_dir: SiteDir, build_site_fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(site_dir.root / "no-such-pagefind"))
    report = build_site_fn(site_dir)
    assert any("search index was not made" in w for w in report.warnings), report.warnings
    assert (site_dir.output / "index.html").is_file()
    assert not (site_dir.output / INDEX_DIR).exists()
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")
    build_site_fn(site_dir)  # the next build notices the missing index and makes it
    assert _indexed_count(site_dir.output) == 39


@pytest.mark.parametrize(
    ("amount", "band"),
    [
        ("0.99", "Under $50"),
        ("50", "$50 to $100"),
        ("249.99", "$100 to $250"),
        ("999", "$500 to $1000"),
        ("1000", "$1000 and over"),
        ("25000", "$1000 and over"),
    ],
)
def test_price_bands(amount: str, band: str) -> None:
    assert price_band(Money(Decimal(amount), "USD"), "en-US") == band


def test_price_bands_in_a_comma_decimal_language() -> None:
    assert price_band(Money(Decimal("75"), "EUR"), "de-DE") == "50\u00a0€ to 100\u00a0€"


def _product_record(site: SiteDir) -> dict[str, Any]:
    page = next(site.output.glob("p/*/index.html"))
    assert "data-pagefind" not in page.read_text()  # the block is rendered for the index only
    return dict(_records(site)[page.relative_to(site.output).as_posix()])


def test_a_fresh_price_is_indexed_with_its_age(site_dir: SiteDir, build_site_fn: Any) -> None:
    _fetched(site_dir, NOW - timedelta(hours=1))
    build_site_fn(site_dir)
    record = _product_record(site_dir)
    assert "price" in record["sort"] and "amount" in record["meta"] and "price" in record["filters"]
    assert record["meta"]["fetched"] == "2026-11-22T08:00:00Z"
    assert record["meta"]["max_age"] == "21600"
    listings = json.loads((site_dir.output / "cameras" / "listings.json").read_text())["items"]
    assert all(isinstance(i["price"], float | int) for i in listings)


def test_a_stale_price_is_in_neither_the_index_nor_the_category_json(site_dir: SiteDir, build_site_fn: Any) -> None:
    _fetched(site_dir, NOW - timedelta(hours=7))  # older than the 6 h freshness limit at build time
    build_site_fn(site_dir)
    record = _product_record(site_dir)
    assert record["sort"] == {} and "amount" not in record["meta"] and "price" not in record["filters"]
    assert record["meta"]["fetched"] == "2026-11-22T02:00:00Z"  # the age is still there
    listings = json.loads((site_dir.output / "cameras" / "listings.json").read_text())["items"]
    assert len(listings) == 25 and all(i["price"] is None for i in listings)
    assert all("Check the current price on eBay" in i["html"] for i in listings)


def test_category_json_lists_every_listing_with_its_card_and_keys(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    items = json.loads((site_dir.output / "cameras" / "listings.json").read_text())["items"]
    assert len(items) == 25
    first = items[0]
    assert set(first) == {
        "id",
        "price",
        "fetched",
        "max_age",
        "ends",
        "listed",
        "condition",
        "auction",
        "bin",
        "free",
        "html",
    }
    assert first["html"].startswith('<li class="card">') and first["id"] in first["html"]
    category = (site_dir.output / "cameras" / "index.html").read_text()
    assert 'data-listings="/cameras/listings.json"' in category
    assert "listings.json" not in (site_dir.output / "sitemap.xml").read_text()


def test_search_page_is_not_indexed_and_the_home_page_offers_it(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    page = (site_dir.output / "search" / "index.html").read_text()
    assert '<meta name="robots" content="noindex">' in page
    assert "/search/" not in (site_dir.output / "sitemap.xml").read_text()
    home = (site_dir.output / "index.html").read_text()
    assert '"urlTemplate":"https://shop.example.org/search/?q={search_term_string}"' in home
    assert 'action="/search/"' in home  # the header's search box, on every page


def test_search_turned_off_leaves_no_box_no_page_and_no_index(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    assert (site_dir.output / INDEX_DIR).is_dir()
    site_dir.write("site.yaml", (site_dir.root / "site.yaml").read_text() + "search: false\n")
    report = build_site_fn(site_dir)
    assert not (site_dir.output / INDEX_DIR).exists()
    assert not (site_dir.output / "search").exists()
    home = (site_dir.output / "index.html").read_text()
    assert 'action="/search/"' not in home and "SearchAction" not in home
    assert not any(n.startswith("search:") for n in report.notes)
    assert build_site_fn(site_dir).rendered == 0  # and it stays off: no index is missed


def test_an_indexer_error_is_a_warning_naming_it(
    site_dir: SiteDir, build_site_fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builder.search_index

    def failing(*_args: Any) -> int:
        raise RuntimeError("Failed to parse p/x/index.html")  # as pagefind_service reports the indexer's errors

    monkeypatch.setattr(builder.search_index, "_index", failing)
    report = build_site_fn(site_dir)
    [warning] = [w for w in report.warnings if "search index was not made" in w]
    assert "Failed to parse p/x/index.html" in warning
    assert (site_dir.output / "index.html").is_file()
    assert not list(site_dir.output.glob(".pagefind*"))  # the half-made index is gone


def _fragments(index: Path) -> dict[str, dict[str, Any]]:
    """Pagefind's per-page files of an index, by URL: the text, metadata and filters it holds for each result."""
    found = {}
    for path in (index / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{") :])  # after Pagefind's signature
        found[fragment["url"]] = fragment
    return found


def test_the_index_holds_what_pagefind_reads_from_the_pages_itself(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path
) -> None:
    """The records affsite gives Pagefind against Pagefind reading the same pages (as the build did before), with
    the search block rendered into the pages for Pagefind to read."""
    from pagefind.index import IndexConfig, PagefindIndex

    site_dir.override("_search_body.html", "{% if not indexing %}", "{% if false %}")
    build_site_fn(site_dir)

    async def read_by_pagefind() -> None:
        config = IndexConfig(force_language="en", output_path=str(tmp_path / "by-pagefind"))
        async with PagefindIndex(config) as index:
            await index.add_directory(str(site_dir.output), glob="{p/*/index.html,*/index.html}")

    asyncio.run(read_by_pagefind())
    theirs = _fragments(tmp_path / "by-pagefind")
    ours = _fragments(site_dir.output / INDEX_DIR)
    assert len(ours) == 39 and set(ours) == set(theirs)
    for url, fragment in ours.items():
        expected = theirs[url]
        if "image" not in fragment["meta"]:  # Pagefind would take the first photo on the page: another listing's
            expected["meta"].pop("image", None)
            expected["meta"].pop("image_alt", None)
        for key in ("content", "meta", "filters", "word_count"):
            assert fragment[key] == expected[key], (url, key)


def test_a_page_template_without_the_search_block_keeps_its_pages_out(site_dir: SiteDir, build_site_fn: Any) -> None:
    """Which pages are indexed is the templates' choice: a site whose product page leaves the block out has only its
    categories in the index (the build renders the block on its own only for templates that include it)."""
    site_dir.override("product.html", '{% include "_search_body.html" %}', "")
    report = build_site_fn(site_dir)
    assert _with_body(site_dir) == {"cameras/index.html", "lenses/index.html"}
    assert _indexed_count(site_dir.output) == 2
    assert any(note.startswith("search: 2 pages indexed") for note in report.notes), report.notes


def test_a_build_that_fails_while_pagefind_runs_leaves_the_site_and_its_index(
    site_dir: SiteDir, build_site_fn: Any
) -> None:
    """Pagefind starts while the pages render; when a page then fails, it is stopped, its half-made index removed,
    and the published site and index stay as they were."""
    from builder.errors import BuildError

    build_site_fn(site_dir)
    entry = site_dir.output / INDEX_DIR / ENTRY
    made = entry.stat().st_mtime_ns
    before = {p.relative_to(site_dir.output).as_posix(): p.read_bytes() for p in site_dir.output.rglob("*.html")}
    # New data (so the index is made again) and a product page that fails for one listing.
    site_dir.set_items("lenses", [item(i, title=f"Zoom Lens {i} 24-70mm") for i in range(100, 112)])
    site_dir.override("product.html", "{% block main %}", "{% block main %}{{ 1 / (0 if '105' in p.item_id else 1) }}")
    with pytest.raises(BuildError, match=r"templates/product\.html:\d+"):
        build_site_fn(site_dir)
    assert entry.stat().st_mtime_ns == made
    after = {p.relative_to(site_dir.output).as_posix(): p.read_bytes() for p in site_dir.output.rglob("*.html")}
    assert after == before
    assert not list(site_dir.output.rglob("*.affsite-new"))  # the pages written before the failure are not left
    leftovers = [p.name for p in site_dir.root.rglob(".pagefind*")] + [
        p.name for p in site_dir.root.glob(".output.staging*")
    ]
    assert leftovers == []


def test_a_pagefind_that_hangs_is_stopped_and_the_site_published(
    site_dir: SiteDir, build_site_fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unattended rebuild must not wait for ever on the indexer: past INDEX_TIMEOUT Pagefind is killed, the pages
    are published without a new index, and the build says so."""
    import builder.search_index

    hanging = site_dir.root / "hanging-pagefind"  # takes the service's messages and never answers
    hanging.write_text("#!/bin/sh\nexec sleep 120\n")
    hanging.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(hanging))
    monkeypatch.setattr(builder.search_index, "INDEX_TIMEOUT", 1.0)
    started = time.monotonic()
    report = build_site_fn(site_dir)
    assert time.monotonic() - started < 60
    [warning] = [w for w in report.warnings if "search index was not made" in w]
    assert "did not finish within 1 s" in warning
    assert (site_dir.output / "index.html").is_file()
    assert not (site_dir.output / INDEX_DIR).exists()
    assert not list(site_dir.root.rglob(".pagefind*"))
