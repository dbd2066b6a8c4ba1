"""The theme search path: a site's own templates/ over the theme in the package, file by file, and its assets."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SiteDir
from test_incremental import assert_same_as_clean

from builder.errors import BuildError
from builder.themes import THEME_DIR, Theme


def test_a_site_without_templates_builds_with_the_theme(site_dir: SiteDir, build_site_fn: Any) -> None:
    assert not (site_dir.root / "templates").exists()
    build_site_fn(site_dir)
    home = (site_dir.output / "index.html").read_text()
    assert "Skip to content" in home  # the theme's base.html
    css = re.search(r'href="(/assets/site\.[0-9a-f]{10}\.css)"', home)
    assert css is not None
    assert (site_dir.output / css.group(1).lstrip("/")).read_bytes() == (THEME_DIR / "assets/site.css").read_bytes()


def test_one_overridden_template_replaces_only_that_template(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.override("category.html", "</h1>", "</h1>\n<p class=own>our own category page</p>")
    build_site_fn(site_dir)
    assert "our own category page" in (site_dir.output / "cameras/index.html").read_text()
    # Every other page still comes from the theme (and gets its fixes): product pages, the home page.
    product = next((site_dir.output / "p").iterdir()) / "index.html"
    assert "our own category page" not in product.read_text()
    assert "Skip to content" in (site_dir.output / "index.html").read_text()


def test_an_override_may_extend_the_theme_base(site_dir: SiteDir, build_site_fn: Any) -> None:
    """A site's base.html is used by the theme's other templates too: the search path applies to every lookup."""
    site_dir.override("base.html", "<main", '<div class="site-banner">Summer sale</div>\n<main')
    build_site_fn(site_dir)
    for page in ("index.html", "cameras/index.html", "about/index.html"):
        assert "Summer sale" in (site_dir.output / page).read_text(), page


def test_adding_and_removing_an_override_equals_a_clean_build(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path
) -> None:
    """A page's digest follows the file actually used: adding templates/product.html re-renders the product pages,
    deleting it brings back the theme's, each time the same as a clean build."""
    first = build_site_fn(site_dir)
    override = site_dir.override("product.html", "{% block main %}", "{% block main %}<p>own product page</p>")
    report = build_site_fn(site_dir)
    products = len(list((site_dir.output / "p").iterdir()))
    assert report.rendered == products
    assert "own product page" in next((site_dir.output / "p").iterdir()).joinpath("index.html").read_text()
    assert_same_as_clean(site_dir, build_site_fn, tmp_path / "a")

    override.unlink()
    report = build_site_fn(site_dir)
    assert report.rendered == products
    assert "own product page" not in next((site_dir.output / "p").iterdir()).joinpath("index.html").read_text()
    assert_same_as_clean(site_dir, build_site_fn, tmp_path / "b")
    assert first.pages == report.pages


