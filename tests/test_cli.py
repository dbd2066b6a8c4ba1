"""The `affsite` command as a user runs it: exit codes, messages, the demo build, check on good and broken content."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SiteDir

from builder.cli import main


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
    monkeypatch.setattr("builder.build.DEMO_CATALOG_DIR", site_dir.catalog)
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
