"""Editions (site.yaml `editions:`) as the owner and search engines meet them: `affsite build`, `affsite check` and
`affsite build --plan` as separate processes, on the demo site (two editions: `us` at /, `de` at /de/) and, for the
live calls, against the fake eBay over real HTTP.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from conftest import REPO
from ebay_fake import CAMPAIGN, CLIENT_ID, CLIENT_SECRET, FakeEbay, fake_ebay
from htmlquery import parse, select

from builder.catalog.cache import ResponseCache

SITE_URL = "https://gearscout.example.org"
US_ROTATION = "711-53200-19255-0"
DE_ROTATION = "707-53477-19255-0"


def affsite(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EBAY_")}
    return subprocess.run(
        [sys.executable, "-m", "builder", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def copy_demo_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return root


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo_site(tmp_path_factory.mktemp("editions"))
    run = affsite("build", cwd=root)
    assert run.returncode == 0, run.stderr
    (root / "build-said.txt").write_text(run.stdout + run.stderr, encoding="utf-8")  # for the tests of the report
    return root / "output"


def alternates_of(page: Path) -> dict[str, str]:
    links = select(parse(page.read_bytes()), "link", rel="alternate")
    return {link.attrs["hreflang"]: link.attrs["href"] for link in links if "hreflang" in link.attrs}


def file_of(output: Path, url: str) -> Path:
    assert url.startswith(SITE_URL + "/"), url
    path = urlsplit(url).path
    return output / path.lstrip("/") / "index.html"


def test_both_editions_are_built_the_german_one_in_german(demo_output: Path) -> None:
    us, de = demo_output / "index.html", demo_output / "de" / "index.html"
    assert '<html lang="en-US">' in us.read_text() and '<html lang="de-DE">' in de.read_text()
    category = (demo_output / "de" / "mirrorless-cameras" / "index.html").read_text()
    assert "<h1>Spiegellose Systemkameras</h1>" in category  # the category's German title (its `editions.de`)
    product = next((demo_output / "de" / "p").glob("*/index.html")).read_text()
    assert "Auf eBay sofort kaufen" in product or "Auf eBay bieten" in product  # the theme's words in German
    assert re.search(r"\d,\d\d\xa0€", product)  # euros, written as Germans write them
    # Links inside the German edition stay in it; the shared assets stay at the root.
    hrefs = [a.attrs["href"] for a in select(parse(de.read_bytes()), "a") if a.attrs.get("href", "").startswith("/")]
    assert hrefs and all(h.startswith("/de/") for h in hrefs), hrefs
    assert all(
        s.attrs["src"].startswith("/assets/") for s in select(parse(de.read_bytes()), "script") if "src" in s.attrs
    )
    assert not (demo_output / "de" / "assets").exists()
    # Guides are written in English: the German edition has none (and does not link a guides list).
    assert (demo_output / "guides" / "index.html").is_file() and not (demo_output / "de" / "guides").exists()
    assert 'href="/de/guides/"' not in de.read_text()


def test_the_build_report_names_the_edition_of_each_search_index(demo_output: Path) -> None:
    said = (demo_output.parent / "build-said.txt").read_text(encoding="utf-8")
    assert re.search(r"^search: \d+ pages indexed in [\d.]+s$", said, re.M), said  # the edition at /
    assert re.search(r"^search: \d+ pages indexed in [\d.]+s \(/de/\)$", said, re.M), said


def test_the_build_report_counts_the_sites_categories_once(demo_output: Path) -> None:
    """The demo site has six categories, published in both editions: the summary says six, not twelve."""
    said = (demo_output.parent / "build-said.txt").read_text(encoding="utf-8")
    built = re.search(r"^built (\d+) pages from .*: (\d+) categories, (\d+) products \(", said, re.M)
    assert built is not None and built[2] == "6", said
    each = re.search(r"^2 editions, each with the 6 categories: us (\d+) products, de (\d+) products$", said, re.M)
    assert each is not None, said
    assert int(each[1]) + int(each[2]) == int(built[3])
    assert int(each[2]) == len(list((demo_output / "de" / "p").glob("*/index.html")))


def test_hreflang_alternates_are_reciprocal_and_resolve(demo_output: Path) -> None:
    pages = sorted(demo_output.rglob("*.html"))
    with_alternates = 0
    for page in pages:
        links = alternates_of(page)
        if not links:
            continue
        with_alternates += 1
        here = SITE_URL + "/" + page.relative_to(demo_output).as_posix().removesuffix("index.html")
        assert here in links.values(), f"{page} does not list itself"
        assert set(links) == {"en-US", "de-DE", "x-default"}, page
        assert links["x-default"] == links["en-US"] and "/de/" not in links["x-default"]
        for lang, url in links.items():
            other = file_of(demo_output, url)
            assert other.is_file(), f"{page}: {lang} -> {url} has no file"
            assert alternates_of(other) == links, f"{other} does not list {page} back the same way"
    assert with_alternates >= 2 * 8  # home, six categories, search in both editions at least
    # Product pages have no counterpart: each marketplace lists other items.
    assert not alternates_of(next((demo_output / "p").glob("*/index.html")))
    assert not alternates_of(next((demo_output / "de" / "p").glob("*/index.html")))


def offers_of(page: Path) -> dict[str, tuple[str, str, str]]:
    links = select(parse(page.read_bytes()), "link", rel="alternate")
    return {
        link.attrs["hreflang"]: (link.attrs["data-label"], link.attrs["data-offer"], link.attrs["data-dismiss"])
        for link in links
        if "data-label" in link.attrs
    }


def test_each_alternate_carries_the_offer_of_its_edition_in_its_language(demo_output: Path) -> None:
    # For editions.js: the offer of an edition is read by someone who prefers its language, whatever the page's.
    english = ("English", "This page is also available in %(language)s.", "No thanks")
    german = ("Deutsch", "Diese Seite gibt es auch auf %(language)s.", "Nein, danke")
    for page in (
        demo_output / "index.html",
        demo_output / "de" / "index.html",
        demo_output / "de/headphones/index.html",
    ):
        assert offers_of(page) == {"en-US": english, "de-DE": german}, page
        [hint] = select(parse(page.read_bytes()), "aside", class_="edition-hint")
        assert "hidden" in hint.attrs and not hint.text.strip()  # filled in by the script, in the offer's language


def test_the_sitemaps_list_the_alternates_and_robots_names_both(demo_output: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    for sitemap, base in (
        (demo_output / "sitemap.xml", SITE_URL + "/"),
        (demo_output / "de" / "sitemap.xml", SITE_URL + "/de/"),
    ):
        root = ElementTree.parse(sitemap).getroot()
        urls = root.findall("s:url", ns)
        assert urls and all(u.findtext("s:loc", namespaces=ns).startswith(base) for u in urls)
        home = next(u for u in urls if u.findtext("s:loc", namespaces=ns) == base)
        alternates = {a.get("hreflang"): a.get("href") for a in home.findall("x:link", ns)}
        assert alternates == {"en-US": SITE_URL + "/", "de-DE": SITE_URL + "/de/", "x-default": SITE_URL + "/"}


def test_each_edition_links_with_its_rotation_id_and_customid(demo_output: Path) -> None:
    for folder, rotation, domain, prefix in (
        ("", US_ROTATION, "www.ebay.com", ""),
        ("de", DE_ROTATION, "www.ebay.de", "de-"),
    ):
        page = (
            next((demo_output / folder / "p").glob("*/index.html"))
            if folder
            else next((demo_output / "p").glob("*/index.html"))
        )
        links = [a.attrs["href"] for a in select(parse(page.read_bytes()), "a") if "ebay." in a.attrs.get("href", "")]
        assert links, page
        query = parse_qs(urlsplit(links[0]).query)
        assert urlsplit(links[0]).hostname == domain
        assert query["mkrid"] == [rotation]
        assert query["customid"][0].startswith(prefix) and (prefix or not query["customid"][0].startswith("de-"))
    manifest = (demo_output / "affsite-manifest.json").read_text()
    assert '"edition":"de"' in manifest and '"path":"/de/p/' in manifest


def test_a_second_build_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    root = copy_demo_site(tmp_path)
    assert affsite("build", cwd=root).returncode == 0
    again = affsite("build", cwd=root)
    assert again.returncode == 0 and "nothing changed since the last build" in again.stdout
    # One edition's change re-renders and publishes it, and leaves the other edition's pages in place.
    path = root / "content/categories/headphones.yaml"
    path.write_text(path.read_text().replace('title: "Kopfhörer"', 'title: "Kopfhörer und In-Ears"'))
    third = affsite("build", cwd=root)
    assert third.returncode == 0, third.stderr
    assert "<h1>Kopfhörer und In-Ears</h1>" in (root / "output/de/headphones/index.html").read_text()
    assert (root / "output/headphones/index.html").is_file() and (root / "output/index.html").is_file()
    # The German words of the offer are on the US pages too (it is offered there in German): a site catalog that
    # rewords them re-renders those pages.
    po = root / "templates/locales/de/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    po.write_text(header + 'msgid "No thanks"\nmsgstr "Lieber nicht"\n', encoding="utf-8")
    fourth = affsite("build", cwd=root)
    assert fourth.returncode == 0, fourth.stderr
    assert offers_of(root / "output/index.html")["de-DE"][2] == "Lieber nicht"
    assert offers_of(root / "output/de/index.html")["de-DE"][2] == "Lieber nicht"


def test_a_failed_build_leaves_every_edition_as_it_was(tmp_path: Path) -> None:
    root = copy_demo_site(tmp_path)
    assert affsite("build", cwd=root).returncode == 0
    before = {p: p.read_bytes() for p in (root / "output").rglob("*.html")}
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "page.html").write_text("{% extends 'base.html' %}{% block main %}{{ 1 / 0 }}{% endblock %}")
    failed = affsite("build", cwd=root)
    assert failed.returncode == 1 and "page.html" in failed.stderr
    assert {p: p.read_bytes() for p in (root / "output").rglob("*.html")} == before


def test_check_names_a_price_range_in_the_wrong_currency_with_file_and_line(tmp_path: Path) -> None:
    root = copy_demo_site(tmp_path)
    path = root / "content/categories/camera-lenses.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"    min_price: 35.*\n    max_price: 1800\n", "", text))
    line = text.splitlines().index("min_price: 40") + 1
    run = affsite("check", cwd=root)
    assert run.returncode == 2
    assert (
        f"content/categories/camera-lenses.yaml:{line}: price range is in USD but edition 'de' sells in EUR; "
        "add editions.de.min_price"
    ) in run.stderr
    assert "Traceback" not in run.stderr


def drop_the_german_edition(root: Path, *, all_editions: bool = False) -> None:
    """Take `de` out of site.yaml (with `all_editions`, the whole `editions:` block: a site for one marketplace again)
    and the categories' `editions.de` overrides with it (`affsite check` refuses overrides for an edition site.yaml
    does not declare)."""
    settings = (root / "site.yaml").read_text()
    cut = settings.index("# Editions:" if all_editions else "  de:\n")
    (root / "site.yaml").write_text(settings[:cut])
    for path in (root / "content/categories").glob("*.yaml"):
        text = path.read_text()
        if "\neditions:\n" in text:
            text = text[: text.index("\neditions:\n") + 1]
            path.write_text(re.sub(r"(?m)^#.*\n\Z", "", text))


def assert_the_english_site_alone(root: Path) -> None:
    """The edition at / complete, and nothing at the root naming /de/ any more."""
    output = root / "output"
    assert (output / "index.html").is_file() and (output / "pagefind" / "pagefind-entry.json").is_file()
    assert len(list((output / "p").glob("*/index.html"))) > 100
    assert "/de/" not in (output / "index.html").read_text()  # no language alternates or hint towards it
    for shared in ("sitemap.xml", "robots.txt", "_redirects", "affsite-manifest.json"):
        assert "/de/" not in (output / shared).read_text(), shared
    assert '"edition"' not in (output / "affsite-manifest.json").read_text()


@pytest.mark.parametrize("all_editions", [False, True], ids=["de-taken-out", "no-editions-any-more"])
def test_a_removed_edition_leaves_nothing_in_the_output_or_the_cache(tmp_path: Path, all_editions: bool) -> None:
    root = copy_demo_site(tmp_path)
    first = affsite("build", cwd=root)
    assert first.returncode == 0, first.stderr
    assert (root / "output/de/index.html").is_file() and (root / "output/de/pagefind/pagefind-entry.json").is_file()
    assert (root / ".cache/editions/de/build-state.json").is_file()
    files = sum(1 for path in (root / "output/de").rglob("*") if path.is_file())
    drop_the_german_edition(root, all_editions=all_editions)
    again = affsite("build", cwd=root)
    assert again.returncode == 0, again.stderr
    assert not (root / "output/de").exists()  # pages, feed, sitemap, search index: all of it
    assert not (root / ".cache/editions").exists()  # the state, the ledger, the search records
    assert (
        f"edition de is no longer in site.yaml: {files} file(s) deleted from /de/ (its pages and search index) "
        "and its folder in the cache"
    ) in again.stdout.splitlines()
    warnings = [line for line in again.stdout.splitlines() if line.startswith("warning:")]
    assert all("products have no image" in line for line in warnings), warnings  # (the demo catalog's)
    assert_the_english_site_alone(root)


def test_a_removed_editions_files_go_after_a_first_build_into_an_empty_output_folder(tmp_path: Path) -> None:
    """A rebuild through a staging folder (the output folder gone, the cache kept: a CI checkout with its cache
    restored) deletes the removed edition's cache too."""
    root = copy_demo_site(tmp_path)
    assert affsite("build", cwd=root).returncode == 0
    shutil.rmtree(root / "output")
    drop_the_german_edition(root)
    again = affsite("build", cwd=root)
    assert again.returncode == 0, again.stderr
    assert not (root / "output/de").exists() and not (root / ".cache/editions").exists()
    assert "edition de is no longer in site.yaml: 0 file(s) deleted from /de/" in again.stdout
    assert_the_english_site_alone(root)


