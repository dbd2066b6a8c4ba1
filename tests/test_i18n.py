"""The site's words in its language: catalogs per theme folder, German and French end to end, one grouped warning."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, REPO, SITE_YAML, SiteDir, item
from htmlquery import parse, select
from test_i18n_marking import extract_template, pseudo_catalog

from builder import i18n
from builder.themes import THEME_DIR, Theme


def local_item(n: int, domain: str, currency: str, **overrides: Any) -> dict[str, Any]:
    legacy = 100000000000 + n
    return item(
        n,
        price={"value": f"{1000 + n}.50", "currency": currency},
        itemWebUrl=f"https://{domain}/itm/{legacy}",
        shippingOptions=[{"shippingCostType": "FIXED", "shippingCost": {"value": "4.99", "currency": currency}}],
        **overrides,
    )


def make_site(site: SiteDir, marketplace: str, language: str, domain: str, currency: str) -> None:
    site.write(
        "site.yaml", SITE_YAML.replace("marketplace: EBAY_US", f"marketplace: {marketplace}\nlanguage: {language}")
    )
    ends = (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    auction = local_item(30, domain, currency, buyingOptions=["AUCTION"], bidCount=3, itemEndDate=ends)
    one_bid = local_item(31, domain, currency, buyingOptions=["AUCTION"], bidCount=1, itemEndDate=ends)
    site.set_items("cameras", [local_item(i, domain, currency) for i in range(1, 26)] + [auction, one_bid])
    site.set_items("lenses", [local_item(i, domain, currency) for i in range(100, 112)])


def text_of(path: Path, tag: str, **attrs: str) -> list[str]:
    return [" ".join(e.text.split()) for e in select(parse(path.read_text(encoding="utf-8")), tag, **attrs)]


def test_a_german_site_shows_the_marked_texts_prices_and_dates_in_german(site_dir: SiteDir, build_site_fn: Any) -> None:
    make_site(site_dir, "EBAY_DE", "de-DE", "www.ebay.de", "EUR")
    report = build_site_fn(site_dir)
    out = site_dir.output
    # Whether the German catalog has every text is test_every_shipped_catalog_translates_every_text_of_the_template's.
    assert not [w for w in report.warnings if "catalog" in w]
    assert text_of(out / "404.html", "h1") == ["Seite nicht gefunden"]
    assert "Zur Startseite" in (out / "404.html").read_text(encoding="utf-8")
    assert "<title>Seite nicht gefunden · Test Shop</title>" in (out / "404.html").read_text(encoding="utf-8")
    first = (out / "cameras/index.html").read_text(encoding="utf-8")
    assert "Seite 1 von 3" in " ".join(text_of(out / "cameras/index.html", "nav", class_="pagination"))
    assert ">Weiter →</a>" in first and "Next" not in first
    second = (out / "cameras/page/2/index.html").read_text(encoding="utf-8")
    assert "← Zurück" in second
    # The meta description of page 2 is made in Python, from the same catalog.
    assert 'content="Aktuelle Angebote in Cameras auf eBay. Seite 2 von 3."' in second
    assert 'data-msg-ok="Danke! Bitte bestätigen Sie' in first
    assert "1.001,50\xa0€" in first  # CLDR's German price
    assert "22.11.2026, 10:00 MEZ" in first  # NOW (09:00 UTC) in Berlin, the zone named
    cards = " ".join(text_of(out / "cameras/page/3/index.html", "p", class_="card-meta"))
    assert "3 Gebote" in cards and "1 Gebot," not in cards and "1 Gebot" in cards and "bids" not in cards  # ngettext


def test_a_french_site_and_its_plural(site_dir: SiteDir, build_site_fn: Any) -> None:
    make_site(site_dir, "EBAY_FR", "fr-FR", "www.ebay.fr", "EUR")
    build_site_fn(site_dir)
    out = site_dir.output
    assert text_of(out / "404.html", "h1") == ["Page introuvable"]
    page = (out / "cameras/index.html").read_text(encoding="utf-8")
    assert "Page 1 sur 3" in page and "Suivant" in page
    assert "1\u202f001,50\xa0€" in page
    cards = " ".join(text_of(out / "cameras/page/3/index.html", "p", class_="card-meta"))
    assert "3 enchères" in cards and "1 enchère" in cards and "bids" not in cards


def test_an_english_site_is_unchanged_and_gets_no_warning(site_dir: SiteDir, build_site_fn: Any) -> None:
    report = build_site_fn(site_dir)
    assert not [w for w in report.warnings if "translation" in w or "catalog" in w]
    assert text_of(site_dir.output / "404.html", "h1") == ["Page not found"]
    page = (site_dir.output / "cameras/index.html").read_text(encoding="utf-8")
    assert "Page 1 of 3" in page and ">Next →</a>" in page
    assert 'data-msg-ok="Thanks! Check your inbox to confirm your subscription."' in page


def test_missing_translations_fall_back_to_english_with_one_grouped_warning(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path
) -> None:
    make_site(site_dir, "EBAY_DE", "de-DE", "www.ebay.de", "EUR")
    # A site catalog with every text the theme marks ("⟦Page not found⟧"): only the two below are missing.
    site_dir.write("templates/locales/de/LC_MESSAGES/messages.po", pseudo_catalog(tmp_path))
    site_dir.override(
        "404.html",
        "{% block main %}",
        '{% block main %}<p class="x">{{ _("Nothing here") }} {{ _("Try the search") }}</p>',
    )
    report = build_site_fn(site_dir)
    lines = [line for line in report.lines() if line.startswith("warning:") and "translation" in line]
    assert lines == [
        "warning: 2 × texts have no de-DE translation and are shown in English: 'Nothing here', 'Try the search'"
    ]
    assert text_of(site_dir.output / "404.html", "p", class_="x") == ["Nothing here Try the search"]
    assert text_of(site_dir.output / "404.html", "h1") == ["⟦Page not found⟧"]  # the rest is still translated


def test_a_language_without_a_catalog_is_english_with_one_warning(site_dir: SiteDir, build_site_fn: Any) -> None:
    make_site(site_dir, "EBAY_ES", "ca-ES", "www.ebay.es", "EUR")  # Catalan: no catalog ships for it
    report = build_site_fn(site_dir)
    assert [w for w in report.warnings if "catalog" in w] == [
        "no message catalog for ca-ES: the pages' texts are in English (catalogs exist for de, en, es, fr, it, nl, pl)"
    ]
    assert text_of(site_dir.output / "404.html", "h1") == ["Page not found"]
    assert "1.001,50\xa0€" in (site_dir.output / "cameras/index.html").read_text(encoding="utf-8")  # CLDR still


SITE_PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Language: de\\n"

msgid "Page not found"
msgstr "{text}"
"""


