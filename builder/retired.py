"""Editions a site no longer has, or whose folder moved: what their builds left in the output and the cache.

Each edition not served at / keeps its build state, its ledger of listings and its search records in
`<cache_dir>/editions/<key>/` (the edition at / keeps them in the cache folder itself); its state names the output
folder it was built into and every file the build wrote there. When site.yaml no longer has the edition (or no
longer has editions at all), its pages would stay published with old prices, and its copies of eBay's data would
stay in the cache, which eBay's licence asks to be deleted once no longer needed. So a build finds such editions
before it writes (`find_retired`) and, only once the new site is committed (a failed build loses nothing), deletes
(`remove_retired`):

- the files the state names, except those this build wrote itself (another edition may now have that path);
- the edition's search index folder (Pagefind's files are not in the state);
- the edition's folder in the cache.

A file in the edition's folder that no build wrote (the owner put it there) is kept, with a warning. An edition whose
path changed (`/de/` to `/deutsch/`) keeps its cache folder; the files of its old folder go the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

from .editions import Edition
from .output import TEMP_SUFFIX, remove_empty_parents
from .report import BuildReport
from .search_index import INDEX_DIR
from .state import written_files

EDITIONS_DIR = "editions"
_FRESH_INDEX = f".{INDEX_DIR}.new-"  # a search index being made (search_index.py), left by a build that was killed


def edition_cache(cache_dir: Path, edition: Edition) -> Path:
    """Where an edition keeps its build state, ledger and search records: the cache folder itself for the edition
    at /, `editions/<key>/` inside it for the others."""
    return cache_dir / EDITIONS_DIR / edition.key if edition.folder else cache_dir


@dataclass(frozen=True)
class Retired:
    """An edition's folder that this build no longer writes."""

    key: str
    folder: str | None
    """Its folder in this output (`de/`); None when no state says (or it was built into another output folder)."""
    files: list[str]
    """What its last build wrote there, relative to the folder."""
    cache_dir: Path | None
    """Its folder in the cache, to delete; None when the edition is still built at another folder (whose cache
    stays its own). An edition now served at / keeps its data in the cache folder itself: its old one goes."""
    moved_to: str | None = None
    """The edition's path now, when it is still built."""
    built_into: Path | None = None
    """The output folder its state is for, when that is not this build's."""


def find_retired(cache_dir: Path, output_dir: Path, editions: list[Edition]) -> list[Retired]:
    """The editions whose folder in `output_dir` this build does not write (`editions` are the site's now), found
    by their folders in the cache: a key site.yaml no longer has, or an edition last built at another path."""
    current = {edition.key: edition for edition in editions}
    try:
        caches = sorted(path for path in (cache_dir / EDITIONS_DIR).iterdir() if path.is_dir())
    except OSError:
        return []
    output = output_dir.resolve()
    found: list[Retired] = []
    for cache in caches:
        edition = current.get(cache.name)
        written = written_files(cache)
        if written is None:
            if edition is None:
                found.append(Retired(cache.name, None, [], cache))
            continue
        built_into, files = written
        if edition is not None and edition.folder and built_into == (output_dir / edition.folder).resolve():
            continue  # still built where it was
        folder = _folder_in(built_into, output)
        if edition is None:
            found.append(Retired(cache.name, folder, files, cache, built_into=None if folder else built_into))
        elif not edition.folder:
            # Now served at /: its state, ledger and search records are the cache folder's own from now on
            # (edition_cache), so its folder under editions/ goes with the files of its old path.
            found.append(Retired(cache.name, folder, files, cache, moved_to=edition.path))
        elif folder is not None:  # (an edition built into another output folder: nothing of it is here)
            found.append(Retired(cache.name, folder, files, None, moved_to=edition.path))
    return found


def _folder_in(built_into: Path, output: Path) -> str | None:
    """`de/` for an edition's folder right inside the output folder; None for anywhere else (a state naming the output
    folder itself, its parent or a folder elsewhere: whatever a state file says, nothing outside the output goes)."""
    built_into = built_into.resolve()
    if built_into.parent != output or built_into.name in ("", ".", ".."):
        return None
    return f"{built_into.name}/"


def keep_folders(retired: list[Retired], editions: list[Edition]) -> list[str]:
    """The retired folders, for the writer not to list as its own (output.py `commit`): their files go by their
    states, and what no build wrote in them stays. A folder another edition has now is that edition's."""
    taken = {edition.folder for edition in editions}
    return [r.folder.rstrip("/") for r in retired if r.folder is not None and r.folder not in taken]