def test_a_file_no_build_wrote_survives_its_editions_removal_with_a_warning(tmp_path: Path) -> None:
    root = copy_demo_site(tmp_path)
    assert affsite("build", cwd=root).returncode == 0
    (root / "output/de/google1234.html").write_text("google-site-verification: google1234.html")
    (root / "output/de/p/notes").mkdir()
    (root / "output/de/p/notes/todo.txt").write_text("mine")
    drop_the_german_edition(root)
    # A build that fails deletes nothing: the German edition stays published as it was, its cache too.
    before = {p: p.read_bytes() for p in (root / "output").rglob("*") if p.is_file()}
    (root / "templates" / "page.html").write_text("{% extends 'base.html' %}{% block main %}{{ 1 / 0 }}{% endblock %}")
    failed = affsite("build", cwd=root)
    assert failed.returncode == 1 and "page.html" in failed.stderr
    assert {p: p.read_bytes() for p in (root / "output").rglob("*") if p.is_file()} == before
    assert (root / ".cache/editions/de/build-state.json").is_file()
    (root / "templates" / "page.html").unlink()
    again = affsite("build", cwd=root)
    assert again.returncode == 0, again.stderr
    left = sorted(p.relative_to(root / "output").as_posix() for p in (root / "output/de").rglob("*") if p.is_file())
    assert left == ["de/google1234.html", "de/p/notes/todo.txt"]
    assert not (root / "output/de/pagefind").exists() and not (root / ".cache/editions/de").exists()
    assert re.search(
        r"^warning: 2 × edition de is gone from /de/, but files there that no build wrote were kept \(delete them by "
        r"hand if they should go\): de/google1234\.html, de/p/notes/todo\.txt$",
        again.stdout,
        re.M,
    ), again.stdout
    assert "edition de is no longer in site.yaml: " in again.stdout
    assert_the_english_site_alone(root)


