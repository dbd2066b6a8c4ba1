"""`affsite new`: a site folder that builds at once, its refusals, `--theme-copy`, and a scaffold that cannot drift
from the repository's own demo site."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from htmlquery import Element, parse, select

from builder.catalog.files import DEMO_CATALOG_DIR
from builder.content import FRONT_MATTER
from builder.newsite import SCAFFOLD_DIR, SCAFFOLD_LOCALES, choose_language, scaffold_files
from builder.themes import THEME_DIR

REPO = Path(__file__).resolve().parents[1]


# The languages `affsite new --lang` writes pages in besides English (issue 14); each has every English page.
SHIPPED_LANGUAGES = ("de", "fr", "it", "es", "nl", "pl")
NOW = "2026-12-02T06:00:00+00:00"


def affsite(*args: str, cwd: Path, now: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBAY_")}
    if now is not None:
        env["AFFSITE_TEST_NOW"] = now  # builder/clock.py's test hook: both builds at one time
    return subprocess.run(
        [sys.executable, "-m", "builder", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_new_then_build_in_the_new_folder(tmp_path: Path) -> None:
    created = affsite("new", "mysite", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "cd mysite" in created.stdout
    site = tmp_path / "mysite"
    files = set(tree(site))
    assert {
        "site.yaml",
        "content/categories/headphones.yaml",
        "content/categories/mirrorless-cameras.yaml",
        "content/pages/about.md",
        "content/pages/disclosure.md",
        "content/pages/privacy.md",
        # the German edition's pages (site.yaml's `de` edition), the Impressum among them
        "content/pages/about.de.md",
        "content/pages/disclosure.de.md",
        "content/pages/impressum.de.md",
        "content/pages/privacy.de.md",
        "netlify.toml",
        ".github/workflows/check.yml",
        ".github/workflows/rebuild.yml",
        ".gitignore",
        "requirements.txt",
        "README.md",
    } == files
    assert not (site / "templates").exists()  # the theme in the package, until the owner overrides a file

    checked = affsite("check", cwd=site)
    assert checked.returncode == 0, checked.stderr
    built = affsite("build", cwd=site)
    assert built.returncode == 0, built.stderr
    assert "2 categories" in built.stdout  # the site's two categories, counted once ...
    assert "2 editions, each with the 2 categories" in built.stdout  # ... and published by each of its editions
    assert (site / "output/de/headphones/index.html").is_file()
    for page in ("index.html", "headphones/index.html", "mirrorless-cameras/index.html", "about/index.html"):
        assert (site / "output" / page).is_file(), page
    assert len(list((site / "output/p").iterdir())) > 40


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite/notes.txt").write_text("mine")
    done = affsite("new", "mysite", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("mysite: the folder is not empty")
    assert "--force" in done.stderr and "Traceback" not in done.stderr
    assert tree(tmp_path / "mysite") == {"notes.txt": b"mine"}


def test_new_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "mysite").write_text("a file")
    done = affsite("new", "mysite", cwd=tmp_path)
    assert done.returncode == 2
    assert "mysite: is a file" in done.stderr


def test_new_with_force_writes_into_a_folder_and_keeps_other_files(tmp_path: Path) -> None:
    site = tmp_path / "mysite"
    site.mkdir()
    (site / "notes.txt").write_text("mine")
    (site / "site.yaml").write_text("title: old\n")
    done = affsite("new", "mysite", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (site / "notes.txt").read_text() == "mine"
    assert (site / "site.yaml").read_bytes() == (SCAFFOLD_DIR / "site.yaml").read_bytes()


def test_new_into_an_empty_existing_folder(tmp_path: Path) -> None:
    (tmp_path / "mysite").mkdir()
    done = affsite("new", "mysite", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mysite/site.yaml").is_file()


def test_theme_copy_copies_the_theme_and_builds_the_same_site(tmp_path: Path) -> None:
    assert affsite("new", "plain", cwd=tmp_path).returncode == 0
    done = affsite("new", "copied", "--theme-copy", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    theme = {k: v for k, v in tree(THEME_DIR).items() if "__pycache__" not in k}
    assert tree(tmp_path / "copied/templates") == theme
    for name in ("plain", "copied"):
        assert affsite("build", cwd=tmp_path / name, now="2026-12-02T06:00:00+00:00").returncode == 0
    # Same templates, same site, byte for byte: the copy is a starting point, not a fork with other output. (The
    # search indexes, one per edition, are left out: Pagefind numbers pages in the order it reads them;
    # tests/test_search_index.py.)
    plain = {name: data for name, data in tree(tmp_path / "plain/output").items() if not _in_search_index(name)}
    assert len(plain) > 50
    copied = {name: data for name, data in tree(tmp_path / "copied/output").items() if not _in_search_index(name)}
    assert copied == plain


def _in_search_index(name: str) -> bool:
    return name.startswith("pagefind/") or "/pagefind/" in name


def test_an_edited_copy_of_one_template_overrides_only_that_template(tmp_path: Path) -> None:
    assert affsite("new", "mysite", "--theme-copy", cwd=tmp_path).returncode == 0
    site = tmp_path / "mysite"
    for name in list((site / "templates").iterdir()):
        if name.name != "page.html" and name.is_file():
            name.unlink()
    page = site / "templates/page.html"
    page.write_text(page.read_text().replace("{% block main %}", "{% block main %}<p>our page</p>", 1))
    assert affsite("build", cwd=site).returncode == 0
    assert "our page" in (site / "output/about/index.html").read_text()
    assert "our page" not in (site / "output/index.html").read_text()


# --- one source of truth: the scaffold and the repository's own demo site ----------------------------------------


def test_the_scaffolds_pages_settings_and_categories_are_the_repositorys() -> None:
    files = scaffold_files()
    shared = [n for n in files if n.startswith("content/") or n == "site.yaml"]
    assert len(shared) == 10  # site.yaml, 2 categories, 3 English pages and their 4 German ones (the de edition)
    for name in shared:
        assert files[name].read_bytes() == (REPO / name).read_bytes(), f"builder/scaffold/{name} differs from {name}"
    pages = {p.name for p in (REPO / "content/pages").iterdir()}
    assert {n.rsplit("/", 1)[1] for n in shared if n.startswith("content/pages/")} == pages


def test_the_example_categories_have_demo_data() -> None:
    for name in scaffold_files():
        if name.startswith("content/categories/"):
            slug = name.rsplit("/", 1)[1].removesuffix(".yaml")
            assert (DEMO_CATALOG_DIR / f"{slug}.json").is_file(), slug


def test_the_scaffolds_netlify_toml_serves_like_the_repositorys() -> None:
    """Headers (the CSP fits the theme: tests/test_deploy.py) and redirects are the repository's; only the build
    command differs: it installs what the site's requirements.txt pins."""
    ours = tomllib.loads((SCAFFOLD_DIR / "netlify.toml").read_text())
    repo = tomllib.loads((REPO / "netlify.toml").read_text())
    assert ours["headers"] == repo["headers"]
    assert ours["redirects"] == repo["redirects"]
    assert ours["build"]["publish"] == "output"
    assert ours["build"]["command"] == "pip install -r requirements.txt && affsite build --live --strict"