def test_the_sites_catalog_overrides_the_themes(site_dir: SiteDir, build_site_fn: Any) -> None:
    make_site(site_dir, "EBAY_DE", "de-DE", "www.ebay.de", "EUR")
    site_dir.write("templates/locales/de/LC_MESSAGES/messages.po", SITE_PO.format(text="Hier ist nichts"))
    build_site_fn(site_dir)
    assert text_of(site_dir.output / "404.html", "h1") == ["Hier ist nichts"]
    assert "Seite 1 von 3" in (site_dir.output / "cameras/index.html").read_text(encoding="utf-8")  # theme's


def test_a_region_catalog_is_preferred_to_the_language(site_dir: SiteDir, build_site_fn: Any) -> None:
    make_site(site_dir, "EBAY_CH", "de-CH", "www.ebay.ch", "CHF")
    site_dir.write("templates/locales/de_CH/LC_MESSAGES/messages.po", SITE_PO.format(text="Seite nicht vorhanden"))
    build_site_fn(site_dir)
    assert text_of(site_dir.output / "404.html", "h1") == ["Seite nicht vorhanden"]
    assert "CHF\xa01&#39;001.50" in (site_dir.output / "cameras/index.html").read_text(encoding="utf-8")


def test_a_broken_catalog_is_named(site_dir: SiteDir, build_site_fn: Any) -> None:
    from builder.errors import ConfigError

    make_site(site_dir, "EBAY_DE", "de-DE", "www.ebay.de", "EUR")
    site_dir.write("templates/locales/de/LC_MESSAGES/messages.po", "Page not found = Seite nicht gefunden\n")
    with pytest.raises(ConfigError) as caught:
        build_site_fn(site_dir)
    [line] = caught.value.lines()
    assert line.startswith("templates/locales/de/LC_MESSAGES/messages.po: is not a valid gettext catalog")