def test_an_edition_given_another_path_leaves_nothing_at_the_old_one(tmp_path: Path) -> None:
    root = copy_demo_site(tmp_path)
    assert affsite("build", cwd=root).returncode == 0
    (root / "output/de/mine.txt").write_text("mine")
    settings = root / "site.yaml"
    settings.write_text(settings.read_text().replace("path: /de/", "path: /deutsch/"))
    again = affsite("build", cwd=root)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in (root / "output/de").iterdir()] == ["mine.txt"]  # the owner's file, and nothing else
    assert "edition de moved from /de/ to /deutsch/: " in again.stdout
    assert "de/mine.txt" in again.stdout  # said in a warning
    german = (root / "output/deutsch/index.html").read_text()
    assert '<html lang="de-DE">' in german and 'href="/deutsch/' in german and 'href="/de/' not in german
    assert (root / "output/deutsch/pagefind/pagefind-entry.json").is_file()
    assert (root / ".cache/editions/de/build-state.json").is_file()  # still the edition's cache, for its new path
    assert "/de/" not in (root / "output/robots.txt").read_text() + (root / "output/_redirects").read_text()


@pytest.mark.parametrize(
    ("editions", "message"),
    [
        (
            "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_DE\n",
            "editions: exactly one edition must be served at / (path left out) (us, de)",
        ),
        (
            "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_XX\n    path: /de/\n",
            "editions.de.marketplace: must be one of EBAY_US",
        ),
        (
            "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_DE\n    path: /headphones/\n",
            "editions.de.path: /headphones/ is the same URL as content/categories/headphones.yaml; pick another",
        ),
        (
            "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_DE\n    path: de\n",
            "editions.de.path: 'de' must be / or one segment",
        ),
        (
            "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_DE\n    path: /de/\n    lnag: de\n",
            "editions.de.lnag: unknown key; did you mean 'lang'?",
        ),
        (  # the top-level marketplace (EBAY_US in the demo) is not silently overridden by the edition at /
            "editions:\n  uk:\n    marketplace: EBAY_GB\n  de:\n    marketplace: EBAY_DE\n    path: /de/\n",
            "marketplace: EBAY_US, but the edition served at / (uk) is EBAY_GB; with editions, the edition at / sets it",
        ),
    ],
)
def test_check_reports_bad_editions_in_site_yaml_with_their_line(tmp_path: Path, editions: str, message: str) -> None:
    root = copy_demo_site(tmp_path)
    settings = (root / "site.yaml").read_text()
    settings = settings[: settings.index("editions:\n")] + editions
    (root / "site.yaml").write_text(settings)
    run = affsite("check", cwd=root)
    assert run.returncode == 2
    assert re.search(r"^site\.yaml:\d+: " + re.escape(message), run.stderr, re.M), run.stderr