def test_the_scaffolds_workflows_install_from_requirements_and_never_from_this_repository() -> None:
    requirements = (SCAFFOLD_DIR / "requirements.txt").read_text().splitlines()
    assert [line for line in requirements if line and not line.startswith("#")] == ["affsite==@AFFSITE_VERSION@"]
    for name in ("check.yml", "rebuild.yml"):
        text = (SCAFFOLD_DIR / "dot-github/workflows" / name).read_text()
        workflow = yaml.safe_load(text)
        steps = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
        assert "python -m pip install -r requirements.txt" in steps, name
        assert "affsite check" in steps, name
        assert "uv sync" not in text and "tests/" not in text, name  # nothing that only this repository has
    rebuild = yaml.safe_load((SCAFFOLD_DIR / "dot-github/workflows/rebuild.yml").read_text())
    runs = [s.get("run", "") for s in rebuild["jobs"]["rebuild"]["steps"]]
    assert any("netlify-cli" in r and "--dir output" in r for r in runs)
    # The same schedule, build and prune as this repository's own rebuild, so a new site gets the publish policy,
    # refresh ahead and the licence's deletion rule (docs/live-data.md).
    ours = yaml.safe_load((REPO / ".github/workflows/rebuild.yml").read_text())
    assert rebuild[True]["schedule"] == ours[True]["schedule"]  # YAML 1.1 reads the key `on` as True
    affsite_steps = [r for r in (s.get("run", "") for s in ours["jobs"]["rebuild"]["steps"]) if r.startswith("affsite ")]
    assert affsite_steps and all(step in runs for step in affsite_steps)


@pytest.mark.parametrize("name", sorted(scaffold_files()))
def test_every_scaffold_file_is_text_a_site_can_read(name: str) -> None:
    data = scaffold_files()[name].read_bytes()
    data.decode("utf-8")
    assert data.endswith(b"\n")


