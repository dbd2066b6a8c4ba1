"""The site search: a Pagefind index of the pages that ask for it, made while the build writes them.

What is indexed is chosen by the templates, not here: a page is in the index when its template includes the search
block (the theme's `_search_body.html`: product pages, the first page of each category, the guides), a
`data-pagefind-body` element with the page's text, its filters (category, condition, format, price band, shipping),
its sort key (price) and the metadata the results show (photo, price and when it was fetched). Every other page is
left out (home, Markdown pages, the guides list, the search page, ended listings, page 2+ of a category). The block
is rendered for the index only (Renderer.search_block), never into the published page.

Pagefind is not asked to read the pages (about 0.7 ms a page: 10,000 pages of HTML parsed for an element of a few
hundred bytes), nor to wait for them. While the build's workers render the pages, the build's own process renders
each page's search block on its own (the template the page includes, in the page's context), turns it into the
record Pagefind would have read from it (`page_record`), and hands the records to Pagefind's
service (pagefind_service.py) on a thread: Pagefind, a process of its own, indexes on the core the workers leave
free instead of after them. Its files go beside the pages, into the folder being written, and are swapped in once
the pages are published: a visitor never gets half an index.

A page's record is kept in the cache folder with the digest of its inputs (state.py), so a rebuild renders only the
blocks of the pages it renders again; and when the records are the ones the present index was made from, Pagefind is
not run at all. Pagefind cannot update an index in place, so otherwise the whole index is made again.

Prices in the index follow the freshness rule of the pages: a price already stale at build time is not put in the
index at all (nor its band or sort key), and the search script hides any other once it is older than its limit on
the visitor's clock, as the pages' own freshness script does.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .atomic import write_atomic
from .pagefind_service import Record, write_index
from .report import BuildReport
from .state import code_version

log = logging.getLogger(__name__)

INDEX_DIR = "pagefind"  # the bundle's folder in the output: /pagefind/pagefind.js, its WASM, index and fragments
ENTRY = "pagefind-entry.json"  # written last by Pagefind: its presence means a complete index
INDEX_TIMEOUT = 600.0  # seconds; Pagefind takes about 6 s for 10,000 pages here (BENCHMARKS.md)
# In the cache folder: each indexable page's inputs digest and record hash, with the digest of the records the
# present index was made from (read by every build); and the records themselves (read only to make the index).
HASHES_NAME = "search-pages.json"
RECORDS_NAME = "search-records.json"
RECORDS_VERSION = 1
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
    "wasm.unknown.pagefind",  # the engine for pages without a language: every record is in the site's language
)
# The pages that may ask to be indexed: product pages, each category's first page and the guides (a category's
# page 2+ and deeper pages are not even looked at).
_CANDIDATE = re.compile(r"(?:p/|guides/)?[^/]+/index\.html")
_BODY_START = b"<div data-pagefind-body"
_BODY_END = b"</div>"
_TAG = re.compile(r"<(/?[a-z0-9]+)([^>]*)>([^<]*)", re.I)  # a tag and the text after it, to the next tag
_ATTRIBUTE = re.compile(r'(data-pagefind-(?:meta|filter|sort))="([^"]*)"')
_SPACES = re.compile(r"\s+")
# Pagefind ends the text of a block element that ends in a letter or digit with a full stop, so that words of two blocks are not
# read as one sentence: "Title. Title · Category · New."
_BLOCKS = frozenset({"/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "/p", "/div", "/li"})


def index_present(output_dir: Path) -> bool:
    return (output_dir / INDEX_DIR / ENTRY).is_file()


def page_record(url: str, page: bytes) -> Record | None:
    """What the page's data-pagefind-body element gives Pagefind to index, as Pagefind reads it from HTML; None for
    a page without one.

    `data-pagefind-meta="key:value"` and `data-pagefind-sort="key:value"` name key and value; a
    `data-pagefind-filter` is "key:value" or a key whose value is the element's text; `data-pagefind-meta="title"`
    on the heading is the title. The text is every text node of the element, spaces collapsed.
    """
    start = page.find(_BODY_START)
    if start < 0:
        return None
    end = page.find(_BODY_END, start)
    body = page[start : end if end >= 0 else len(page)].decode()
    meta: dict[str, str] = {}
    filters: dict[str, list[str]] = {}
    sort: dict[str, str] = {}
    text: list[str] = []
    for tag, attributes, raw in _TAG.findall(body):
        if tag.lower() in _BLOCKS:
            _end_sentence(text)
        inner = html.unescape(raw)
        text.append(inner)
        for kind, raw_value in _ATTRIBUTE.findall(attributes):
            value = html.unescape(raw_value)
            key, colon, given = value.partition(":")
            if kind == "data-pagefind-filter":
                filters.setdefault(key, []).append(given if colon else _SPACES.sub(" ", inner).strip())
            elif not colon:  # data-pagefind-meta="title": the element's text
                meta[key] = _SPACES.sub(" ", inner).strip()
            elif kind == "data-pagefind-meta":
                meta[key] = given
            else:
                sort[key] = given
    _end_sentence(text)
    content = _SPACES.sub(" ", "".join(text)).strip()
    return {"url": url, "content": content, "meta": meta, "filters": filters, "sort": sort}


def _end_sentence(text: list[str]) -> None:
    ended = "".join(text).rstrip()
    text.append(". " if ended and ended[-1].isalnum() else " ")


def _url(relative: str) -> str:
    return "/" + relative.removesuffix("index.html")


def _record_hash(record: Record | None) -> str | None:
    return None if record is None else hashlib.blake2b(orjson.dumps(record), digest_size=16).hexdigest()


def _cache_key(output_dir: Path) -> str:
    # The affsite code too: a new version may read a page's record differently from the same page.
    return f"{RECORDS_VERSION}:{code_version()}:{output_dir}"


def _load(path: Path, output_dir: Path) -> dict[str, Any]:
    """A cache file of this module, if made by this code for this output folder."""
    try:
        document = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return document if isinstance(document, dict) and document.get("key") == _cache_key(output_dir) else {}


def _save(path: Path, output_dir: Path, document: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, orjson.dumps({"key": _cache_key(output_dir), **document}))
    except OSError as exc:
        log.warning("could not save the search records in %s: %s", path.parent, exc.strerror)


@dataclass(frozen=True)
class Candidate:
    """A page that may be in the index: its path in the output, the digest of its inputs (state.py), and how to get
    its search block (its `data-pagefind-body` element, rendered on its own; None when it has none)."""

    path: str
    digest: str
    block: Callable[[], bytes | None]


def is_candidate(path: str) -> bool:
    return _CANDIDATE.fullmatch(path) is not None


class SearchIndex:
    """One edition's index, made again while its pages are rendered: `start` in the build's process while the workers
    render (parallel.py), `wait` before the pages are published, `publish` after.

    Started early, Pagefind (a process of its own) takes the records and writes its files on the core the workers
    leave free, instead of after the whole build; it writes beside the pages in the folder the build writes into
    (`site_root`: the staging folder of a first build), so the new index is published with the pages.
    """

    def __init__(self, output_dir: Path, site_root: Path, cache_dir: Path, lang: str, edition_folder: str = "") -> None:
        self.output_dir = output_dir  # where the edition is published (its present index is there)
        self.site_root = site_root  # where this build writes its pages: the output folder, or the staging folder
        self.cache_dir = cache_dir
        self.lang = lang
        self._hashes: dict[str, list[str | None]] = {}
        self._digest = ""
        self._job: _Indexing | None = None
        self._fresh_name = f".{INDEX_DIR}.new-{os.getpid()}"
        # The index's folders, relative to the site's output (`de/` is an edition's folder): the writer leaves them.
        self.folders = [edition_folder + INDEX_DIR, edition_folder + self._fresh_name]
        self._edition = f" (/{edition_folder})" if edition_folder else ""  # named in the report when not at /

    def start(self, candidates: list[Candidate]) -> None:
        """Read each candidate's record (the cache's, when its page's inputs did not change), and start Pagefind on
        them unless the present index was made from the same records."""
        saved = _load(self.cache_dir / HASHES_NAME, self.output_dir)
        known = saved.get("pages", {})
        read: dict[str, Record | None] = {}
        for page in candidates:
            entry = known.get(page.path)
            if entry is not None and entry[0] == page.digest:
                self._hashes[page.path] = entry
                continue
            record = read[page.path] = _record(page)
            self._hashes[page.path] = [page.digest, _record_hash(record)]
        self._digest = _digest(self.lang, self._hashes)
        if saved.get("index") == self._digest and index_present(self.output_dir):
            if known != self._hashes:
                self._save_hashes(self._digest)
            return
        records = _all_records(self.cache_dir, self.output_dir, candidates, self._hashes, read)
        self._save_hashes(None)  # no index recorded until it is in place
        _save(self.cache_dir / RECORDS_NAME, self.output_dir, {"records": records})
        fresh = self.site_root / self._fresh_name
        shutil.rmtree(fresh, ignore_errors=True)
        self._job = _Indexing([records[path] for path in sorted(records)], fresh, self.lang)
        self._job.start()

    def wait(self) -> None:
        """Until Pagefind has written the index (before the folder it writes in is renamed into place), or has run for
        INDEX_TIMEOUT: a Pagefind that hangs must not hold an unattended rebuild's pages back (they are published
        without the new index, and `publish` warns)."""
        job = self._job
        if job is None:
            return
        job.join(INDEX_TIMEOUT)
        if job.is_alive():
            job.stop()
            job.error = RuntimeError(f"it did not finish within {INDEX_TIMEOUT:g} s and was stopped")

    def cancel(self) -> None:
        """The build failed: stop Pagefind (its half-made files go with the staging folder, or here)."""
        if self._job is not None:
            self._job.stop()
            shutil.rmtree(self.site_root / self._fresh_name, ignore_errors=True)
            self._job = None

    def publish(self, report: BuildReport) -> None:
        """Swap the new index in (the pages are published) and say so in the report; a failed index is a warning: a
        site without search is still a site, and the next build tries again (no index is recorded)."""
        job, self._job = self._job, None
        if job is None:
            return
        fresh = self.output_dir / self._fresh_name
        try:
            if job.error is not None:
                raise job.error
            for name in _UNUSED:
                target = fresh / name
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
            _swap(fresh, self.output_dir / INDEX_DIR)
        except (OSError, RuntimeError, ValueError) as exc:
            report.warn(f"the search index was not made (Pagefind: {exc}); search shows no results until it is")
            return
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
        self._save_hashes(self._digest)
        report.notes.append(f"search: {job.count} pages indexed in {job.seconds:.2f}s{self._edition}")

    def _save_hashes(self, index: str | None) -> None:
        _save(self.cache_dir / HASHES_NAME, self.output_dir, {"index": index, "pages": self._hashes})


class _Indexing(threading.Thread):
    """Pagefind writing an index on a thread of the build (the work is in Pagefind's process)."""

    def __init__(self, records: list[Record], into: Path, lang: str) -> None:
        super().__init__(name="search-index", daemon=True)
        self.records, self.into, self.lang = records, into, lang
        self.count = 0
        self.seconds = 0.0
        self.error: BaseException | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._cancelled = False

    def run(self) -> None:
        started = time.perf_counter()
        try:
            self.count = _index(self.records, self.into, self.lang, self._on_service)
        except BaseException as exc:  # handed to the build's thread, which reports it (publish)
            self.error = exc
        self.seconds = time.perf_counter() - started

    def _on_service(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        if self._cancelled:
            process.kill()

    def stop(self) -> None:
        self._cancelled = True
        if self._process is not None:
            self._process.kill()
        self.join()


def _record(page: Candidate) -> Record | None:
    block = page.block()
    return None if block is None else page_record(_url(page.path), block)


def _digest(language: str, hashes: Mapping[str, list[str | None]]) -> str:
    """Of what the index would be made from: the language and every record, by path (the order they are given to
    Pagefind)."""
    lines = [language] + [f"{p} {entry[1]}" for p, entry in sorted(hashes.items()) if entry[1] is not None]
    return hashlib.blake2b("\n".join(lines).encode(), digest_size=16).hexdigest()


def _all_records(
    cache_dir: Path,
    output_dir: Path,
    candidates: list[Candidate],
    hashes: Mapping[str, list[str | None]],
    read: Mapping[str, Record | None],
) -> dict[str, Record]:
    """Every indexed page's record, by path: read now, or kept from the last index made (read again if lost)."""
    kept = _load(cache_dir / RECORDS_NAME, output_dir).get("records", {})
    records: dict[str, Record] = {}
    for page in candidates:
        wanted = hashes[page.path][1]
        if wanted is None:
            continue
        record = read[page.path] if page.path in read else kept.get(page.path)
        if record is None or _record_hash(record) != wanted:
            record = _record(page)
        if record is not None:
            records[page.path] = record
    return records


def _index(records: list[Record], into: Path, lang: str, started: Callable[[Any], None] | None = None) -> int:
    # One index in the site's language (Pagefind would otherwise split it by language).
    return write_index(records, lang.split("-")[0], into, started)


def _swap(fresh: Path, target: Path) -> None:
    """Put the new index in place of the old one: two renames, the old folder deleted afterwards."""
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, retired)
    os.replace(fresh, target)
    shutil.rmtree(retired, ignore_errors=True)
