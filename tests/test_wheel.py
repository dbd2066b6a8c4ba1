"""The site owner's path, from outside the repository: install the wheel into a fresh virtual environment, then
`affsite new mysite && cd mysite && affsite build`.

The wheel is built from a copy of the package's sources (so no stale `build/` folder of the working tree can leak
into it), its runtime dependencies come from uv.lock (`uv export --frozen --no-dev`), and after the first run uv
installs them from its cache, without the network. Everything runs in tmp; the site's commands run with the fresh
environment's `affsite` on PATH and nothing of the repository on sys.path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        if os.environ.get("CI") == "true":
            pytest.fail("uv is not on PATH (.ci/run installs it)")
        pytest.skip("uv is not on PATH: the wheel test builds and installs with uv")
    return uv


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


def _cached_first(args: list[str], cwd: Path) -> None:
    """A uv command from uv's cache alone (no network: `uv sync` has cached every locked package and the build
    backend); only when something is missing from the cache, the same command with the package registry."""
    done = subprocess.run([*args, "--offline"], cwd=cwd, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        _run(args, cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the affsite wheel and its locked runtime dependencies; its bin folder."""
    uv = _uv()
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    shutil.copytree(REPO / "builder", source / "builder", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    _cached_first([uv, "build", "--wheel", "--quiet", "--out-dir", str(tmp / "dist"), str(source)], tmp)
    (wheel,) = (tmp / "dist").glob("affsite-*.whl")

    venv = tmp / "venv"
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], tmp)
    python = venv / "bin" / "python"
    locked = tmp / "requirements.txt"
    _run([uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--quiet", "-o", str(locked)], REPO)
    _cached_first([uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(locked)], tmp)
    _cached_first([uv, "pip", "install", "--quiet", "--python", str(python), str(wheel)], tmp)
    return venv / "bin"


def _owner_env(bin_dir: Path) -> dict[str, str]:
    """A shell like a site owner's: the new environment first on PATH, no eBay keys, nothing of this repository."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EBAY_", "UV_", "PYTHON", "VIRTUAL_ENV", "AFFSITE_")) and k != "COVERAGE_PROCESS_START"
    }
    repo_bins = {str(REPO / ".venv" / "bin"), str(Path(sys.executable).parent)}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in repo_bins]
    env["PATH"] = os.pathsep.join([str(bin_dir), *path])
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    return env


@pytest.mark.wheel
@pytest.mark.timeout(240)
def test_the_wheel_installs_and_affsite_new_builds_a_complete_site(installed: Path, tmp_path: Path) -> None:
    env = _owner_env(installed)
    work = tmp_path / "owner"
    work.mkdir()
    where = _run([str(installed / "python"), "-c", "import builder; print(builder.__file__)"], work, env).stdout
    assert Path(where.strip()).is_relative_to(installed.parent), f"builder imported from {where}"

    _run(["affsite", "new", "mysite"], work, env)
    site = work / "mysite"
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert (site / "requirements.txt").read_text().splitlines()[-1] == f"affsite=={version}"
    built = _run(["affsite", "build"], site, env)
    assert "demo catalog" in built.stdout

    out = site / "output"
    home = (out / "index.html").read_text(encoding="utf-8")
    for slug in ("headphones", "mirrorless-cameras"):
        page = (out / slug / "index.html").read_text(encoding="utf-8")
        assert page.count('<li class="card">') >= 10, slug  # listings from the demo catalog
        assert f'href="/{slug}/"' in home
    products = list((out / "p").glob("*/index.html"))
    assert len(products) >= 40
    assert re.search(r">(Buy It Now|Bid|Bid or Buy It Now) on eBay</a>", products[0].read_text(encoding="utf-8"))
    for page in ("about", "disclosure", "privacy"):
        assert (out / page / "index.html").is_file(), page
    for asset in re.findall(r'(?:href|src)="/(assets/[^"]+)"', home):
        assert (out / asset).is_file(), asset
    assert {p.suffix for p in (out / "assets").iterdir()} == {".css", ".js", ".svg"}  # the favicon (issue 12)
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    paths = ["/", "/headphones/", "/mirrorless-cameras/", "/about/", "/disclosure/", "/privacy/"]
    paths += [f"/p/{p.parent.name}/" for p in products]
    for path in paths:
        assert f"<loc>https://gearscout.example.org{path}</loc>" in sitemap, path
    assert (out / "feed.xml").is_file() and (out / "404.html").is_file()

    # The preview's command and `check` are there too, and a second build finds nothing to do.
    assert "ok:" in _run(["affsite", "check"], site, env).stdout
    again = _run(["affsite", "build"], site, env)
    assert "nothing changed" in again.stdout
