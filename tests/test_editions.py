"""editions.py: the budget split between editions, the links an edition's pages get, which pages an edition has."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import i18n
from builder.editions import Edition, EditionWriter, fair_shares, lang_matches
from builder.marketplaces import MARKETPLACES
from builder.output import SiteWriter
from builder.script_texts import edition_hint
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
