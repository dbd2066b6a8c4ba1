"""`affsite new DIR`: a working site folder that builds at once from the demo catalog.

The files are package data in `builder/scaffold/`, written as they are with two exceptions: a path part named
`dot-x` is written as `.x` (`dot-github/` -> `.github/`, `dot-gitignore` -> `.gitignore`; package data globs skip
hidden files, so the wheel would lose them), and `@AFFSITE_VERSION@` becomes the installed affsite's version, so the
new site's requirements.txt pins the affsite it was made with. `--theme-copy` adds the default theme's templates
and assets as `templates/`, for those who want to own every file.
"""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .errors import UsageError
from .themes import SITE_TEMPLATES, THEME_DIR, Theme

SCAFFOLD_DIR = Path(__file__).resolve().parent / "scaffold"
VERSION_MARK = "@AFFSITE_VERSION@"
DOT = "dot-"


@dataclass(frozen=True)
class Created:
    root: Path
    files: list[str]  # relative paths written, in order


def scaffold_files() -> dict[str, Path]:
    """The new site's files: path inside the site ("/"-separated, dotfiles restored) -> the package data file."""
    files: dict[str, Path] = {}
    for path in sorted(SCAFFOLD_DIR.rglob("*")):
        relative = path.relative_to(SCAFFOLD_DIR)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        files["/".join("." + p.removeprefix(DOT) if p.startswith(DOT) else p for p in relative.parts)] = path
    return files


def affsite_version() -> str:
    try:
        return metadata.version("affsite")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        project = tomllib.loads((SCAFFOLD_DIR.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
        return str(project["project"]["version"])


def create_site(target: Path, *, theme_copy: bool = False, force: bool = False) -> Created:
    """Write a new site into `target` (created if missing). Refuses a non-empty folder unless `force`."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: is a file, not a folder; name a new folder for the site")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(
            f"{target}: the folder is not empty; name a new folder, or add --force to write the site's files "
            "into it (files of the same name are replaced, others are left alone)"
        )
    version = affsite_version()
    written: list[str] = []
    try:
        for relative, source in scaffold_files().items():
            data = source.read_bytes().replace(VERSION_MARK.encode(), version.encode())
            _write(target / relative, data)
            written.append(relative)
        if theme_copy:
            for name, source in Theme(target, (THEME_DIR,)).files().items():
                _write(target / SITE_TEMPLATES / name, source.read_bytes())
                written.append(f"{SITE_TEMPLATES}/{name}")
    except OSError as exc:
        raise UsageError(f"{exc.filename or target}: cannot be written ({exc.strerror})") from None
    return Created(target, written)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def run_new_command(target: Path, *, theme_copy: bool, force: bool) -> int:
    created = create_site(target, theme_copy=theme_copy, force=force)
    def count(folder: str) -> int:
        return sum(1 for f in created.files if f.startswith(folder + "/"))

    print(
        f"created {target}/ ({len(created.files)} files): {count('content/categories')} example categories and "
        f"{count('content/pages')} pages, netlify.toml, GitHub workflows, requirements.txt (affsite=={affsite_version()})"
    )
    if theme_copy:
        print(f"  templates/: a copy of the default theme ({count(SITE_TEMPLATES)} files), yours to change")
    print("next:")
    print(f"  cd {shlex.quote(str(target))}")
    print("  affsite build    # the site in output/, from the demo catalog until eBay keys are set")
    print("  affsite serve    # a preview at http://127.0.0.1:8000/ that rebuilds when you save")
    return 0