def remove_retired(
    retired: list[Retired], output_dir: Path, present: Set[str], indexes: Set[str], report: BuildReport
) -> None:
    """Delete what the retired editions left (once the new site is committed), each said in the report. `present`:
    the files of the site just committed; `indexes`: the folders of its search indexes (both relative to it)."""
    for edition in retired:
        where = f"/{edition.folder}" if edition.folder is not None else ""
        deleted = _delete_files(edition, output_dir, present, indexes, report) if edition.folder is not None else 0
        if edition.moved_to is not None:
            moved = f"edition {edition.key} moved from {where} to {edition.moved_to}"
            cache = edition.cache_dir is not None and _delete_cache(edition.cache_dir, report, moved)
            report.notes.append(
                f"{moved}: {deleted} file(s) deleted from {where}"
                + ("; its old folder in the cache too" if cache else "")
            )
            continue
        gone = f"edition {edition.key} is no longer in site.yaml"
        cache = edition.cache_dir is not None and _delete_cache(edition.cache_dir, report, gone)
        and_cache = " and its folder in the cache" if cache else ""
        cache_too = "; its folder in the cache was deleted" if cache else ""
        if edition.folder is not None:
            report.notes.append(
                f"{gone}: {deleted} file(s) deleted from {where} (its pages and search index){and_cache}"
            )
        elif edition.built_into is not None:
            report.warn(
                f"{gone}: it was last built into {edition.built_into}, not into this output folder, and its files "
                f"there were left{cache_too}"
            )
        else:
            report.warn(
                f"{gone}: no build state says which files it wrote in the output (if its folder is still there, "
                f"delete it by hand){cache_too}"
            )


def _delete_cache(cache_dir: Path, report: BuildReport, edition: str) -> bool:
    try:
        shutil.rmtree(cache_dir)
    except FileNotFoundError:
        pass
    except OSError as exc:
        report.warn(f"{edition}: could not delete {cache_dir} ({exc.strerror}); delete it by hand")
        return False
    with contextlib.suppress(OSError):
        cache_dir.parent.rmdir()  # `editions/`, when no other edition is left
    return True


def _delete_files(edition: Retired, output_dir: Path, present: Set[str], indexes: Set[str], report: BuildReport) -> int:
    """Delete the files the edition's last build wrote in its folder and its search index; warn of any other file
    left there. The number of files deleted."""
    folder = edition.folder or ""
    root = str(output_dir)
    deleted = 0
    for name in edition.files:
        relative = folder + name
        if relative in present or name.startswith("/") or ".." in name.split("/"):
            continue  # this build's file now (another edition's), or not a name a build writes
        path = f"{root}/{relative}"
        try:
            os.unlink(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as exc:
            report.warn(f"could not delete the files of edition {edition.key} ({exc.strerror})", relative)
            continue
        deleted += 1
        remove_empty_parents(Path(path).parent, output_dir)
    index = folder + INDEX_DIR
    if index not in indexes:
        deleted += _delete_tree(output_dir / index, output_dir)
    base = f"{root}/{folder.rstrip('/')}"
    for directory, folders, files in os.walk(base):
        prefix = directory[len(root) + 1 :]
        for name in [f for f in folders if f.startswith(_FRESH_INDEX) or f"{prefix}/{f}" in indexes]:
            folders.remove(name)  # a search index of this build (another edition's), or one a killed build left
            if f"{prefix}/{name}" not in indexes:
                _delete_tree(Path(directory) / name, output_dir)
        for name in files:
            relative = f"{prefix}/{name}"
            if relative in present:
                continue
            if name.endswith(TEMP_SUFFIX):  # a file a killed build was writing
                Path(directory, name).unlink(missing_ok=True)
                remove_empty_parents(Path(directory), output_dir)
                continue
            report.warn(
                f"edition {edition.key} is gone from /{folder}, but files there that no build wrote were kept "
                "(delete them by hand if they should go)",
                relative,
            )
    return deleted


def _delete_tree(path: Path, root: Path) -> int:
    """Delete a folder the build made (a search index); the number of files it had."""
    count = sum(len(files) for _, _, files in os.walk(path))
    shutil.rmtree(path, ignore_errors=True)
    remove_empty_parents(path.parent, root)
    return count