def test_create_site_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same command without a subprocess (coverage of newsite.py), and the version it pins."""
    from builder.cli import main
    from builder.newsite import affsite_version

    assert main(["new", str(tmp_path / "s"), "--theme-copy"]) == 0
    out = capsys.readouterr().out
    assert "2 example categories and 7 pages" in out  # 3 English, 4 for the German edition and "templates/: a copy of the default theme" in out
    assert (tmp_path / "s/requirements.txt").read_text().splitlines()[-1] == f"affsite=={affsite_version()}"
    assert "@AFFSITE_VERSION@" not in (tmp_path / "s/requirements.txt").read_text()
    assert main(["new", str(tmp_path / "s")]) == 2
    assert "not empty" in capsys.readouterr().err


# --- languages: --lang and --marketplace, the pages in each language, the Impressum --------------------------------


def footer_links(page: Path) -> list[tuple[str, str]]:
    nav = select(parse(page.read_text(encoding="utf-8")), "nav", class_="footer-links")[0]
    return [(a.attrs["href"], " ".join(a.text.split())) for a in _descendants(nav) if a.tag == "a"]


def _descendants(element: Element) -> list[Element]:
    return [d for child in element.children for d in (child, *_descendants(child))]


def test_a_german_site_from_new_to_build(tmp_path: Path) -> None:
    created = affsite("new", "meinshop", "--lang", "de-DE", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "content/pages/: about, disclosure, impressum, privacy in German" in created.stdout
    assert "content/pages/impressum.md" in created.stdout and "not legal advice" in created.stdout
    site = tmp_path / "meinshop"
    settings = yaml.safe_load((site / "site.yaml").read_text(encoding="utf-8"))
    assert (settings["marketplace"], settings["language"]) == ("EBAY_DE", "de-DE")
    # A German shop, not the demo's two editions: the German edition's texts and euro prices are the site's own.
    assert "editions" not in settings and settings["description"].startswith("Handverlesene Angebote")
    cameras = yaml.safe_load((site / "content/categories/mirrorless-cameras.yaml").read_text(encoding="utf-8"))
    assert "editions" not in cameras
    assert (cameras["title"], cameras["q"], cameras["min_price"]) == ("Spiegellose Systemkameras", "systemkamera", 280)
    assert {n for n in tree(site) if n.startswith("content/pages/")} == {
        f"content/pages/{n}.md" for n in ("about", "disclosure", "impressum", "privacy")
    }
    assert "§ 5 DDG" in (site / "content/pages/impressum.md").read_text(encoding="utf-8")

    built = affsite("build", cwd=site, now=NOW)
    assert built.returncode == 0, built.stderr
    out = site / "output"
    for slug, heading in (
        ("privacy", "Datenschutzerklärung"),
        ("disclosure", "Hinweis zu Affiliate-Links"),
        ("impressum", "Impressum"),
        ("about", "Über Gear Scout"),
    ):
        h1 = select(parse((out / slug / "index.html").read_text(encoding="utf-8")), "h1")
        assert [" ".join(h.text.split()) for h in h1] == [heading], slug
    home = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de-DE">' in home
    assert not (out / "de").exists(), "one edition: the German site at /"
    assert "Spiegellose Systemkameras" in (out / "mirrorless-cameras/index.html").read_text(encoding="utf-8")
    # The legal pages first, in their order (the Impressum before the others, as German sites have it), then About.
    assert footer_links(out / "index.html")[:4] == [
        ("/impressum/", "Impressum"),
        ("/disclosure/", "Hinweis zu Affiliate-Links"),
        ("/privacy/", "Datenschutzerklärung"),
        ("/about/", "Über Gear Scout"),
    ]
    menu = select(parse(home), "nav", class_="menu-panel")[0]
    in_menu = {a.attrs["href"] for a in _descendants(menu) if a.tag == "a"}
    assert "/about/" in in_menu and not {"/impressum/", "/disclosure/", "/privacy/"} & in_menu


@pytest.mark.parametrize(
    ("marketplace", "law", "currency"),
    [("EBAY_AT", "§ 25 Mediengesetz", "EUR"), ("EBAY_CH", "Art. 3 Abs. 1 lit. s UWG", "CHF")],
)
def test_a_marketplace_alone_sets_the_language_and_the_countrys_impressum(
    tmp_path: Path, marketplace: str, law: str, currency: str
) -> None:
    created = affsite("new", "site", "--marketplace", marketplace.lower(), cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert f"marketplace {marketplace} ({currency}" in created.stdout
    text = (tmp_path / "site/site.yaml").read_text(encoding="utf-8")
    assert f"\nmarketplace: {marketplace}\n" in text
    assert "\nlanguage:" not in text  # the marketplace's own language: nothing to set
    assert law in (tmp_path / "site/content/pages/impressum.md").read_text(encoding="utf-8")
    assert affsite("check", cwd=tmp_path / "site").returncode == 0


def test_a_language_without_pages_gets_the_english_ones_and_says_so(tmp_path: Path) -> None:
    created = affsite("new", "site", "--lang", "sv_se", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert created.stderr.startswith("warning: affsite has no pages in Swedish (sv-SE) yet")
    assert "content/pages/ is in English" in created.stderr
    site = tmp_path / "site"
    for name, source in scaffold_files().items():
        if name.startswith("content/pages/"):
            assert (site / name).read_bytes() == source.read_bytes(), name
    assert "\nlanguage: sv-SE\n" in (site / "site.yaml").read_text(encoding="utf-8")
    assert "marketplace: EBAY_US" in (site / "site.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lang", "deutsch"), "--lang deutsch: not a language affsite knows"),
        (("--lang", "xx-QQ"), "--lang xx-QQ: not a language affsite knows"),
        (("--marketplace", "EBAY_XX"), "--marketplace EBAY_XX: not an eBay marketplace affsite knows; one of EBAY_US"),
    ],
)
def test_new_refuses_an_unknown_language_or_marketplace(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = affsite("new", "site", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and "Traceback" not in done.stderr
    assert not (tmp_path / "site").exists()


def test_new_help_explains_the_language_options(tmp_path: Path) -> None:
    done = affsite("new", "--help", cwd=tmp_path)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--lang LANG" in text and "--marketplace ID" in text and "Impressum" in text and "de-AT: EBAY_AT" in text


@pytest.mark.parametrize(
    ("lang", "marketplace", "expected"),
    [
        (None, None, ("EBAY_US", None, "en")),
        ("de-DE", None, ("EBAY_DE", "de-DE", "de")),
        ("de-AT", None, ("EBAY_AT", "de-AT", "de_AT")),
        ("de", "EBAY_CH", ("EBAY_CH", "de", "de_CH")),
        ("de-DE", "EBAY_AT", ("EBAY_AT", "de-DE", "de")),  # a German site selling on eBay.at: Germany's Impressum
        ("fr-BE", None, ("EBAY_BE", "fr-BE", "fr")),
        ("nl-BE", None, ("EBAY_BE", "nl-BE", "nl")),
        ("pl", None, ("EBAY_PL", "pl", "pl")),
        ("en-GB", None, ("EBAY_GB", "en-GB", "en")),
        ("fr-CA", None, ("EBAY_CA", "fr-CA", "fr")),
        (None, "EBAY_IT", ("EBAY_IT", None, "it")),
        (None, "es", ("EBAY_ES", None, "es")),
        ("sv-SE", None, ("EBAY_US", "sv-SE", "en")),
    ],
)
def test_choose_language(lang: str | None, marketplace: str | None, expected: tuple[str, str | None, str]) -> None:
    chosen = choose_language(lang, marketplace)
    assert (chosen.marketplace.id, chosen.language, chosen.pages) == expected


def front_matter(path: Path) -> dict[str, object]:
    match = FRONT_MATTER.match(path.read_text(encoding="utf-8"))
    assert match is not None, path
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


# (not the German edition's variants, privacy.de.md...: a language's pages replace them)
ENGLISH_PAGES = sorted(n for n in scaffold_files() if n.startswith("content/pages/") and n.count(".") == 1)


@pytest.mark.parametrize("lang", SHIPPED_LANGUAGES)
def test_every_shipped_language_has_every_english_page(lang: str) -> None:
    """Adding an English page to the scaffold without its translations fails here, naming the missing file."""
    assert ENGLISH_PAGES
    files = scaffold_files(lang)
    for name in ENGLISH_PAGES:
        translated = files[name]
        assert translated.is_relative_to(SCAFFOLD_LOCALES / lang), f"builder/scaffold/locales/{lang}/{name} is missing"
        english, ours = front_matter(scaffold_files()[name]), front_matter(translated)
        # Same place in the menu and the footer as the English page; a title and description of its own.
        assert (ours.get("nav_order"), ours.get("legal")) == (english.get("nav_order"), english.get("legal")), name
        assert ours["title"] != english["title"], name


def test_every_german_speaking_country_has_an_impressum() -> None:
    laws = {"de": "§ 5 DDG", "de_AT": "§ 5 E-Commerce-Gesetz", "de_CH": "Art. 3 Abs. 1 lit. s UWG"}
    for folder, law in laws.items():
        impressum = scaffold_files(folder)["content/pages/impressum.md"]
        assert law in impressum.read_text(encoding="utf-8"), folder
        assert front_matter(impressum)["legal"] is True
    assert "§ 18 Abs. 2 MStV" in scaffold_files("de")["content/pages/impressum.md"].read_text(encoding="utf-8")
    others = [lang for lang in SHIPPED_LANGUAGES if lang != "de"]
    assert not [lang for lang in others if "content/pages/impressum.md" in scaffold_files(lang)]


def test_fields_to_fill_are_marked_one_way_in_every_language() -> None:
    """[[...]] on one line: what `affsite check` finds (builder/legal.py); no other bracket style slips in."""
    for path in sorted(SCAFFOLD_LOCALES.rglob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            assert line.count("[[") == line.count("]]"), f"{path}:{number}"
            assert not any(mark in line for mark in ("{{", "<<", "TODO", "XXX")), f"{path}:{number}"