# --- live calls, against the fake eBay ---------------------------------------------------------------------------


@pytest.fixture
def ebay() -> Iterator[FakeEbay]:
    with fake_ebay() as fake:
        yield fake


def live_env(ebay: FakeEbay) -> dict[str, str]:
    return {
        "EBAY_CLIENT_ID": CLIENT_ID,
        "EBAY_CLIENT_SECRET": CLIENT_SECRET,
        "EBAY_CAMPAIGN_ID": CAMPAIGN,
        **ebay.environ,
        "AFFSITE_TEST_NOW": "2026-12-01T00:17:00+00:00",
        "TZ": "UTC",
    }


def two_edition_site(tmp_path: Path, budget: int = 200) -> Path:
    root = tmp_path / "live"
    (root / "content" / "categories").mkdir(parents=True)
    (root / "site.yaml").write_text(
        "title: Two Editions\nbase_url: https://two.example.org\n"
        f"api:\n  calls_per_build: {budget}\n  retries: 0\n"
        "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_DE\n    path: /de/\n"
    )
    for slug in ("cameras", "lenses", "speakers"):
        (root / "content" / "categories" / f"{slug}.yaml").write_text(
            f"title: {slug.title()}\nq: {slug}\nmin_price: 20\nmax_price: 900\nitems: 3\n"
            f"editions:\n  de:\n    title: {slug.title()} (DE)\n    min_price: 18\n    max_price: 800\n"
        )
    return root


