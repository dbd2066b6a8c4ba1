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

from builder.catalog.files import DEMO_CATALOG_DIR
from builder.newsite import SCAFFOLD_DIR, scaffold_files
from builder.themes import THEME_DIR

REPO = Path(__file__).resolve().parents[1]


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
    assert "4 categories" in built.stdout  # its two categories in each of the demo's two editions (us, de)
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
    assert len(shared) == 6
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
    assert "2 example categories and 3 pages" in out and "templates/: a copy of the default theme" in out
    assert (tmp_path / "s/requirements.txt").read_text().splitlines()[-1] == f"affsite=={affsite_version()}"
    assert "@AFFSITE_VERSION@" not in (tmp_path / "s/requirements.txt").read_text()
    assert main(["new", str(tmp_path / "s")]) == 2
    assert "not empty" in capsys.readouterr().err
