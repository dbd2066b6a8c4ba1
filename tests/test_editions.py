"""editions.py: the budget split between editions, the links an edition's pages get, which pages an edition has;
the build summary of a site with editions; what an edition the site no longer has leaves behind (retired.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import i18n
from builder.editions import Edition, EditionWriter, fair_shares, lang_matches
from builder.marketplaces import MARKETPLACES
from builder.output import SiteWriter
from builder.report import BuildReport
from builder.retired import find_retired, remove_retired
from builder.script_texts import edition_hint
from builder.state import BuildState, FileRecord, save_state, state_key
from builder.themes import THEME_DIR, Theme

US = Edition("us", MARKETPLACES["EBAY_US"], "en-US", "/")
DE = Edition("de", MARKETPLACES["EBAY_DE"], "de-DE", "/de/")
AT = Edition("at", MARKETPLACES["EBAY_AT"], "de-AT", "/at/")


@pytest.mark.parametrize(
    ("allowance", "wanted", "shares"),
    [
        (4, {"us": 3, "de": 3}, {"us": 2, "de": 2}),  # short: each gets half, not the first all of it
        (5, {"us": 3, "de": 3}, {"us": 3, "de": 2}),  # the odd call to the edition at /
        (10, {"us": 1, "de": 20}, {"us": 1, "de": 9}),  # what one does not need goes to the other
        (7, {"us": 1, "de": 2, "at": 9}, {"us": 1, "de": 2, "at": 4}),
        (12, {"us": 2, "de": 2}, {"us": 6, "de": 6}),  # room left over is spread for retries
        (0, {"us": 3, "de": 3}, {"us": 0, "de": 0}),
        (3, {"us": 0, "de": 0}, {"us": 2, "de": 1}),
    ],
)
def test_fair_shares(allowance: int, wanted: dict[str, int], shares: dict[str, int]) -> None:
    assert fair_shares(allowance, wanted) == shares
    assert sum(shares.values()) == allowance


def test_an_editions_pages_link_inside_it_except_to_what_all_share(tmp_path: Path) -> None:
    writer = SiteWriter(tmp_path / "output")
    german = EditionWriter(writer, DE)
    html = (
        b'<a href="/">Home</a> <a href="/p/x-1/">x</a> <link href="/assets/site.1.css"> <a href="/go/1">go</a> '
        b'<a href="//cdn.example/x">cdn</a> <a href="https://www.ebay.de/itm/1">eBay</a> '
        b'<div data-listings="/cameras/listings.json"></div> <form action="/search/">'
    )
    assert german.localize("index.html", html) == (
        b'<a href="/de/">Home</a> <a href="/de/p/x-1/">x</a> <link href="/assets/site.1.css"> <a href="/go/1">go</a> '
        b'<a href="//cdn.example/x">cdn</a> <a href="https://www.ebay.de/itm/1">eBay</a> '
        b'<div data-listings="/de/cameras/listings.json"></div> <form action="/de/search/">'
    )
    assert german.localize("cameras/listings.json", b'{"html":"<a href=\\"/p/x-1/\\">"}') == (
        b'{"html":"<a href=\\"/de/p/x-1/\\">"}'
    )
    assert german.localize("sitemap.xml", b"<loc>/p/</loc>") == b"<loc>/p/</loc>"
    assert EditionWriter(writer, US).localize("index.html", html) == html
    # Its files go into its folder, the shared assets nowhere (the edition at / writes them).
    german.write("index.html", b'<a href="/">')
    german.write("assets/site.1.css", b"body{}")
    writer.commit()
    assert (tmp_path / "output/de/index.html").read_bytes() == b'<a href="/de/">'
    assert not (tmp_path / "output/de/assets").exists() and german.present == {"index.html"}


@pytest.mark.parametrize(
    ("lang", "edition", "belongs"),
    [
        (None, US, True),  # no language: the edition at /'s
        (None, DE, False),
        ("de", DE, True),  # a language without region: every edition in it
        ("de", AT, True),
        ("de-AT", DE, False),  # with a region: exactly that one
        ("de-AT", AT, True),
        ("en", US, True),
    ],
)
def test_which_editions_a_page_or_guide_belongs_to(lang: str | None, edition: Edition, belongs: bool) -> None:
    assert lang_matches(lang, edition, US) is belongs


@pytest.mark.parametrize(
    ("lang", "sentence", "dismiss"),
    [
        ("en-US", "This page is also available in English.", "No thanks"),
        ("de-DE", "Diese Seite gibt es auch auf Deutsch.", "Nein, danke"),
        ("de-AT", "Diese Seite gibt es auch auf Deutsch.", "Nein, danke"),
        ("fr-FR", "Cette page existe aussi en français.", "Non merci"),
        ("it-IT", "Questa pagina è disponibile anche in italiano.", "No, grazie"),
        ("es-ES", "Esta página también está disponible en español.", "No, gracias"),
        ("nl-NL", "Deze pagina is ook beschikbaar in het Nederlands.", "Nee, bedankt"),
        ("pl-PL", "Ta strona jest dostępna także w języku: polski.", "Nie, dziękuję"),
        ("sv-SE", "This page is also available in svenska.", "No thanks"),  # no catalog: English, as everywhere
    ],
)
def test_the_offer_of_an_edition_is_in_its_own_language_whatever_the_builds(
    lang: str, sentence: str, dismiss: str
) -> None:
    """The offer as editions.js writes it (the name where the placeholder is), asked for by an English build and by a
    German one: the words are the offered edition's, never the page's."""
    theme = Theme(Path(), (THEME_DIR,))
    for build in ("en-US", "de-DE"):
        i18n.activate(i18n.load_catalogs(theme, build))
        hint = edition_hint(theme, lang)
        assert hint["offer"].replace("%(language)s", hint["label"]) == sentence
        assert hint["dismiss"] == dismiss


def test_the_summary_counts_the_categories_of_the_site_once_and_products_per_edition() -> None:
    """Two editions of the same 4 categories are a site of 4 categories, not 8; each edition has its own listings."""
    us = BuildReport(categories=4, products=10, pages=30, editions={"us": 10})
    de = BuildReport(categories=4, products=7, pages=20, editions={"de": 7})
    de.warn("products have no image", "123")
    us.merge(de, "de")
    assert (us.categories, us.products, us.pages) == (4, 17, 50)
    lines = us.lines()
    assert lines[0].startswith("built 50 pages from : 4 categories, 17 products (")
    assert lines[1] == "2 editions, each with the 4 categories: us 10 products, de 7 products"
    assert "warning: products have no image: de/123" in lines
    # A site without editions reads as it always did: no line about editions.
    assert not BuildReport(categories=4, products=10).lines()[1:]


def built(cache: Path, output: Path, key: str, folder: str, files: list[str]) -> None:
    """As a build of edition `key` into `output/<folder>` leaves it: its files, and its state in the cache."""
    for name in files:
        (output / folder / name).parent.mkdir(parents=True, exist_ok=True)
        (output / folder / name).write_text(name)
    records = {name: FileRecord("", 1, 1) for name in files}
    save_state(cache / "editions" / key, BuildState(state_key(output / folder), records))


def test_a_removed_editions_folder_taken_by_another_edition_keeps_what_that_one_wrote(tmp_path: Path) -> None:
    cache, output = tmp_path / ".cache", tmp_path / "output"
    built(cache, output, "de", "de", ["index.html", "p/x-1/index.html"])
    (output / "de/pagefind").mkdir()  # its search index (Pagefind's files are in no state), now germany's
    (output / "de/pagefind/pagefind.js").write_text("")
    for made in ("de/.pagefind.new-2/x.js", "de/.pagefind.new-1/x.js", "de/p/.index.html.affsite-new"):
        (output / made).parent.mkdir(parents=True, exist_ok=True)
        (output / made).write_text("")  # the index germany's build is making, and what a killed build left
    built(cache, output, "at", "at", ["index.html"])  # still an edition, at the same path
    germany = Edition("germany", MARKETPLACES["EBAY_DE"], "de-DE", "/de/")  # the new edition at /de/
    (retired,) = find_retired(cache, output, [US, germany, AT])
    assert (retired.key, retired.folder, retired.moved_to) == ("de", "de/", None)
    report = BuildReport()
    remove_retired([retired], output, {"de/index.html"}, {"de/pagefind", "de/.pagefind.new-2"}, report)
    assert (output / "de/index.html").is_file() and (output / "de/pagefind/pagefind.js").is_file()  # germany's
    assert (output / "de/.pagefind.new-2/x.js").is_file() and not (output / "de/.pagefind.new-1").exists()
    assert not (output / "de/p").exists() and not (cache / "editions/de").exists()
    assert (output / "at/index.html").is_file() and (cache / "editions/at").is_dir()
    assert report.notes == [
        "edition de is no longer in site.yaml: 1 file(s) deleted from /de/ (its pages and search index) and its "
        "folder in the cache"
    ]
    assert not report.warnings


def test_a_removed_edition_without_a_state_or_built_elsewhere_loses_its_cache_and_says_what_stays(
    tmp_path: Path,
) -> None:
    cache, output = tmp_path / ".cache", tmp_path / "output"
    (cache / "editions/fr").mkdir(parents=True)  # no state: which files it wrote is not known
    (cache / "editions/fr/listings.json").write_text("{}")
    built(cache, tmp_path / "elsewhere", "it", "it", ["index.html"])  # built into another output folder
    built(cache, tmp_path / "elsewhere", "de", "de", ["index.html"])  # a current edition's build elsewhere
    report = BuildReport()
    retired = find_retired(cache, output, [US, DE])
    assert [r.key for r in retired] == ["fr", "it"]
    remove_retired(retired, output, set(), set(), report)
    assert sorted(p.name for p in (cache / "editions").iterdir()) == ["de"]
    assert (tmp_path / "elsewhere/it/index.html").is_file()  # never outside this build's output folder
    said = list(report.warnings)
    assert said[0].startswith("edition fr is no longer in site.yaml: no build state says which files it wrote")
    assert said[1].startswith(f"edition it is no longer in site.yaml: it was last built into {tmp_path}/elsewhere/it")
    assert all(message.endswith("; its folder in the cache was deleted") for message in said)
    assert find_retired(cache, tmp_path / "elsewhere", [US, DE]) == []  # nothing left to do there


def test_an_edition_moved_to_the_root_leaves_its_old_folder_and_its_old_cache(tmp_path: Path) -> None:
    """`de` served at / now (and `us` at /us/): its old /de/ pages go, and so does `editions/de/`, since the
    edition at / keeps its state and ledger in the cache folder itself. It is said as a move, not a removal."""
    cache, output = tmp_path / ".cache", tmp_path / "output"
    built(cache, output, "de", "de", ["index.html", "p/x-1/index.html"])
    de_at_root = Edition("de", MARKETPLACES["EBAY_DE"], "de-DE", "/")
    us_moved = Edition("us", MARKETPLACES["EBAY_US"], "en-US", "/us/")
    (retired,) = find_retired(cache, output, [de_at_root, us_moved])
    assert (retired.key, retired.folder, retired.moved_to) == ("de", "de/", "/")
    report = BuildReport()
    remove_retired([retired], output, {"index.html"}, set(), report)
    assert not (output / "de").exists() and not (cache / "editions/de").exists()
    assert report.notes == [
        "edition de moved from /de/ to /: 2 file(s) deleted from /de/; its old folder in the cache too"
    ]


def test_a_state_naming_a_folder_outside_the_output_deletes_nothing_there(tmp_path: Path) -> None:
    """A tampered or hand-edited state whose output folder is the output's parent: nothing outside the output goes."""
    cache, output = tmp_path / ".cache", tmp_path / "output"
    output.mkdir()
    (tmp_path / "precious.txt").write_text("keep")
    records = {"precious.txt": FileRecord("", 1, 1)}
    tampered = state_key(output) + "/.."  # as a hand-edited file may say it: not resolved
    save_state(cache / "editions" / "fr", BuildState(tampered, records))
    (retired,) = find_retired(cache, output, [US])
    assert retired.folder is None
    remove_retired([retired], output, set(), set(), BuildReport())
    assert (tmp_path / "precious.txt").read_text() == "keep"
