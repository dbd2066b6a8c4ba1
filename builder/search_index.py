"""The site search: a Pagefind index of the published pages, made at the end of a build over the output folder.

What is indexed is chosen by the templates, not here: a page is in the index when it has a `data-pagefind-body`
element (the theme's `_search_body.html`, included by the product page and by the first page of each category).
Pagefind then leaves every other page out (home, Markdown pages, the search page, ended listings, page 2+ of a
category). The same include carries the filters (category, condition, format, price band), the sort key (price)
and the metadata the results show (photo, price and when it was fetched).

Pagefind cannot update an index in place, so the whole index is made again, but only when an HTML file of the site
changed since the last build (or the index is missing): a rebuild in which no page changed costs nothing here. The
new index is written beside the output and swapped in with two renames, so a visitor never gets half an index.

Prices in the index follow the freshness rule of the pages: a price already stale at build time is not put in the
index at all (nor its band or sort key), and the search script hides any other once it is older than its limit on
the visitor's clock, as the pages' own freshness script does.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from .config import SiteConfig
from .report import BuildReport
from .state import FileRecord

INDEX_DIR = "pagefind"  # the bundle's folder in the output: /pagefind/pagefind.js, its WASM, index and fragments
ENTRY = "pagefind-entry.json"  # written last by Pagefind: its presence means a complete index
# Files of the Pagefind bundle that our own search script does not load (Pagefind's ready-made UIs, the
# playground): left out of the output so that a deploy does not upload ~200 KB nobody requests.
_UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
    "playground",
    "wasm.unknown.pagefind",  # the engine for pages without a language; force_language gives every page one
)


@dataclass(frozen=True)
class IndexResult:
    pages: int  # pages Pagefind indexed
    seconds: float


def pages_changed(previous: Mapping[str, FileRecord] | None, current: Mapping[str, FileRecord]) -> bool:
    """Whether any HTML file differs from the last build's (added, removed, or written again)."""
    if previous is None:
        return True
    old = {name: record for name, record in previous.items() if name.endswith(".html")}
    new = {name: record for name, record in current.items() if name.endswith(".html")}
    return old != new


def index_present(output_dir: Path) -> bool:
    return (output_dir / INDEX_DIR / ENTRY).is_file()


def update_index(output_dir: Path, lang: str, changed: bool) -> IndexResult | None:
    """Index the site in output_dir again when `changed` or when it has no index; None when it was kept.

    Raises OSError or RuntimeError when Pagefind cannot run (no binary for this platform, a failed index).
    """
    if not changed and index_present(output_dir):
        return None
    started = time.perf_counter()
    fresh = output_dir / f".{INDEX_DIR}.new-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        try:
            pages = asyncio.run(_index(output_dir, fresh, lang))
        except (OSError, RuntimeError, ValueError):
            raise
        except Exception as exc:  # Pagefind's client reports its indexer's errors as a bare Exception (or assert)
            raise RuntimeError(" ".join(str(a) for a in exc.args if a) or type(exc).__name__) from exc
        for name in _UNUSED:
            target = fresh / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        _swap(fresh, output_dir / INDEX_DIR)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    return IndexResult(pages, time.perf_counter() - started)


async def _index(site: Path, into: Path, lang: str) -> int:
    from pagefind.index import IndexConfig, PagefindIndex  # imported here: only a build that indexes needs it

    # One index in the site's language (Pagefind would otherwise split it by each page's lang attribute); only
    # HTML pages are read, and of those only the ones with a data-pagefind-body element are indexed.
    config = IndexConfig(force_language=lang.split("-")[0], output_path=str(into))
    async with PagefindIndex(config) as index:  # writes the files when the block ends without an error
        # Product pages and each category's first page; their siblings in those folders (about/, search/) are
        # read and left out by Pagefind, and a category's page 2+ is not even read.
        await index.add_directory(str(site), glob="{p/*/index.html,*/index.html}")
    entry = orjson.loads((into / ENTRY).read_bytes())
    return sum(int(language.get("page_count", 0)) for language in entry.get("languages", {}).values())


def _swap(fresh: Path, target: Path) -> None:
    """Put the new index in place of the old one: two renames, the old folder deleted afterwards."""
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, retired)
    os.replace(fresh, target)
    shutil.rmtree(retired, ignore_errors=True)


def index_after_build(
    output_dir: Path,
    site: SiteConfig,
    previous: Mapping[str, FileRecord] | None,
    files: Mapping[str, FileRecord],
    report: BuildReport,
) -> None:
    """The build's last step (the pages are published): index them again if any changed, and say so in the report.

    A site without search is still a site: when Pagefind cannot run, the build warns (so --strict and the next
    build notice: the index is missing, so the next build tries again) instead of failing after publishing.
    """
    if not site.search:
        shutil.rmtree(output_dir / INDEX_DIR, ignore_errors=True)  # search turned off: its index goes too
        return
    try:
        result = update_index(output_dir, site.lang, pages_changed(previous, files))
    except (OSError, RuntimeError, ValueError) as exc:
        report.warn(f"the search index was not made (Pagefind: {exc}); search shows no results until it is")
        return
    if result is not None:
        report.notes.append(f"search: {result.pages} pages indexed in {result.seconds:.2f}s")
