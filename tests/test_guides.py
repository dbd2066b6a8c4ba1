"""Guides: loading and block errors, their data joining the call plan, the pages and their links."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SiteDir, item
from ebay_fake import CLIENT_ID, CLIENT_SECRET, fake_ebay

from builder.content import load_site
from builder.errors import ConfigError
from builder.search_index import INDEX_DIR

FENCE = "```"
GUIDE = f"""---
title: Best cameras for beginners
description: What to buy first.
author: Ann Editor
published: 2026-11-01
categories: [cameras]
featured: true
---
Start with the *body*.

## Our pick

{FENCE}product
item: "100000000003"
verdict: The one to get.
pros: [Light, Cheap]
cons: [Slow]
{FENCE}

## All the deals

{FENCE}deals
q: camera
items: 3
{FENCE}

## Under budget

{FENCE}product
q: camera
max_price: 500
{FENCE}

{FENCE}compare
columns:
  - item: "100000000003"
  - category: lenses
rows: [price, condition]
aspects: [Model]
{FENCE}
"""
PAGE = "output/guides/best/index.html"


def get_item(n: int, **overrides: Any) -> dict[str, Any]:
    data = item(n, **overrides)
    data.pop("thumbnailImages")
    data["localizedAspects"] = [{"type": "STRING", "name": "Model", "value": f"Model {n}"}]
    data["estimatedAvailabilities"] = [{"estimatedAvailabilityStatus": "IN_STOCK"}]
    return data


@pytest.fixture
def guide_site(site_dir: SiteDir) -> SiteDir:
    site_dir.write("content/guides/best.md", GUIDE)
    (site_dir.catalog / "items").mkdir(parents=True)
    (site_dir.catalog / "items" / "100000000003.json").write_text(json.dumps(get_item(3)))
    site_dir.set_items("guide--best--product3", [item(900, title="Budget Camera 900")])
    return site_dir


def _affsite(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EBAY_")}
    return subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_block_with_a_typo_is_a_file_line_error_and_exit_2(guide_site: SiteDir) -> None:
    broken = GUIDE.replace("max_price: 500", "max_price: cheap").replace("items: 3", "itemz: 3")
    guide_site.write("content/guides/best.md", broken)
    run = _affsite("build", "--catalog-dir", str(guide_site.catalog), cwd=guide_site.root)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert f"content/guides/best.md:{_line_of(broken, 'max_price: cheap')}: max_price: 'cheap' is not a number" in (
        run.stderr
    )
    assert f"content/guides/best.md:{_line_of(broken, 'itemz')}: itemz: unknown key; did you mean 'items'?" in (
        run.stderr
    )
    assert not guide_site.output.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("```deals", "```dealz"), "```dealz: not a kind of block; did you mean 'deals'?"),
        (("q: camera\nitems: 3", "q: camera\ncategory: lenses"), "a deal grid needs exactly one of"),
        (("  - category: lenses", "  - category: nope"), "columns.1.category: 'nope' is not a category"),
        (("categories: [cameras]", "categories: [camras]"), "categories: 'camras' is not a category"),
    ],
)
def test_block_mistakes_name_the_line(guide_site: SiteDir, change: tuple[str, str], message: str) -> None:
    guide_site.write("content/guides/best.md", GUIDE.replace(*change))
    with pytest.raises(ConfigError) as caught:
        load_site(guide_site.root)
    assert any(message in line and line.startswith("content/guides/best.md") for line in caught.value.lines()), (
        caught.value.lines()
    )


def test_a_guide_named_like_a_category_is_refused_naming_both_files(guide_site: SiteDir) -> None:
    guide_site.write("content/guides/cameras.md", GUIDE)
    with pytest.raises(ConfigError) as caught:
        load_site(guide_site.root)
    assert "content/guides/cameras.md: has the same name as the category content/categories/cameras.yaml" in (
        "\n".join(caught.value.lines())
    )


def test_drafts_are_built_by_the_preview_only(guide_site: SiteDir, build_site_fn: Any) -> None:
    guide_site.write("content/guides/wip.md", GUIDE.replace("featured: true", "draft: true"))
    assert [g.slug for g in load_site(guide_site.root).guides] == ["best"]
    assert sorted(g.slug for g in load_site(guide_site.root, drafts=True).guides) == ["best", "wip"]
    build_site_fn(guide_site)
    assert (guide_site.root / PAGE).is_file() and not (guide_site.output / "guides" / "wip").exists()


def test_the_guide_page_its_links_and_its_json_ld(guide_site: SiteDir, build_site_fn: Any) -> None:
    report = build_site_fn(guide_site)
    assert not report.warnings, report.lines()
    page = (guide_site.root / PAGE).read_text()
    # The date as the site's language writes it (CLDR), the machine-readable one in the <time> element.
    assert '<time datetime="2026-11-01">Nov 1, 2026</time>' in page
    # The disclosure comes before the first block.
    assert page.index('class="disclosure"') < page.index('class="guide-block')
    # The buttons (each price box also holds a hidden "Check the current price on eBay" link, class "", for when the
    # price is too old: the same tracked link, so it is left out of the count).
    links = re.findall(r'<a class="[^"]+" href="([^"]+)" rel="sponsored nofollow noopener"', page)
    assert len(links) == 1 + 3 + 1 + 2
    for block, count in (("product1", 1), ("deals2", 3), ("product3", 1), ("compare4", 2)):
        assert sum(f"customid=guide-best-{block}" in link for link in links) == count, block
    assert all("campid=5338111111" in link for link in links)
    assert "The one to get." in page and "Model 3" in page and "Budget Camera 900" in page
    blocks = [json.loads(m) for m in re.findall(r'<script type="application/ld\+json">(.*?)</script>', page)]
    article = next(b for b in blocks if b["@type"] == "Article")
    assert article["headline"] == "Best cameras for beginners"
    assert article["author"] == {"@type": "Person", "name": "Ann Editor"}
    assert article["datePublished"] == "2026-11-01"
    products = next(b for b in blocks if b["@type"] == "ItemList")
    names = {e["item"]["name"] for e in products["itemListElement"]}
    assert {"Test Camera Model 3 Mirrorless Body", "Budget Camera 900", "Prime Lens 100 50mm f/1.8"} <= names
    assert all(e["item"]["@type"] == "Product" and "offers" in e["item"] for e in products["itemListElement"])
    # Linked from the guides list, the home page (featured), its category, the feed and the sitemap.
    assert 'href="/guides/best/"' in (guide_site.output / "guides" / "index.html").read_text()
    assert 'href="/guides/best/"' in (guide_site.output / "index.html").read_text()
    assert 'href="/guides/best/"' in (guide_site.output / "cameras" / "index.html").read_text()
    assert 'href="/guides/best/"' not in (guide_site.output / "lenses" / "index.html").read_text()
    assert "https://shop.example.org/guides/best/" in (guide_site.output / "feed.xml").read_text()
    # The endpoint accepts clicks on a listing shown only in a guide, and sends them to the guide's link.
    manifest = json.loads((guide_site.output / "affsite-manifest.json").read_text())["items"]
    assert manifest["100000000900"]["path"] == "/guides/best/"
    assert "customid=guide-best-product3" in manifest["100000000900"]["url"]
    assert manifest["100000000003"]["path"].startswith("/p/")  # a product page of its own: that one is listed
    sitemap = (guide_site.output / "sitemap.xml").read_text()
    assert "<loc>https://shop.example.org/guides/best/</loc><lastmod>2026-11-01</lastmod>" in sitemap


def test_an_ended_listing_and_an_empty_search_show_the_graceful_state(guide_site: SiteDir, build_site_fn: Any) -> None:
    ended = get_item(3, itemEndDate=(NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))
    (guide_site.catalog / "items" / "100000000003.json").write_text(json.dumps(ended))
    guide_site.set_items("guide--best--product3", [])
    report = build_site_fn(guide_site)
    page = (guide_site.root / PAGE).read_text()
    box = page[page.index('id="product1"') : page.index("</section>", page.index('id="product1"'))]
    assert "No listings match right now" in box and "$" not in box and "sponsored" not in box
    budget = page[page.index('id="product3"') : page.index("</section>", page.index('id="product3"'))]
    assert "No listings match right now" in budget
    assert "No listings match right now" in page[page.index('id="compare4"') :]
    [warning] = [line for line in report.lines() if "guide blocks have no listing" in line]
    assert warning.startswith("warning: 3 × ")
    assert not report.warnings  # listings end every day: `--strict` still publishes (the reader sees the state)
    assert f"content/guides/best.md:{_line_of(GUIDE, '```product')} product1 (the listing has ended)" in warning
    assert f"content/guides/best.md:{_line_of(GUIDE, '```product' + chr(10) + 'q:')} product3" in warning


def test_guide_searches_join_the_plan_and_are_charged_once(guide_site: SiteDir) -> None:
    """`q: camera` is what the category cameras asks: one request for both; the budget search gets its own, the
    listing by id one getItem; --plan shows them, and a live build makes exactly those calls."""
    with fake_ebay() as fake:
        env = {"EBAY_CLIENT_ID": CLIENT_ID, "EBAY_CLIENT_SECRET": CLIENT_SECRET, **fake.environ}
        plan = _affsite("build", "--plan", cwd=guide_site.root, env=env)
        assert plan.returncode == 0, plan.stderr
        calls = [line.strip() for line in plan.stdout.splitlines() if line.strip().startswith("call ")]
        assert sorted(c.split(":")[0] for c in calls) == [
            "call cameras (offset 0)",
            "call guide--best--product3 (offset 0)",
            "call item 100000000003 (by id)",
            "call lenses (offset 0)",
        ]
        assert "content/guides/best.md:" in plan.stdout and "asks what category cameras asks" in plan.stdout
        assert fake.searches == [] and fake.item_calls == []  # planning calls nothing

        build = _affsite("build", "--live", cwd=guide_site.root, env=env)
        assert build.returncode == 0, build.stderr
        assert len(fake.searches_for("cameras")) == 1
        assert sorted(call.reference for call in fake.searches) == ["cameras", "guide--best--product3", "lenses"]
        assert fake.item_calls == ["v1|100000000003|0"]
        ledger = (guide_site.root / ".cache" / "ebay" / "ledger.jsonl").read_text().splitlines()
        assert len([line for line in ledger if json.loads(line)["kind"] == "browse"]) == 4
        page = (guide_site.root / PAGE).read_text()
        assert "Listed item 100000000003" in page and "customid=guide-best-deals2" in page

        # Only what has expired (a build the schedule did not start): nothing, all four answers are cached now.
        again = _affsite("build", "--plan", "--only-expired", cwd=guide_site.root, env=env)
        assert "to call: 0 of the 0 not fresh" in again.stdout  # all four answers are cached now

        # `cache prune` keeps what guides use: their entries are requests of the content like the categories'.
        entries = guide_site.root / ".cache" / "ebay" / "search"
        assert len(list(entries.glob("*.json"))) == 4
        prune = _affsite("cache", "prune", cwd=guide_site.root, env=env)
        assert prune.returncode == 0, prune.stderr
        assert len(list(entries.glob("*.json"))) == 4
        guide_site.write("content/guides/best.md", GUIDE.replace("max_price: 500", "max_price: 400"))
        assert _affsite("cache", "prune", cwd=guide_site.root, env=env).returncode == 0
        assert len(list(entries.glob("*.json"))) == 3  # the old budget search is no longer asked


def test_an_item_ebay_says_is_gone_is_cached_and_shown_as_ended(guide_site: SiteDir) -> None:
    with fake_ebay() as fake:
        fake.gone_items.add("100000000003")
        env = {"EBAY_CLIENT_ID": CLIENT_ID, "EBAY_CLIENT_SECRET": CLIENT_SECRET, **fake.environ}
        build = _affsite("build", "--live", cwd=guide_site.root, env=env)
        assert build.returncode == 0, build.stderr
        assert "eBay says the listing has ended or does not exist" in build.stdout
        page = (guide_site.root / PAGE).read_text()
        box = page[page.index('id="product1"') : page.index("</section>", page.index('id="product1"'))]
        assert "No listings match right now" in box
        _affsite("build", "--live", "--only-expired", cwd=guide_site.root, env=env)
        assert fake.item_calls == ["v1|100000000003|0"]  # the answer "gone" is cached like any other


def test_a_listing_by_id_is_refreshed_with_a_compact_call_once_its_price_is_old(guide_site: SiteDir) -> None:
    """The full answer (title, photos, aspects) is kept a week; after the freshness limit only the price and
    availability are asked again, with fieldgroups=COMPACT, and laid over it."""
    with fake_ebay() as fake:
        env = {"EBAY_CLIENT_ID": CLIENT_ID, "EBAY_CLIENT_SECRET": CLIENT_SECRET, **fake.environ}
        first = _affsite("build", "--live", cwd=guide_site.root, env={**env, "AFFSITE_TEST_NOW": NOW.isoformat()})
        assert first.returncode == 0, first.stderr
        fake.item_prices["100000000003"] = "77.00"
        later = {**env, "AFFSITE_TEST_NOW": (NOW + timedelta(hours=7)).isoformat()}
        plan = _affsite("build", "--plan", cwd=guide_site.root, env=later)
        assert "call item 100000000003 (by id, price check)" in plan.stdout
        second = _affsite("build", "--live", cwd=guide_site.root, env=later)
        assert second.returncode == 0, second.stderr
        assert fake.item_fieldgroups == ["", "COMPACT"]
        page = (guide_site.root / PAGE).read_text()
        box = page[page.index('id="product1"') : page.index("</section>", page.index('id="product1"'))]
        assert "$77.00" in box and "Listed item 100000000003" in box  # the new price on the kept details
        assert "Model 003" in page  # aspects from the full answer


def test_a_guide_is_in_the_site_search_with_its_text_and_categories(guide_site: SiteDir, build_site_fn: Any) -> None:
    """The search finds a guide by its prose, labels it a guide and files it under its categories."""
    build_site_fn(guide_site)
    fragments = {}
    for path in (guide_site.output / INDEX_DIR / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{") :])  # after Pagefind's signature
        fragments[fragment["url"]] = fragment
    guide = fragments["/guides/best/"]
    assert guide["meta"]["title"] == "Best cameras for beginners"
    assert guide["meta"]["kind"] == "guide"
    assert "Start with the body" in guide["content"] and "What to buy first" in guide["content"]
    assert guide["filters"]["category"] == ["Cameras"]
    # The guides list is not a search result; the listings of the guide's blocks are found on their own pages.
    assert "/guides/" not in fragments
    assert "price" not in guide["filters"]
