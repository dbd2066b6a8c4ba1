"""Incremental builds: a rebuild that skips unchanged pages publishes exactly what a clean build would."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SiteDir, item

from builder.ended import LEDGER_NAME
from builder.state import STATE_NAME


def clean_build(site: SiteDir, build: Callable[..., Any], tmp_path: Path, now: datetime = NOW) -> dict[str, bytes]:
    """The same site built from scratch elsewhere (no previous output, no render state).

    The listing ledger is carried over, as the scheduled rebuild carries .cache/ over to an empty output: it is data
    (what was published before, so what has ended since), not a record of what was rendered.
    """
    fresh = SiteDir(tmp_path / "fresh")
    if fresh.root.exists():
        shutil.rmtree(fresh.root)
    shutil.copytree(site.root, fresh.root, ignore=shutil.ignore_patterns("output", ".cache"))
    ledger = site.root / ".cache" / LEDGER_NAME
    if ledger.exists():
        (fresh.root / ".cache").mkdir()
        shutil.copy(ledger, fresh.root / ".cache" / LEDGER_NAME)
    fresh.catalog = site.catalog
    build(fresh, now)
    return fresh.files()


def _comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    """The search index compared by what it holds: each indexed page's fragment (named by a hash of what was
    indexed of the page) byte for byte, its other files by their number. Pagefind numbers pages in the order it
    happened to read them, which differs from one run to the next even over the same output, and its filter and
    meta files (and so the entry naming them) follow that order."""
    kept = {p: d for p, d in files.items() if not p.startswith("pagefind/") or p.startswith("pagefind/fragment/")}
    kept["pagefind/ (other files)"] = str(len(files) - len(kept)).encode()
    return kept


def assert_same_as_clean(site: SiteDir, build: Callable[..., Any], tmp_path: Path, now: datetime = NOW) -> None:
    incremental = _comparable(site.files())
    clean = _comparable(clean_build(site, build, tmp_path, now))
    assert sorted(incremental) == sorted(clean)
    for path, data in clean.items():
        assert incremental[path] == data, path


def test_no_change_rebuild_renders_and_writes_nothing(site_dir: SiteDir, build_site_fn: Any) -> None:
    first = build_site_fn(site_dir)
    second = build_site_fn(site_dir)
    assert first.rendered == first.pages
    assert second.rendered == 0
    assert second.written == 0
    assert second.unchanged == first.written


def test_data_change_equals_clean_build(site_dir: SiteDir, build_site_fn: Any, tmp_path: Path) -> None:
    build_site_fn(site_dir)
    lenses = [item(i, title=f"Prime Lens {i} 50mm f/1.8") for i in range(100, 111)]
    lenses.append(item(111, title="Prime Lens 111 85mm", price={"value": "1.00", "currency": "USD"}))
    site_dir.set_items("lenses", lenses)
    build_site_fn(site_dir)
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)


def test_one_category_change_renders_only_its_pages(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    site_dir.set_items("lenses", [item(i, title=f"Prime Lens {i} 50mm f/1.8 II") for i in range(100, 112)])
    report = build_site_fn(site_dir)
    # 12 new product pages (new titles, new slugs), 2 lens list pages (10 a page), the home page (lenses are
    # featured) and the feed (they are among the newest). The 25 camera pages are kept.
    # and lenses/listings.json (the category's sort and filter chips).
    assert report.rendered == 12 + 2 + 1 + 1 + 1
    assert not any("prime-lens-100-50mm-f-1-8-100000000100" in f for f in site_dir.files())


def test_one_price_change_renders_only_the_pages_that_show_it(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    cameras = [item(i) for i in range(1, 26)]
    cameras[24] = item(25, price={"value": "9.99", "currency": "USD"})
    site_dir.set_items("cameras", cameras)
    report = build_site_fn(site_dir)
    # Item 25's own page, the camera list page that shows it (page 3) and the feed (it lists all 37 products).
    # Not the other product pages: their related blocks show the first four cameras; nor the home page.
    assert report.rendered == 3 + 1  # and cameras/listings.json (the category's sort and filter chips)


def test_template_change_equals_clean_build(site_dir: SiteDir, build_site_fn: Any, tmp_path: Path) -> None:
    first = build_site_fn(site_dir)
    site_dir.override("category.html", "</h1>", "</h1>\n<p>changed</p>")  # the site's own category page
    report = build_site_fn(site_dir)
    categories = 3 + 2  # cameras: 25 items at 10 a page, lenses: 12
    assert report.rendered == categories
    assert 0 < report.rendered < first.rendered
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)


def test_base_template_change_renders_everything(site_dir: SiteDir, build_site_fn: Any, tmp_path: Path) -> None:
    first = build_site_fn(site_dir)
    site_dir.override("base.html", "<main", "<!-- x -->\n<main")
    report = build_site_fn(site_dir)
    # All but the feed and the two categories' listings.json (sort and filter chips): they do not extend base.html.
    assert report.rendered == first.pages - 3
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)


def test_settings_change_equals_clean_build(site_dir: SiteDir, build_site_fn: Any, tmp_path: Path) -> None:
    first = build_site_fn(site_dir)
    site_yaml = site_dir.root / "site.yaml"
    site_yaml.write_text(site_yaml.read_text().replace("title: Test Shop", "title: Other Shop"))
    report = build_site_fn(site_dir)
    assert report.rendered == first.pages
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)


def test_deleted_category_and_ended_item_become_ended_pages_then_disappear(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path
) -> None:
    # Changed with ended pages (issue 12): a listing that leaves the site keeps an "ended" page for ended_days (14 by
    # default), then its page is removed (and answers 410 through _redirects); before, it disappeared at once.
    build_site_fn(site_dir)
    assert "lenses/index.html" in site_dir.files()
    (site_dir.root / "content" / "categories" / "lenses.yaml").unlink()
    site_dir.set_items("cameras", [item(i) for i in range(1, 25)])  # item 25 ended
    build_site_fn(site_dir)
    files = site_dir.files()
    assert not any(f.startswith("lenses/") for f in files)
    ended = [f for f in files if f.endswith("-100000000025/index.html") or "prime-lens" in f]
    assert len(ended) == 1 + 12
    for path in ended:
        page = files[path].decode()
        article = page[page.index("<article") : page.index("</article>")]
        assert "This listing has ended" in article and "$" not in article and 'class="price' not in article
        item_id = path.removesuffix("/index.html").rsplit("-", 1)[1]
        assert f'data-item="{item_id}"' not in page  # no link to buy the ended listing
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)
    assert not (site_dir.output / "lenses").exists()

    later = NOW + timedelta(days=14)
    build_site_fn(site_dir, later)
    files = site_dir.files()
    assert not any(f.endswith("-100000000025/index.html") for f in files)
    assert not any("prime-lens" in f for f in files)
    assert_same_as_clean(site_dir, build_site_fn, tmp_path, later)


def test_ended_page_follows_its_category_and_equals_clean_build(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path
) -> None:
    """An ended page shows current listings of its category: a change to them re-renders it, and only it and the
    pages that show them."""
    build_site_fn(site_dir)
    site_dir.set_items("cameras", [item(i) for i in range(1, 25)])  # item 25 ended
    build_site_fn(site_dir, NOW + timedelta(hours=1))
    assert_same_as_clean(site_dir, build_site_fn, tmp_path, NOW + timedelta(hours=1))
    [ended] = site_dir.output.glob("p/*-100000000025/index.html")
    assert "This listing has ended" in ended.read_text() and "$101.99" in ended.read_text()
    cameras = [item(i) for i in range(1, 25)]
    cameras[0] = item(1, price={"value": "77.00", "currency": "USD"})
    site_dir.set_items("cameras", cameras)
    report = build_site_fn(site_dir, NOW + timedelta(hours=1))
    assert "$77.00" in ended.read_text()
    # Item 1's page, the 23 other camera pages (their related block shows the first cameras), cameras page 1, the
    # home page, the feed and the ended page; not the lens pages.
    assert report.rendered == 1 + 23 + 1 + 1 + 1 + 1 + 1  # and cameras/listings.json
    assert_same_as_clean(site_dir, build_site_fn, tmp_path, NOW + timedelta(hours=1))
    assert build_site_fn(site_dir, NOW + timedelta(hours=1)).rendered == 0


def test_newer_clock_re_renders_pages_whose_price_went_stale(site_dir: SiteDir, build_site_fn: Any) -> None:
    from datetime import timedelta

    first = build_site_fn(site_dir)
    # Same data, fetched at the same time, but the build runs after the freshness limit: prices must be hidden.
    from builder.build import BuildOptions, build_site
    from builder.catalog.files import DirectoryCatalog
    from builder.catalog.source import CatalogResult
    from builder.content import load_site

    class Fixed(DirectoryCatalog):
        def load(self, config: Any, now: Any) -> CatalogResult:
            result = super().load(config, now)
            for data in result.categories.values():
                data.fetched_at = NOW
            return result

    later = NOW + timedelta(hours=30)
    options = BuildOptions(site_dir.root, site_dir.output, site_dir.root / ".cache")
    report = build_site(load_site(site_dir.root), Fixed(site_dir.catalog), options, later)
    # Not the 404, thank-you, search and three Markdown pages: no prices there.
    assert report.rendered == first.pages - 6
    html = next(p for p in site_dir.output.glob("p/*/index.html")).read_text()
    # Changed with the redesign (issue 12): the stale message is a link to the listing on eBay.
    assert re.search(r'<p class="price-check">\s*<a [^>]*href="https://www\.ebay\.com/itm/[^>]*>Check the current price on eBay</a>', html)


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"key": 1, "files": []}', b"[1, 2]", b"\xff\xfe"])
def test_corrupt_state_falls_back_to_a_full_render(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path, garbage: bytes
) -> None:
    first = build_site_fn(site_dir)
    (site_dir.root / ".cache" / STATE_NAME).write_bytes(garbage)
    report = build_site_fn(site_dir)
    assert report.rendered == first.pages
    assert report.written == 0  # same bytes: nothing rewritten
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)
    assert build_site_fn(site_dir).rendered == 0  # and the state is good again


def test_missing_state_falls_back_to_a_full_render(site_dir: SiteDir, build_site_fn: Any) -> None:
    first = build_site_fn(site_dir)
    (site_dir.root / ".cache" / STATE_NAME).unlink()
    assert build_site_fn(site_dir).rendered == first.pages


def test_edited_or_deleted_output_file_is_rendered_again(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    before = site_dir.files()
    (site_dir.output / "cameras" / "index.html").write_text("tampered")
    (site_dir.output / "lenses" / "index.html").unlink()
    report = build_site_fn(site_dir)
    assert report.rendered == 2
    assert _comparable(site_dir.files()) == _comparable(before)  # the two pages changed: the index was made again


def test_parallel_render_equals_serial_render(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builder.parallel

    site_dir.set_items("cameras", [item(i) for i in range(1, 400)])
    monkeypatch.setattr(builder.parallel, "MIN_PARALLEL_JOBS", 10)
    monkeypatch.setattr(builder.parallel, "CHUNK", 7)
    monkeypatch.setattr(builder.parallel, "worker_count", lambda jobs: 2)
    build_site_fn(site_dir)
    parallel = site_dir.files()
    monkeypatch.setattr(builder.parallel, "worker_count", lambda jobs: 1)
    assert _comparable(clean_build(site_dir, build_site_fn, tmp_path)) == _comparable(parallel)


def test_template_error_in_a_worker_leaves_the_site_and_no_temporary_files(
    site_dir: SiteDir, build_site_fn: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builder.parallel

    site_dir.set_items("cameras", [item(i) for i in range(1, 200)])
    build_site_fn(site_dir)
    before = site_dir.files()
    site_dir.set_items("cameras", [item(i, title=f"Camera {i} new") for i in range(1, 200)])
    site_dir.override(
        "product.html",
        "{% block og_type %}",
        '{% block og_type %}{% if p.item_id.endswith("7") %}{{ nope.missing }}{% endif %}',
    )
    monkeypatch.setattr(builder.parallel, "CHUNK", 7)
    monkeypatch.setattr(builder.parallel, "worker_count", lambda jobs: 2)
    with pytest.raises(Exception, match="nope"):
        build_site_fn(site_dir)
    assert site_dir.files() == before
    assert not [p for p in site_dir.output.rglob("*") if p.name.endswith(".affsite-new")]


def test_inputs_digest_takes_data_orjson_cannot_encode(site_dir: SiteDir) -> None:
    """A source that hands over an integer beyond 64 bits (json.loads makes them) still gets a digest."""
    from builder.catalog.source import CatalogResult, CategoryData
    from builder.content import load_site
    from builder.inputs import inputs_digest
    from builder.themes import Theme

    site = load_site(site_dir.root)

    def digest(value: int) -> str:
        data = CategoryData("cameras", [{"itemId": "v1|1|0", "bidCount": value}], NOW)
        return inputs_digest(site, CatalogResult({"cameras": data}), Theme.of_site(site_dir.root), "", False)

    assert digest(2**70) != digest(2**70 + 1)


def test_a_rebuild_with_nothing_to_do_does_not_load_the_renderer(site_dir: SiteDir, build_site_fn: Any) -> None:
    """The no-change path is mostly start-up time; Jinja and the renderer are a fifth of it."""
    import subprocess
    import sys

    build_site_fn(site_dir)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from datetime import datetime\n"
        "from builder.build import BuildOptions, build_site\n"
        "from builder.catalog.files import DirectoryCatalog\n"
        "from builder.content import load_site\n"
        "root = Path(sys.argv[1])\n"
        "report = build_site(load_site(root), DirectoryCatalog(Path(sys.argv[2])),\n"
        "                    BuildOptions(root, root / 'output', root / '.cache'), datetime.fromisoformat(sys.argv[3]))\n"
        "print(report.rendered, 'jinja2' in sys.modules, 'builder.render' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(site_dir.root), str(site_dir.catalog), NOW.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.split() == ["0", "False", "False"]


def test_the_code_version_covers_every_file_of_the_package(tmp_path: Path) -> None:
    """No hand-kept list: any module, template or data file of the package changes it; bytecode caches do not."""
    from builder import state

    package = tmp_path / "builder"
    shutil.copytree(Path(state.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = state.package_digest(package)
    assert state.package_digest(package) == before
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "marketplaces.cpython-311.pyc").write_bytes(b"\0" * 10)
    assert state.package_digest(package) == before
    changes = {
        "marketplaces.py": lambda text: text.replace("711-53200-19255-0", "711-53200-19255-1"),  # same size
        "endpoint/tokens.py": lambda text: text + "\n",
        "demo_catalog/headphones.json": lambda text: text.replace('"', "'", 1),
    }
    seen = {before}
    for relative, change in changes.items():
        path = package / relative
        original = path.read_text()
        path.write_text(change(original))
        assert state.package_digest(package) not in seen, relative
        seen.add(state.package_digest(package))
        path.write_text(original)
    (package / "demo_catalog" / "new-category.json").write_text('{"itemSummaries": []}')
    assert state.package_digest(package) not in seen


def test_a_changed_module_that_no_list_named_rebuilds_the_pages(site_dir: SiteDir, tmp_path: Path) -> None:
    """The bug this replaced: a rotation id changed in marketplaces.py left stale links after "nothing changed"."""
    import os
    import subprocess
    import sys

    from builder import state

    installed = tmp_path / "installed"
    shutil.copytree(Path(state.__file__).parent, installed / "builder", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("EBAY_")}, "PYTHONPATH": str(installed)}

    def build() -> str:
        run = subprocess.run(
            [sys.executable, "-m", "builder", "build", "--catalog-dir", str(site_dir.catalog)],
            cwd=site_dir.root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        return run.stdout

    build()
    assert "nothing changed" in build()
    assert "mkrid=711-53200-19255-0" in (site_dir.output / "index.html").read_text()
    marketplaces = installed / "builder" / "marketplaces.py"
    marketplaces.write_text(marketplaces.read_text().replace("711-53200-19255-0", "711-53200-19255-9"))
    assert "nothing changed" not in build()
    pages = [p.read_text() for p in site_dir.output.rglob("*.html")]
    assert not any("711-53200-19255-0" in page for page in pages)
    assert any("mkrid=711-53200-19255-9" in page for page in pages)


def test_a_changed_translation_rerenders_and_equals_a_clean_build(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path
) -> None:
    """Message catalogs are inputs of every page: editing the site's .po re-renders, and only then."""
    site_dir.write("site.yaml", (site_dir.root / "site.yaml").read_text().replace("EBAY_US", "EBAY_US\nlanguage: de-DE"))
    po = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Page not found"\nmsgstr "{}"\n'
    site_dir.write("templates/locales/de/LC_MESSAGES/messages.po", po.format("Nichts da"))
    build_site_fn(site_dir)
    assert "<h1>Nichts da</h1>" in (site_dir.output / "404.html").read_text()
    assert build_site_fn(site_dir).rendered == 0
    site_dir.write("templates/locales/de/LC_MESSAGES/messages.po", po.format("Hier ist nichts"))
    again = build_site_fn(site_dir)
    assert again.rendered == again.pages  # every page may show a catalog's text
    assert "<h1>Hier ist nichts</h1>" in (site_dir.output / "404.html").read_text()
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)


