"""Legal pages: `legal:` in front matter puts a page in the footer (not the menu), and `affsite check` warns about
fields left to fill and a German-speaking site without an Impressum (builder/legal.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conftest import SITE_YAML, SiteDir
from htmlquery import parse, select
from test_newsite import affsite, footer_links

from builder.legal import placeholders


def test_check_warns_about_the_impressum_until_it_is_filled_in(tmp_path: Path) -> None:
    assert affsite("new", "site", "--lang", "de-DE", cwd=tmp_path).returncode == 0
    site = tmp_path / "site"
    impressum = site / "content/pages/impressum.md"
    lines = impressum.read_text(encoding="utf-8").splitlines()
    first = next(n for n, line in enumerate(lines, 1) if "[[" in line and not line.startswith("#"))

    checked = affsite("check", cwd=site)
    assert checked.returncode == 0, checked.stderr  # a warning, not a mistake
    warning = next(line for line in checked.stdout.splitlines() if line.startswith("content/pages/impressum.md"))
    assert warning.startswith(f"content/pages/impressum.md:{first}: warning: fill in before you publish")
    assert "[[E-Mail-Adresse]]" in warning and "[[Vor- und Nachname, Anschrift]]" in warning
    assert "content/pages/privacy.md:" in checked.stdout  # the controller's name and address

    for page in ("impressum", "privacy"):
        path = site / f"content/pages/{page}.md"
        path.write_text(re.sub(r"\[\[[^\]]+\]\]", "Erika Mustermann", path.read_text(encoding="utf-8")), "utf-8")
    filled = affsite("check", cwd=site)
    assert filled.returncode == 0, filled.stderr
    assert "warning" not in filled.stdout and filled.stdout.startswith("ok: site.yaml, 2 categories and 4 pages")


def test_check_warns_when_a_german_speaking_site_has_no_impressum(site_dir: SiteDir) -> None:
    site_dir.write("site.yaml", SITE_YAML.replace("marketplace: EBAY_US", "marketplace: EBAY_US\nlanguage: de-DE"))
    done = affsite("check", "--root", str(site_dir.root), cwd=site_dir.root)
    assert done.returncode == 0, done.stderr
    line = next(n for n, text in enumerate(SITE_YAML.splitlines(), 1) if text.startswith("marketplace:")) + 1
    assert f"site.yaml:{line}: warning: a German-speaking site needs an Impressum (§ 5 DDG" in done.stdout

    # A marketplace whose language is German is a German-speaking site too; its country names the law.
    site_dir.write("site.yaml", SITE_YAML.replace("marketplace: EBAY_US", "marketplace: EBAY_AT"))
    done = affsite("check", cwd=site_dir.root)
    assert "site.yaml:" in done.stdout and "needs an Impressum (§ 5 ECG and § 25 MedienG in Austria)" in done.stdout

    site_dir.write("content/pages/impressum.md", "---\ntitle: Impressum\n---\nErika Mustermann, Berlin\n")
    assert "warning" not in affsite("check", cwd=site_dir.root).stdout


def test_an_english_site_gets_no_legal_warning(site_dir: SiteDir) -> None:
    done = affsite("check", cwd=site_dir.root)
    assert done.returncode == 0 and "warning" not in done.stdout, done.stdout


def test_placeholders_count_lines_from_the_file_start_and_skip_the_front_matter() -> None:
    text = "---\n# fill in every [[...]]\ntitle: x\n---\nName: [[Name]]\n\nMail: [[E-Mail]], [[Name]]\n"
    assert placeholders(text) == [(5, "[[Name]]"), (7, "[[E-Mail]]"), (7, "[[Name]]")]
    assert placeholders("---\ntitle: x\n---\n[[ a link ]](x) is not one [x] [[\n]]\n") == [(4, "[[ a link ]]")]


def menu_links(page: Path) -> list[str]:
    menu = select(parse(page.read_text(encoding="utf-8")), "nav", class_="menu-panel")[0]
    found: list[str] = []
    stack = list(menu.children)
    while stack:
        element = stack.pop(0)
        found += [element.attrs["href"]] if element.tag == "a" else []
        stack = element.children + stack
    return found


def test_legal_pages_come_first_in_the_footer_and_stay_out_of_the_menu(site_dir: SiteDir, build_site_fn: Any) -> None:
    # Pages written before `legal:` existed (the fixture's) count as legal by their names.
    site_dir.write("content/pages/terms.md", "---\ntitle: Terms of use\nnav_order: 5\nlegal: true\n---\nTerms.\n")
    site_dir.write("content/pages/help.md", "---\ntitle: Help\nnav_order: 2\n---\nHelp.\n")
    build_site_fn(site_dir)
    home = site_dir.output / "index.html"
    assert footer_links(home)[:5] == [
        ("/terms/", "Terms of use"),
        ("/disclosure/", "Affiliate disclosure"),
        ("/privacy/", "Privacy policy"),
        ("/about/", "About"),
        ("/help/", "Help"),
    ]
    menu = menu_links(home)
    assert "/help/" in menu and "/about/" in menu
    assert not {"/terms/", "/disclosure/", "/privacy/"} & set(menu)


def test_legal_false_makes_a_page_named_privacy_an_ordinary_page(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.write("content/pages/privacy.md", "---\ntitle: Privacy policy\nnav_order: 3\nlegal: false\n---\nLittle.\n")
    build_site_fn(site_dir)
    home = site_dir.output / "index.html"
    assert "/privacy/" in menu_links(home)
    assert [href for href, _ in footer_links(home)][:3] == ["/disclosure/", "/about/", "/privacy/"]
