"""The build pipeline end to end from a catalog directory: the page set, dedup, the atomic swap, strictness."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from conftest import NOW, SiteDir, item

from builder.build import BuildOptions, build_site
from builder.catalog.files import DirectoryCatalog
from builder.content import load_site
from builder.errors import BuildError
from builder.manifest import MANIFEST_NAME, parse_manifest
from builder.render import PageJob, check_unique_paths


def test_full_build_writes_every_kind_of_page(site_dir: SiteDir, build_site_fn: Any) -> None:
    report = build_site_fn(site_dir)
    files = site_dir.files()
    assert "index.html" in files
    assert {"cameras/index.html", "cameras/page/2/index.html", "cameras/page/3/index.html"} <= files.keys()
    assert "cameras/page/4/index.html" not in files  # 25 items at 10 a page
    assert "lenses/index.html" in files
    product_pages = [f for f in files if f.startswith("p/")]
    assert len(product_pages) == 25 + 12 == report.products
    assert {"about/index.html", "disclosure/index.html", "privacy/index.html", "404.html"} <= files.keys()
    assert {"sitemap.xml", "robots.txt", "feed.xml", MANIFEST_NAME, "newsletter/thanks/index.html"} <= files.keys()
    assert any(f.startswith("assets/site.") and f.endswith(".css") for f in files)
    # + the feed and each category's listings.json (sort and filter chips)
    assert report.pages == len([f for f in files if f.endswith(".html")]) + 1 + 2


def test_item_in_two_categories_gets_one_page_listed_in_both(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items("lenses", [item(7), item(101)])  # item 7 is in cameras too
    build_site_fn(site_dir)
    files = site_dir.files()
    pages = [f for f in files if f.startswith("p/") and f.endswith("-100000000007/index.html")]
    assert len(pages) == 1
    assert b"/p/test-camera-model-7-mirrorless-body-100000000007/" in files["lenses/index.html"]
    assert b"/p/test-camera-model-7-mirrorless-body-100000000007/" in files["cameras/index.html"]
    manifest = parse_manifest(files[MANIFEST_NAME])
    assert set(manifest.items["100000000007"].categories) == {"cameras", "lenses"}
    # the endpoint speaks the site's language and shows its times in the site's zone (EBAY_US's defaults here)
    assert (manifest.lang, manifest.timezone) == ("en-US", "America/New_York")


def test_dropped_items_are_counted_by_reason(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items(
        "lenses",
        [
            item(200),
            item(201, itemEndDate=(NOW - timedelta(minutes=1)).isoformat()),
            item(202, adultOnly=True),
            item(203, itemWebUrl="http://www.ebay.com/itm/100000000203"),
            item(204, price=None),
        ],
    )
    report = build_site_fn(site_dir)
    assert report.dropped == {
        "listing has ended": 1,
        "adult only": 1,
        "not an https eBay URL": 1,
        "no price": 1,
    }
    assert not any("100000000202" in f for f in site_dir.files())


def test_failed_build_leaves_the_previous_site_untouched(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    before = site_dir.files()
    (site_dir.catalog / "lenses.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BuildError, match=r"lenses.*not valid JSON"):
        build_site_fn(site_dir, max_stale=0.0)  # no category may lack fresh data
    assert site_dir.files() == before
    assert not [p for p in site_dir.root.iterdir() if p.name.startswith(".output.")]


def test_template_error_midway_leaves_the_previous_site_untouched(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    before = site_dir.files()
    site_dir.write(
        "templates/product.html", "{% extends 'base.html' %}{% block main %}{{ nope.missing }}{% endblock %}"
    )
    with pytest.raises(BuildError, match=r"^templates/product\.html:1: 'nope' is undefined \(while rendering /p/"):
        build_site_fn(site_dir)
    assert site_dir.files() == before


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{% extends 'base.html' %}\n{% block main %}\n{{ product.p.title | nosuchfilter }}\n{% endblock %}",
            r"^templates/product\.html:3: No filter named 'nosuchfilter'\. \(while rendering /p/",
        ),
        (
            "{% extends 'base.html' %}\n{% block main %\n",
            r"^templates/product\.html:2: expected token 'end of statement block', got '%'",
        ),
        ("{% extends 'bases.html' %}", r"^templates/bases\.html: no such template \(needed to render /p/"),
        (
            "{% extends 'base.html' %}\n{% block main %}\n\n{{ product.p.nope }}{% endblock %}",
            r"^templates/product\.html:4: .* has no attribute 'nope' \(while rendering /p/",
        ),
        (
            "{% extends 'base.html' %}\n{% block main %}\n{{ product.p.title + 1 }}\n{% endblock %}",
            r"^templates/product\.html:3: TypeError: can only concatenate str \(not \"int\"\) to str \(while",
        ),
        (
            "{% extends 'base.html' %}\n{% block main %}{% include '_part.html' %}{% endblock %}",
            r"^templates/_part\.html:2: ZeroDivisionError: division by zero \(while rendering /p/",
        ),
    ],
)
@pytest.mark.parametrize("linked", [False, True], ids=["folder", "symlinked folder"])
def test_template_mistakes_name_the_file_and_line(
    site_dir: SiteDir, build_site_fn: Any, template: str, expected: str, linked: bool
) -> None:
    site_dir.write("templates/product.html", template)
    site_dir.write("templates/_part.html", "<p>\n{{ 1 / 0 }}</p>\n")
    if linked:  # Jinja names frames by the path it was given, not the resolved one
        real = site_dir.root.parent / "real-templates"
        (site_dir.root / "templates").rename(real)
        (site_dir.root / "templates").symlink_to(real)
    with pytest.raises(BuildError, match=expected):
        build_site_fn(site_dir)


def test_an_error_inside_affsite_code_is_a_bug_and_keeps_its_traceback(
    site_dir: SiteDir, build_site_fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builder.formatting
    import builder.render

    # The `money` helper templates call, made to fail inside affsite's code: iso() of a Decimal.
    monkeypatch.setattr(builder.render, "format_money", lambda amount, currency, lang: builder.formatting.iso(amount))
    with pytest.raises(AttributeError, match=r"'decimal\.Decimal' object has no attribute"):
        build_site_fn(site_dir)


def test_rebuild_with_nothing_changed_writes_nothing(site_dir: SiteDir, build_site_fn: Any) -> None:
    first = build_site_fn(site_dir)
    before = {p: (site_dir.output / p).stat().st_mtime_ns for p in site_dir.files()}
    second = build_site_fn(site_dir)
    assert first.written > 0
    assert second.written == 0
    assert second.unchanged == first.written
    after = {p: (site_dir.output / p).stat().st_mtime_ns for p in site_dir.files()}
    assert after == before


def test_changed_listing_rewrites_only_pages_that_show_it(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    site_dir.set_items(
        "lenses",
        [item(i, title=f"Prime Lens {i} 50mm f/1.8") for i in range(100, 111)]
        + [item(111, title="Prime Lens 111 50mm f/1.8", price={"value": "1.00", "currency": "USD"})],
    )
    report = build_site_fn(site_dir)
    assert 0 < report.written < 10  # the product page, the lens category page, related blocks, manifest...
    assert b"$1.00" in (site_dir.output / "p/prime-lens-111-50mm-f-1-8-100000000111/index.html").read_bytes()


def test_strict_refuses_to_publish_with_warnings(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items("lenses", [item(300, image=None, thumbnailImages=None)])
    with pytest.raises(BuildError, match=r"--strict.*no image"):
        build_site_fn(site_dir, strict=True)
    assert not site_dir.output.exists()
    report = build_site_fn(site_dir)  # without --strict it is a warning in the summary
    assert any("no image" in line and "100000000300" in line for line in report.lines())


def test_repeated_warnings_are_grouped_into_one_line(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items("lenses", [item(400 + i, image=None, thumbnailImages=None) for i in range(9)])
    lines = [line for line in build_site_fn(site_dir).lines() if "no image" in line]
    assert len(lines) == 1
    assert "9 ×" in lines[0] and "(and 4 more)" in lines[0]


def test_pinned_items_come_first(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.write(
        "content/categories/lenses.yaml", "title: Lenses\nq: lens\npinned: ['v1|100000000105|0', '100000000110']\n"
    )
    build_site_fn(site_dir)
    page = (site_dir.output / "lenses/index.html").read_text()
    first = page.index("100000000105")
    assert first < page.index("100000000110") < page.index("100000000100")


def test_excluded_keywords_leave_listings_out(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.write("content/categories/lenses.yaml", "title: Lenses\nq: lens\nexclude_keywords: [BROKEN]\n")
    site_dir.set_items("lenses", [item(500, title="Nice lens"), item(501, title="Lens broken for parts")])
    report = build_site_fn(site_dir)
    assert report.dropped == {"title has an excluded keyword": 1}


def test_category_without_data_is_published_empty_and_named(site_dir: SiteDir, build_site_fn: Any) -> None:
    # The publish policy (publish.py): one category without data no longer keeps the others from being published.
    (site_dir.catalog / "lenses.json").unlink()
    report = build_site_fn(site_dir)
    assert any(line.startswith("published with no listings (no data): lenses: no file") for line in report.lines())
    assert (site_dir.output / "lenses/index.html").exists() and (site_dir.output / "cameras/index.html").exists()
    expected = (
        r"1 of 2 categories \(50%\) have no fresh data.*\n  published with no listings \(no data\): lenses: no file"
    )
    with pytest.raises(BuildError, match=expected):
        build_site_fn(site_dir, strict=True)  # 50% is more than --strict's 10%


def test_no_data_for_any_category_fails_the_build(site_dir: SiteDir, build_site_fn: Any) -> None:
    for path in site_dir.catalog.iterdir():
        path.unlink()
    with pytest.raises(
        BuildError, match=r"no data for any category.*\n  published with no listings \(no data\): cameras: no"
    ):
        build_site_fn(site_dir)


def test_demo_source_marks_every_page(site_dir: SiteDir) -> None:
    report = build_site(
        load_site(site_dir.root),
        DirectoryCatalog(site_dir.catalog, is_demo=True),
        BuildOptions(site_dir.root, site_dir.output, site_dir.root / ".cache"),
        NOW,
    )
    assert report.demo
    for name, data in site_dir.files().items():
        if name.endswith(".html"):
            assert b"demo-banner" in data, name
            assert b'<meta name="robots" content="noindex' in data, name
    assert b"Disallow: /" in (site_dir.output / "robots.txt").read_bytes()


def test_build_report_is_saved_as_json(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    saved = json.loads((site_dir.root / ".cache" / "build-report.json").read_text())
    assert saved["products"] == 37 and saved["categories"] == 2


def test_two_pages_at_one_path_is_an_error_naming_both() -> None:
    jobs = [
        PageJob("a/index.html", "page.html", {}, "content/pages/a.md"),
        PageJob("a/index.html", "category.html", {}, "content/categories/a.yaml"),
    ]
    with pytest.raises(BuildError, match=r"content/pages/a\.md.*content/categories/a\.yaml"):
        check_unique_paths(jobs)


def test_unchanged_inputs_skip_the_whole_build(site_dir: SiteDir, build_site_fn: Any) -> None:
    _age_catalog(site_dir, timedelta(hours=1))
    build_site_fn(site_dir)
    before = site_dir.files()
    again = build_site_fn(site_dir, now=NOW + timedelta(minutes=30))
    assert any("nothing changed" in line for line in again.lines())
    assert again.written == 0 and again.rendered == 0
    assert site_dir.files() == before


def test_the_clock_passing_the_freshness_limit_rebuilds(site_dir: SiteDir, build_site_fn: Any) -> None:
    _age_catalog(site_dir, timedelta(hours=1))  # a response directory's data is as old as its files
    build_site_fn(site_dir)
    page = (site_dir.output / "p/test-camera-model-1-mirrorless-body-100000000001/index.html").read_text()
    assert "Nov 22, 2026, 3:00\u202fAM EST" in page and "$101.99" in page
    later = build_site_fn(site_dir, now=NOW + timedelta(hours=5, minutes=1))  # the data is now 6 h 1 min old
    assert not any("nothing changed" in line for line in later.lines())
    page = (site_dir.output / "p/test-camera-model-1-mirrorless-body-100000000001/index.html").read_text()
    assert "Check the current price on eBay" in page and "$101.99" not in page.split("More in")[0]
    assert '"offers"' not in page  # no stale price in the JSON-LD either


def test_a_listing_ending_between_builds_is_removed(site_dir: SiteDir, build_site_fn: Any) -> None:
    # Changed with ended pages (issue 12): the auction's page says it has ended (no price, no bid button) for
    # ended_days, then it is removed; before, it was removed at once.
    ends = (NOW + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    site_dir.set_items("lenses", [item(700), item(701, buyingOptions=["AUCTION"], itemEndDate=ends)])
    build_site_fn(site_dir)
    [page] = site_dir.output.glob("p/*-100000000701/index.html")
    assert "Current bid" in page.read_text()
    build_site_fn(site_dir, now=NOW + timedelta(hours=3))
    html = page.read_text()
    assert "This listing has ended" in html and "Current bid" not in html
    build_site_fn(site_dir, now=NOW + timedelta(hours=3, days=14))
    assert not list(site_dir.output.glob("p/*-100000000701"))


def test_a_damaged_output_is_rebuilt_not_skipped(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    (site_dir.output / "cameras/index.html").unlink()
    (site_dir.output / "lenses/index.html").write_text("tampered")
    build_site_fn(site_dir)
    assert b"Lenses" in (site_dir.output / "lenses/index.html").read_bytes()
    assert (site_dir.output / "cameras/index.html").is_file()


def _age_catalog(site_dir: SiteDir, age: timedelta) -> None:
    import os

    moment = (NOW - age).timestamp()
    for path in site_dir.catalog.iterdir():
        os.utime(path, (moment, moment))


def test_strict_build_after_a_lenient_one_still_refuses(site_dir: SiteDir, build_site_fn: Any) -> None:
    _age_catalog(site_dir, timedelta(hours=1))
    site_dir.set_items("lenses", [item(800, image=None, thumbnailImages=None)])
    _age_catalog(site_dir, timedelta(hours=1))
    build_site_fn(site_dir)  # published with a warning
    with pytest.raises(BuildError, match="--strict"):
        build_site_fn(site_dir, strict=True)  # same inputs: must not skip past the check