def test_guides_re_render_on_their_text_data_or_template_only_and_equal_a_clean_build(
    site_dir: SiteDir, build_site_fn: Callable[..., Any], tmp_path: Path
) -> None:
    import json

    from test_guides import GUIDE, get_item

    site_dir.write("content/guides/best.md", GUIDE)
    (site_dir.catalog / "items").mkdir(parents=True)
    (site_dir.catalog / "items" / "100000000003.json").write_text(json.dumps(get_item(3)))
    site_dir.set_items("guide--best--product3", [item(7, title="Budget Camera 7")])
    first = build_site_fn(site_dir)
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)

    # Its data: a listing asked for by id changes price; only the guide shows it.
    (site_dir.catalog / "items" / "100000000003.json").write_text(
        json.dumps(get_item(3, price={"value": "55.00", "currency": "USD"}))
    )
    assert build_site_fn(site_dir).rendered == 1
    assert "$55.00" in (site_dir.output / "guides/best/index.html").read_text()
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)

    # Its search's data.
    site_dir.set_items("guide--best--product3", [item(8, title="Budget Camera 8")])
    assert build_site_fn(site_dir).rendered == 1
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)

    # Its text (not its front matter): the guide page only, not the lists that link to it.
    site_dir.write("content/guides/best.md", GUIDE.replace("Start with the *body*.", "Start with a lens."))
    assert build_site_fn(site_dir).rendered == 1
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)

    # Its title: the guide, the guides list, the home page (featured), the cameras pages and the feed.
    site_dir.write("content/guides/best.md", GUIDE.replace("Best cameras for beginners", "Best first cameras"))
    assert build_site_fn(site_dir).rendered == 1 + 1 + 1 + 3 + 1
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)

    # Its template, or a block's: the guide page only.
    site_dir.override("_blocks/compare.html", "<tbody>", "<tbody>\n<!-- changed -->")
    assert build_site_fn(site_dir).rendered == 1
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)

    # A category's data that a deal grid shows (the shared `q: camera` search) re-renders the guide too.
    site_dir.set_items("cameras", [item(i, title=f"Camera {i} II") for i in range(1, 26)])
    report = build_site_fn(site_dir)
    assert 0 < report.rendered < first.pages
    assert "Camera 1 II" in (site_dir.output / "guides/best/index.html").read_text()
    assert_same_as_clean(site_dir, build_site_fn, tmp_path)
    assert build_site_fn(site_dir).rendered == 0