def test_a_live_build_calls_each_marketplace_for_its_own_edition(tmp_path: Path, ebay: FakeEbay) -> None:
    root = two_edition_site(tmp_path)
    run = affsite("build", "--live", cwd=root, env=live_env(ebay))
    assert run.returncode == 0, run.stderr
    by_market: dict[str, list[dict[str, str]]] = {}
    for call in ebay.searches:
        by_market.setdefault(call.headers["X-Ebay-C-Marketplace-Id"], []).append(call.params)
    assert sorted(by_market) == ["EBAY_DE", "EBAY_US"] and all(len(v) == 3 for v in by_market.values())
    for params in by_market["EBAY_US"]:
        assert "price:[20..900],priceCurrency:USD" in params["filter"] and "deliveryCountry:US" in params["filter"]
    for params in by_market["EBAY_DE"]:
        assert "price:[18..800],priceCurrency:EUR" in params["filter"] and "deliveryCountry:DE" in params["filter"]
    de_page = next((root / "output/de/p").glob("*/index.html")).read_text()
    assert DE_ROTATION in de_page and "customid=de-" in de_page and "www.ebay.de" in de_page
    us_page = next((root / "output/p").glob("*/index.html")).read_text()
    assert US_ROTATION in us_page and "customid=de-" not in us_page


