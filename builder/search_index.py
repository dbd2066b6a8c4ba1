"""The site search: a Pagefind index of the published pages, made at the end of a build from what they say.

What is indexed is chosen by the templates, not here: a page is in the index when it has a `data-pagefind-body`
element (the theme's `_search_body.html`, included by the product page, the first page of each category and the guides),
which carries its text, its filters (category, condition, format, price band, shipping), its sort key (price) and
the metadata the results show (photo, price and when it was fetched). Every other page is left out (home, Markdown
pages, the guides list, the search page, ended listings, page 2+ of a category).

Pagefind is not asked to read the pages: that cost about 0.7 ms a page (10,000 pages of HTML parsed for a hidden element
of a few hundred bytes). This module takes that element out of each product page and category first page itself
and gives Pagefind the same text, filters, sort key and metadata as records (pagefind_service.py). A page's record
is kept in the cache folder with the digest of its inputs (state.py), so a rebuild reads only the pages it wrote
again; and when the records are the ones the present index was made from, Pagefind is not run at all (a rebuild in
which no indexed text changed costs about 0.2 s here at 10,000 pages, reading the cache's digests). Pagefind cannot update an index in place, so
otherwise the whole index is made again, beside the output, and swapped in with two renames: a visitor never gets
half an index.

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
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .atomic import write_atomic
from .config import SiteConfig
from .pagefind_service import Record, write_index
from .report import BuildReport
from .state import FileRecord, code_version

log = logging.getLogger(__name__)

INDEX_DIR = "pagefind"  # the bundle's folder in the output: /pagefind/pagefind.js, its WASM, index and fragments
ENTRY = "pagefind-entry.json"  # written last by Pagefind: its presence means a complete index
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
# page 2+ and deeper pages are not even read).
_CANDIDATE = re.compile(r"(?:p/|guides/)?[^/]+/index\.html")
_BODY_START = b"<div data-pagefind-body"
_BODY_END = b"</div>"
_TAG = re.compile(r"<(/?[a-z0-9]+)([^>]*)>([^<]*)", re.I)  # a tag and the text after it, to the next tag
_ATTRIBUTE = re.compile(r'(data-pagefind-(?:meta|filter|sort))="([^"]*)"')
_SPACES = re.compile(r"\s+")
# Pagefind ends the text of a block element that ends in a letter or digit with a full stop, so that words of two blocks are not
# read as one sentence: "Title. Title · Category · New."
_BLOCKS = frozenset({"/h1", "/h2", "/h3", "/h4", "/h5", "/h6", "/p", "/div", "/li"})


@dataclass(frozen=True)
class IndexResult:
    pages: int  # pages Pagefind indexed
    seconds: float


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


@dataclass
class _Pages:
    """The pages that may be indexed: [inputs digest, record hash or None] by path, and the records read now."""

    hashes: dict[str, list[str | None]]
    read: dict[str, Record | None]

    def digest(self, language: str) -> str:
        """Of what the index would be made from: the language and every record, by path (the order they are given to
        Pagefind)."""
        hashes = [language] + [f"{p} {entry[1]}" for p, entry in sorted(self.hashes.items()) if entry[1] is not None]
        return hashlib.blake2b("\n".join(hashes).encode(), digest_size=16).hexdigest()


def _read_page(output_dir: Path, relative: str) -> Record | None:
    with open(f"{output_dir}/{relative}", "rb") as page:
        return page_record(_url(relative), page.read())


def _site_pages(output_dir: Path, files: Mapping[str, FileRecord], known: Mapping[str, Any]) -> _Pages:
    """The hash of every indexable page's record: from `known` when the page's inputs digest is the same, else read
    from the page the build wrote."""
    pages = _Pages({}, {})
    for relative, file in files.items():
        if not _CANDIDATE.fullmatch(relative):
            continue
        entry = known.get(relative)
        if file.digest and entry is not None and entry[0] == file.digest:
            pages.hashes[relative] = entry
            continue
        record = pages.read[relative] = _read_page(output_dir, relative)
        pages.hashes[relative] = [file.digest, _record_hash(record)]
    return pages


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


def _all_records(output_dir: Path, cache_dir: Path, pages: _Pages) -> dict[str, Record]:
    """Every indexable page's record, by path: read now, or kept from the last index made (read again if lost)."""
    kept = _load(cache_dir / RECORDS_NAME, output_dir).get("records", {})
    records: dict[str, Record] = {}
    for path, (_digest, wanted) in pages.hashes.items():
        if wanted is None:
            continue
        record = pages.read[path] if path in pages.read else kept.get(path)
        if record is None or _record_hash(record) != wanted:
            record = _read_page(output_dir, path)
        if record is not None:
            records[path] = record
    return records


def update_index(output_dir: Path, cache_dir: Path, lang: str, files: Mapping[str, FileRecord]) -> IndexResult | None:
    """Make the index of the pages in `files` again, unless the present one was made from the same records; None
    when it was kept.

    Raises OSError or RuntimeError when Pagefind cannot run (no binary for this platform, a failed index).
    """
    started = time.perf_counter()
    hashes_file = cache_dir / HASHES_NAME
    saved = _load(hashes_file, output_dir)
    pages = _site_pages(output_dir, files, saved.get("pages", {}))
    digest = pages.digest(lang)
    if saved.get("index") == digest and index_present(output_dir):
        if saved.get("pages") != pages.hashes:
            _save(hashes_file, output_dir, {"index": digest, "pages": pages.hashes})
        return None
    records = _all_records(output_dir, cache_dir, pages)
    _save(hashes_file, output_dir, {"index": None, "pages": pages.hashes})  # no index recorded until it is in place
    _save(cache_dir / RECORDS_NAME, output_dir, {"records": records})
    fresh = output_dir / f".{INDEX_DIR}.new-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        count = _index([records[path] for path in sorted(records)], fresh, lang)
        for name in _UNUSED:
            target = fresh / name
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        _swap(fresh, output_dir / INDEX_DIR)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    _save(hashes_file, output_dir, {"index": digest, "pages": pages.hashes})
    return IndexResult(count, time.perf_counter() - started)


def _index(records: list[Record], into: Path, lang: str) -> int:
    # One index in the site's language (Pagefind would otherwise split it by language).
    return write_index(records, lang.split("-")[0], into)


def _swap(fresh: Path, target: Path) -> None:
    """Put the new index in place of the old one: two renames, the old folder deleted afterwards."""
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        os.replace(target, retired)
    os.replace(fresh, target)
    shutil.rmtree(retired, ignore_errors=True)


def index_after_build(
    output_dir: Path, cache_dir: Path, site: SiteConfig, files: Mapping[str, FileRecord], report: BuildReport
) -> None:
    """The build's last step (the pages are published): index them again if what they give the index changed, and
    say so in the report.

    A site without search is still a site: when Pagefind cannot run, the build warns (so --strict and the next
    build notice: the index is missing, so the next build tries again) instead of failing after publishing.
    """
    if not site.search:
        shutil.rmtree(output_dir / INDEX_DIR, ignore_errors=True)  # search turned off: its index goes too
        return
    try:
        result = update_index(output_dir, cache_dir, site.lang, files)
    except (OSError, RuntimeError, ValueError) as exc:
        report.warn(f"the search index was not made (Pagefind: {exc}); search shows no results until it is")
        return
    if result is not None:
        report.notes.append(f"search: {result.pages} pages indexed in {result.seconds:.2f}s")