def test_candidates_and_languages() -> None:
    assert i18n.candidates("de-CH") == ["de_CH", "de"]
    assert i18n.candidates("fr") == ["fr"]
    assert i18n.languages(Theme(REPO, (THEME_DIR,))) == ["de", "en", "es", "fr", "it", "nl", "pl"]


def test_every_shipped_catalog_translates_every_text_of_the_template(tmp_path: Path) -> None:
    """messages.pot is what `pybabel extract` finds today; every shipped catalog translates all of it (no fuzzy)."""
    from babel.messages.pofile import read_po

    wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in extract_template(tmp_path) if m.id}
    assert "Page not found" in wanted
    for po in sorted((THEME_DIR / "locales").glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            catalog = read_po(f)
        done = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string and not m.fuzzy}
        assert wanted - done == set(), po


def test_an_english_site_may_reword_the_themes_texts(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.write("templates/locales/en/LC_MESSAGES/messages.po", SITE_PO.format(text="Nothing to see here"))
    report = build_site_fn(site_dir)
    assert text_of(site_dir.output / "404.html", "h1") == ["Nothing to see here"]
    assert "Page 1 of 3" in (site_dir.output / "cameras/index.html").read_text(encoding="utf-8")
    assert not [w for w in report.warnings if "translation" in w or "catalog" in w]  # English: no warnings


# --- a text in another language than the build's (the offer of another edition) -------------------------------------

THEME = Theme(REPO, (THEME_DIR,))


def test_a_text_in_another_language_comes_from_that_languages_catalog() -> None:
    i18n.activate(i18n.load_catalogs(THEME, "en-US"))  # an English build, asking for the German edition's words
    assert i18n.gettext_in(THEME, "de-DE", "No thanks") == "Nein, danke"
    assert i18n.gettext_in(THEME, "de-CH", "No thanks") == "Nein, danke"  # the language's catalog for its regions
    assert i18n.gettext_in(THEME, "pl-PL", "No thanks") == "Nie, dziękuję"
    assert i18n.gettext("No thanks") == "No thanks"  # the build's own language is unchanged
    i18n.deactivate()
    assert i18n.gettext_in(THEME, "fr-FR", "No thanks") == "Non merci"  # with no build active too


def test_a_missing_language_or_text_in_another_language_is_english() -> None:
    i18n.activate(i18n.load_catalogs(THEME, "de-DE"))
    assert i18n.gettext_in(THEME, "sv-SE", "No thanks") == "No thanks"  # no catalog for Swedish
    assert i18n.gettext_in(THEME, "en-GB", "No thanks") == "No thanks"  # English needs none
    assert i18n.gettext_in(THEME, "fr-FR", "Not a text of the theme") == "Not a text of the theme"


def test_a_text_in_the_builds_own_language_is_looked_up_and_reported_as_any_other() -> None:
    from builder.render import make_environment

    catalogs = i18n.load_catalogs(THEME, "de-DE")
    env = make_environment(THEME)
    i18n.install(env, catalogs)
    assert i18n.gettext_in(THEME, "de-DE", "No thanks") == "Nein, danke"
    assert i18n.gettext_in(THEME, "de-DE", "Not a text of the theme") == "Not a text of the theme"
    assert i18n.missing_messages(env, catalogs, []) == ["Not a text of the theme"]  # in the build's one warning


def test_another_languages_catalog_is_the_sites_over_the_themes_and_read_again_by_the_next_build(
    tmp_path: Path,
) -> None:
    po = tmp_path / "templates/locales/de/LC_MESSAGES/messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(SITE_PO.replace("Page not found", "No thanks").format(text="Lieber nicht"), encoding="utf-8")
    theme = Theme.of_site(tmp_path)
    i18n.activate(i18n.load_catalogs(theme, "en-US"))
    assert i18n.gettext_in(theme, "de-DE", "No thanks") == "Lieber nicht"
    assert i18n.gettext_in(theme, "de-DE", "Page not found") == "Seite nicht gefunden"  # the theme's under it
    po.write_text(SITE_PO.replace("Page not found", "No thanks").format(text="Nein"), encoding="utf-8")
    assert i18n.gettext_in(theme, "de-DE", "No thanks") == "Lieber nicht"  # read once per build
    i18n.activate(i18n.load_catalogs(theme, "en-US"))  # the next build (`affsite serve` after an edit)
    assert i18n.gettext_in(theme, "de-DE", "No thanks") == "Nein"