def test_cache_prune_keeps_every_editions_answers(tmp_path: Path, ebay: FakeEbay) -> None:
    """`affsite cache prune` after a live build: the German edition's answers (other keys: marketplace, currency) are
    in use too, so none is deleted, and the next build's cache hits make no call to eBay."""
    root = two_edition_site(tmp_path)
    assert affsite("build", "--live", cwd=root, env=live_env(ebay)).returncode == 0
    answers = ResponseCache(root / ".cache")
    cached = [p.name for p in answers.files()]
    assert len(cached) == 6  # three categories in each of the two editions
    info = affsite("cache", "info", cwd=root, env=live_env(ebay))
    assert info.returncode == 0, info.stderr
    assert "6 of the 6 requests the content needs are cached; 0 entries are unused" in info.stdout
    pruned = affsite("cache", "prune", cwd=root, env=live_env(ebay))
    assert pruned.returncode == 0, pruned.stderr
    assert "deleted 0 cached eBay answer(s)" in pruned.stdout, pruned.stdout
    assert [p.name for p in answers.files()] == cached
    calls = len(ebay.searches)
    again = affsite("build", "--live", "--only-expired", cwd=root, env=live_env(ebay))
    assert again.returncode == 0, again.stderr
    assert len(ebay.searches) == calls  # every edition answered from the cache


def test_the_plan_shows_each_editions_calls_within_one_budget(tmp_path: Path, ebay: FakeEbay) -> None:
    root = two_edition_site(tmp_path, budget=4)  # six calls wanted, four allowed: two each, not four and none
    run = affsite("build", "--plan", cwd=root, env=live_env(ebay))
    assert run.returncode == 0, run.stderr
    assert "edition us (EBAY_US, /): its share of the budget: 2 call(s)" in run.stdout
    assert "edition de (EBAY_DE, /de/): its share of the budget: 2 call(s)" in run.stdout
    assert "all editions: 4 call(s) within one budget of 4 (per-build limit 4," in run.stdout
    assert not ebay.searches  # planning makes no calls
    built = affsite("build", "--live", cwd=root, env=live_env(ebay))
    assert built.returncode == 0, built.stderr
    markets = [call.headers["X-Ebay-C-Marketplace-Id"] for call in ebay.searches]
    assert sorted(markets) == ["EBAY_DE", "EBAY_DE", "EBAY_US", "EBAY_US"]


def test_the_german_edition_has_its_own_legal_pages_and_an_impressum(demo_output: Path) -> None:
    """content/pages/privacy.de.md is privacy.md's German variant: /de/privacy/, linked from the German footer, with
    the English page as its alternate; the Impressum (impressum.de.md) exists only where it is required."""
    privacy = parse((demo_output / "de" / "privacy" / "index.html").read_bytes())
    assert [" ".join(h.text.split()) for h in select(privacy, "h1")] == ["Datenschutzerklärung"]
    assert alternates_of(demo_output / "de" / "privacy" / "index.html") == {
        "en-US": "https://gearscout.example.org/privacy/",
        "de-DE": "https://gearscout.example.org/de/privacy/",
        "x-default": "https://gearscout.example.org/privacy/",
    }
    footer = (demo_output / "de" / "index.html").read_text()
    assert '<a href="/de/impressum/">Impressum</a>' in footer and (demo_output / "de/impressum/index.html").is_file()
    assert not (demo_output / "impressum").exists() and "/impressum/" not in (demo_output / "index.html").read_text()
    english = parse((demo_output / "privacy" / "index.html").read_bytes())
    assert [" ".join(h.text.split()) for h in select(english, "h1")] == ["Privacy policy"]