def test_a_theme_change_under_a_template_the_site_does_not_override_re_renders(
    site_dir: SiteDir, build_site_fn: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new affsite release with a fixed theme template reaches a site that overrides other templates."""
    theme = tmp_path / "theme"
    shutil.copytree(THEME_DIR, theme)
    monkeypatch.setattr(Theme, "of_site", classmethod(lambda cls, root: cls(root, _dirs(root, theme))))
    site_dir.override("category.html", "</h1>", "</h1><p>own</p>")
    first = build_site_fn(site_dir)
    page = theme / "page.html"
    page.write_text(page.read_text().replace("{% block main %}", "{% block main %}<p>fixed in the theme</p>", 1))
    report = build_site_fn(site_dir)
    assert report.rendered == len(list((site_dir.root / "content/pages").iterdir()))
    assert 0 < report.rendered < first.rendered
    assert "fixed in the theme" in (site_dir.output / "about/index.html").read_text()


def _dirs(root: Path, theme: Path) -> tuple[Path, ...]:
    site = root / "templates"
    return (site, theme) if site.is_dir() else (theme,)


def test_a_mistake_in_an_override_names_the_sites_file(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.override("page.html", "{% block main %}", "{% block main %}\n{{ page.nope.deeper }}")
    with pytest.raises(BuildError, match=r"^templates/page\.html:\d+: .*'nope'"):
        build_site_fn(site_dir)


def test_every_file_under_assets_is_published_fingerprinted(site_dir: SiteDir, build_site_fn: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))  # not UTF-8: assets are never read as templates
    (site_dir.root / "templates/assets/img").mkdir(parents=True)
    (site_dir.root / "templates/assets/img/logo.png").write_bytes(png)
    (site_dir.root / "templates/assets/fonts").mkdir()
    (site_dir.root / "templates/assets/fonts/body.woff2").write_bytes(b"wOF2 font bytes")
    site_dir.write("templates/assets/extra.css", "@font-face { src: url('fonts/body.woff2?v=1') }\n.x { color: red }\n")
    site_dir.override(
        "base.html",
        '<a class="brand" href="/">',
        '<link rel="stylesheet" href="{{ assets[\'extra.css\'] }}"><a class="brand" href="/">'
        "<img src=\"{{ assets['img/logo.png'] }}\" alt=\"\">",
    )
    build_site_fn(site_dir)
    home = (site_dir.output / "index.html").read_text()
    logo = re.search(r'src="/(assets/img/logo\.([0-9a-f]{10})\.png)"', home)
    assert logo is not None
    assert (site_dir.output / logo.group(1)).read_bytes() == png
    extra = re.search(r'href="/(assets/extra\.[0-9a-f]{10}\.css)"', home)
    assert extra is not None
    # The stylesheet points at the font's fingerprinted name, query string kept.
    css = (site_dir.output / extra.group(1)).read_text()
    font = re.search(r'url\("/(assets/fonts/body\.[0-9a-f]{10}\.woff2)\?v=1"\)', css)
    assert font is not None, css
    assert (site_dir.output / font.group(1)).read_bytes() == b"wOF2 font bytes"
    # The theme's own assets are published next to the site's.
    assert re.search(r'href="/assets/site\.[0-9a-f]{10}\.css"', home)
    assert re.search(r'src="/assets/site\.[0-9a-f]{10}\.js"', home)


def test_a_changed_font_changes_the_stylesheet_url(site_dir: SiteDir, build_site_fn: Any) -> None:
    (site_dir.root / "templates/assets").mkdir(parents=True)
    font = site_dir.root / "templates/assets/body.woff2"
    font.write_bytes(b"one")
    site_dir.write("templates/assets/site.css", "@font-face { src: url(body.woff2) }\n")
    build_site_fn(site_dir)
    before = re.findall(r"/assets/site\.[0-9a-f]{10}\.css", (site_dir.output / "index.html").read_text())
    font.write_bytes(b"two")
    build_site_fn(site_dir)
    after = re.findall(r"/assets/site\.[0-9a-f]{10}\.css", (site_dir.output / "index.html").read_text())
    assert before and after and before != after
    assert not (site_dir.output / before[0].lstrip("/")).exists()  # the old name is gone from the new site


def test_a_site_asset_overrides_the_themes_and_editor_leftovers_are_not_published(
    site_dir: SiteDir, build_site_fn: Any
) -> None:
    site_dir.write("templates/assets/site.css", "body { color: #123456 }\n")
    site_dir.write("templates/assets/.site.css.swp", "half-saved")
    build_site_fn(site_dir)
    published = [p for p in (site_dir.output / "assets").rglob("*") if p.is_file()]
    css = [p for p in published if p.name.startswith("site.") and p.suffix == ".css"]
    assert len(css) == 1 and css[0].read_text() == "body { color: #123456 }\n"
    assert not [p for p in published if "swp" in p.name]


def test_the_search_path_lists_the_site_first(tmp_path: Path) -> None:
    assert Theme.of_site(tmp_path).dirs == (THEME_DIR,)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/home.html").write_text("own")
    theme = Theme.of_site(tmp_path)
    assert theme.dirs == (tmp_path / "templates", THEME_DIR)
    files = theme.files()
    assert files["home.html"] == tmp_path / "templates/home.html"
    assert files["product.html"] == THEME_DIR / "product.html"
    assert theme.label("home.html") == "templates/home.html"
    assert theme.label("product.html") == str(THEME_DIR / "product.html")
    assert set(theme.assets()) >= {"site.css", "site.js"}


def test_a_mistake_that_shows_in_a_theme_file_names_that_file_without_a_traceback(
    site_dir: SiteDir, build_site_fn: Any
) -> None:
    """An override of _macros.html without the `card` macro breaks the theme's category.html: the error names the
    theme's file (where the editor can read what it expects), as a template mistake, not as a bug in affsite."""
    site_dir.write("templates/_macros.html", "{% macro outbound(c, label, cls) %}{% endmacro %}\n")
    with pytest.raises(BuildError) as raised:
        build_site_fn(site_dir)
    message = str(raised.value)
    assert message.startswith(str(THEME_DIR) + "/"), message
    assert re.match(r"^\S+\.(html|xml):\d+: ", message), message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
