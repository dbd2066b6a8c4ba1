"""The `affsite` command as a user runs it: exit codes, messages, the demo build, check on good and broken content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SITE_YAML, SiteDir
from demo_copy import single_marketplace

from builder.cli import main
from builder.themes import THEME_DIR

SITE_YAML_WITH_CACHE = SITE_YAML + "cache_dir: .mycache\n"


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("build", "check"):
        assert command in out


def test_python_dash_m_builder_is_affsite() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--help"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0
    assert "--catalog-dir" in run.stdout and "--live" in run.stdout


def test_check_passes_on_the_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    if not any((REPO / "content" / "categories").glob("*.yaml")):
        pytest.skip("the repository has no categories yet")
    assert main(["check", "--root", str(REPO)]) == 0
    assert "ok:" in capsys.readouterr().out


def test_check_lists_every_mistake_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "broken"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")  # the pictures of the demo guides
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    (root / "content/categories/aaa-one.yaml").write_text("title: One\nq: x\nmax_price: cheap\nsrot: price\n")
    (root / "content/categories/bbb-two.yaml").write_text("title: Two\n  q: [unclosed\n")
    (root / "content/pages/ccc.md").write_text("no front matter\n")
    assert main(["check", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "content/categories/aaa-one.yaml:3: max_price: 'cheap' is not a number" in err
    assert "content/categories/aaa-one.yaml:4: srot: unknown key; did you mean 'sort'?" in err
    assert "content/categories/bbb-two.yaml:2: this is not valid YAML" in err
    assert "content/pages/ccc.md:1: must start with front matter" in err
    assert "Traceback" not in err
    assert not (root / "output").exists()


def test_build_without_credentials_uses_the_demo_catalog(
    site_dir: SiteDir, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder.catalog import files

    monkeypatch.setattr(files, "DEMO_CATALOG_DIR", site_dir.catalog)
    monkeypatch.setattr("builder.catalog.choose.DEMO_CATALOG_DIR", site_dir.catalog)
    assert main(["build", "--root", str(site_dir.root)]) == 0
    out = capsys.readouterr().out
    assert "demo catalog" in out
    assert b"demo-banner" in (site_dir.output / "index.html").read_bytes()


def test_live_without_credentials_is_refused_and_output_kept(
    site_dir: SiteDir, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "--root", str(site_dir.root), "--catalog-dir", str(site_dir.catalog)]) == 0
    before = sorted(p.name for p in site_dir.output.iterdir())
    assert main(["build", "--root", str(site_dir.root), "--live"]) == 2
    err = capsys.readouterr().err
    assert "EBAY_CLIENT_ID" in err and "EBAY_CLIENT_SECRET" in err
    assert sorted(p.name for p in site_dir.output.iterdir()) == before


def test_build_from_a_catalog_directory(site_dir: SiteDir, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "build",
            "--root",
            str(site_dir.root),
            "--catalog-dir",
            str(site_dir.catalog),
            "--output",
            str(site_dir.root / "public"),
        ]
    )
    assert code == 0
    assert (site_dir.root / "public" / "cameras" / "index.html").is_file()
    out = capsys.readouterr().out
    assert "37 products" in out and "2 categories" in out


def test_missing_catalog_dir_is_a_usage_error(site_dir: SiteDir, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--root", str(site_dir.root), "--catalog-dir", str(site_dir.root / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_failed_build_exits_1_and_says_why(site_dir: SiteDir, capsys: pytest.CaptureFixture[str]) -> None:
    (site_dir.catalog / "lenses.json").write_text("[]")
    args = ["build", "--root", str(site_dir.root), "--catalog-dir", str(site_dir.catalog)]
    assert main([*args, "--max-stale", "0%"]) == 1
    assert "lenses" in capsys.readouterr().err
    assert main([*args, "--max-stale", "lots"]) == 2
    assert "--max-stale 'lots': give a share of the categories, such as 10% or 0.1" in capsys.readouterr().err


def test_plan_needs_live_credentials(site_dir: SiteDir, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--root", str(site_dir.root), "--catalog-dir", str(site_dir.catalog), "--plan"]) == 2
    assert "EBAY_CLIENT_ID" in capsys.readouterr().err


def _affsite(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it: a separate process, no eBay credentials, demo data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBAY_")}
    return subprocess.run(
        [sys.executable, "-m", "builder", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _copy_site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")  # the pictures of the demo guides
    shutil.copytree(
        THEME_DIR, root / "templates", dirs_exist_ok=True
    )  # the theme as the site's own templates (affsite new --theme-copy)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    return root


@pytest.mark.parametrize(
    ("relative", "after"),
    [
        ("templates/page.html", b"{# caf\xe9 #}\n"),
        ("templates/assets/site.css", b"/* caf\xe9 */\n"),
        ("content/pages/about.md", b"Caf\xe9\n"),
        ("content/categories/headphones.yaml", b"# caf\xe9\n"),
    ],
)
def test_a_file_saved_in_latin1_is_a_file_line_error_not_a_traceback(
    tmp_path: Path, relative: str, after: bytes
) -> None:
    root = _copy_site(tmp_path)
    path = root / relative
    good = path.read_bytes()
    path.write_bytes(good + after)
    line = good.count(b"\n") + 1
    run = _affsite("build", cwd=root)
    assert "Traceback" not in run.stderr
    if relative.startswith("templates/assets/"):
        assert run.returncode == 0, run.stderr  # an asset is published as bytes, not read as a template
        return
    assert run.returncode == 2, run.stderr
    assert f"{relative}:{line}: is not UTF-8 text (byte 0xe9 at column " in run.stderr
    assert not (root / "output").exists()
    path.write_bytes(good)
    assert _affsite("build", cwd=root).returncode == 0


def test_a_new_category_without_demo_data_gets_an_empty_page_and_a_warning(tmp_path: Path) -> None:
    # As docs/editing.md says: one new file in content/categories/, then build. The demo catalog has no data for it.
    root = _copy_site(tmp_path)
    (root / "content/categories/studio-monitors.yaml").write_text("title: Studio Monitors\nq: studio monitor\n")
    run = _affsite("build", cwd=root)
    assert run.returncode == 0, run.stderr
    # In both editions of the demo site (de/: the German one at /de/).
    assert (
        "warning: 2 × categories have no data in the demo catalog, so their pages are empty: "
        "studio-monitors, de/studio-monitors"
    ) in run.stdout
    page = (root / "output/studio-monitors/index.html").read_text()
    assert "No listings match right now" in page and "<h1>Studio Monitors" in page
    assert 'href="/studio-monitors/"' in (root / "output/index.html").read_text()  # in the navigation
    assert list((root / "output/headphones").glob("index.html"))  # the other categories as before
    strict = _affsite("build", "--strict", cwd=root)
    assert strict.returncode == 1 and "--strict: not publishing" in strict.stderr


def test_a_catalog_directory_without_a_category_publishes_it_empty_unless_strict_forbids(site_dir: SiteDir) -> None:
    # The publish policy (publish.py) is the same for every source: a category without data gets an empty page and
    # is named; only --strict with a --max-stale share below it refuses.
    site_dir.write("content/categories/extra.yaml", "title: Extra\nq: extra\n")
    run = _affsite("build", "--catalog-dir", str(site_dir.catalog), cwd=site_dir.root)
    assert run.returncode == 0, run.stderr
    assert "published with no listings (no data): extra" in run.stdout
    assert (site_dir.output / "extra" / "index.html").is_file()
    strict = _affsite(
        "build", "--catalog-dir", str(site_dir.catalog), "--strict", "--max-stale", "0", cwd=site_dir.root
    )
    assert strict.returncode == 1


def test_plan_without_credentials_is_a_usage_error(site_dir: SiteDir) -> None:
    run = _affsite("build", "--plan", cwd=site_dir.root)
    assert run.returncode == 2
    assert "--plan shows the eBay calls a live build would make" in run.stderr
    assert not site_dir.output.exists()


def test_the_cache_dir_of_site_yaml_holds_the_build_state(site_dir: SiteDir) -> None:
    site_dir.write("site.yaml", SITE_YAML_WITH_CACHE)
    run = _affsite("build", "--catalog-dir", str(site_dir.catalog), cwd=site_dir.root)
    assert run.returncode == 0, run.stderr
    assert (site_dir.root / ".mycache" / "build-state.json").is_file()
    assert not (site_dir.root / ".cache").exists()


def test_check_validates_language_and_time_zone_with_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(REPO / "content", root / "content")
    settings = (REPO / "site.yaml").read_text()
    (root / "site.yaml").write_text(
        settings.replace("marketplace: EBAY_US", "marketplace: EBAY_DE\nlanguage: de-XX\ntimezone: Europe/Berln")
    )
    line = settings.splitlines().index("marketplace: EBAY_US") + 2
    result = _affsite("check", "--root", str(root), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"site.yaml:{line}: language: 'de-XX' is not a language and region Babel (CLDR) knows" in result.stderr
    assert f"site.yaml:{line + 1}: timezone: 'Europe/Berln' is not an IANA time zone" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_reports_the_language_its_catalogs_and_a_mismatch(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")  # the demo guides' pictures
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    single_marketplace(root)  # one marketplace, whose `marketplace:` the test changes
    settings = (root / "site.yaml").read_text()
    line = settings.splitlines().index("marketplace: EBAY_US") + 2
    (root / "site.yaml").write_text(settings.replace("marketplace: EBAY_US", "marketplace: EBAY_US\nlanguage: de-DE"))
    result = _affsite("check", "--root", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    catalogs = "message catalogs: de, en, es, fr, it, nl, pl"
    assert f"language: de-DE (set in site.yaml); time zone: America/New_York; {catalogs}" in lines
    assert any(x.startswith(f"site.yaml:{line}: warning: language de-DE is not a language of EBAY_US") for x in lines)
    assert not any("no message catalog" in x for x in lines)

    (root / "site.yaml").write_text(settings.replace("marketplace: EBAY_US", "marketplace: EBAY_IT\ntimezone: UTC"))
    result = _affsite("check", "--root", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"language: it-IT (EBAY_IT's default); time zone: UTC; {catalogs}" in lines
    assert not any("no message catalog" in x or "is not a language of" in x for x in lines)

    # Catalan on eBay Spain: a language of its own, with no catalog in the theme.
    (root / "site.yaml").write_text(settings.replace("marketplace: EBAY_US", "marketplace: EBAY_ES\nlanguage: ca-ES"))
    result = _affsite("check", "--root", str(root), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(x.startswith(f"site.yaml:{line}: warning: no message catalog for ca-ES") for x in lines), lines
