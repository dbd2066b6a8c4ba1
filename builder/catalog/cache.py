"""The on-disk cache of eBay answers: one JSON file per distinct request, written atomically.

Each entry holds the time it was fetched *inside* the file, because a CI cache restore resets file times.
A corrupt or unreadable entry is a miss (reported once per build, grouped), never a crash. Only successful
answers are stored.

Layout under the cache directory: `ebay/search/<sha256 of the request identity>.json`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ..atomic import write_atomic

log = logging.getLogger(__name__)

ENTRY_VERSION = 1
SEARCH_DIR = Path("ebay") / "search"


def request_key(identity: Mapping[str, Any]) -> str:
    """A stable name for one distinct request: sha256 of its canonical JSON (method, URL, params, headers that
    change the answer such as marketplace and campaign)."""
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    key: str
    fetched_at: datetime
    """When eBay answered (timezone-aware); read from inside the file, never from its mtime."""
    response: dict[str, Any]
    request: dict[str, Any] = field(default_factory=dict)
    """The request identity (category, params, marketplace, ...), for `cache info` and debugging."""

    def age(self, now: datetime) -> timedelta:
        return max(now - self.fetched_at, timedelta(0))


@dataclass
class CacheStats:
    entries: int
    bytes: int
    oldest: datetime | None
    newest: datetime | None

    def describe(self) -> str:
        return f"{self.entries} entries, {format_size(self.bytes)}"


@dataclass
class PruneResult:
    removed_unused: list[Path] = field(default_factory=list)
    removed_old: list[Path] = field(default_factory=list)
    removed_corrupt: list[Path] = field(default_factory=list)
    freed_bytes: int = 0

    @property
    def removed(self) -> int:
        return len(self.removed_unused) + len(self.removed_old) + len(self.removed_corrupt)


class ResponseCache:
    """Successful eBay answers on disk, keyed by `request_key`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.entries_dir = directory / SEARCH_DIR
        self.corrupt: list[tuple[Path, str]] = []
        """Entries found unreadable since this object was made: (path, why), for one grouped warning."""

    def path_for(self, key: str) -> Path:
        return self.entries_dir / f"{key}.json"

    def get(self, key: str) -> CacheEntry | None:
        path = self.path_for(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._note_corrupt(path, f"unreadable ({exc.strerror or exc})")
            return None
        try:
            return _parse_entry(key, raw)
        except ValueError as exc:
            self._note_corrupt(path, str(exc))
            return None

    def put(self, key: str, fetched_at: datetime, response: Mapping[str, Any], request: Mapping[str, Any]) -> Path:
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        document = {
            "version": ENTRY_VERSION,
            "fetched_at": fetched_at.isoformat(),
            "request": dict(request),
            "response": dict(response),
        }
        path = self.path_for(key)
        write_atomic(path, orjson.dumps(document))
        return path

    def files(self) -> Iterator[Path]:
        if not self.entries_dir.is_dir():
            return
        yield from sorted(self.entries_dir.glob("*.json"))

    def stats(self) -> CacheStats:
        count = size = 0
        oldest: datetime | None = None
        newest: datetime | None = None
        for path in self.files():
            try:
                raw = path.read_bytes()
                entry = _parse_entry(path.stem, raw)
            except (OSError, ValueError):
                continue
            count += 1
            size += len(raw)
            oldest = entry.fetched_at if oldest is None else min(oldest, entry.fetched_at)
            newest = entry.fetched_at if newest is None else max(newest, entry.fetched_at)
        return CacheStats(count, size, oldest, newest)

    def prune(self, used: Iterable[str] | None, older_than: timedelta | None, now: datetime) -> PruneResult:
        """Delete entries no request uses any more (when `used` is given), entries fetched longer ago than
        `older_than`, corrupt entries, and temp files left by a crash."""
        keep = None if used is None else set(used)
        result = PruneResult()
        for path in self.files():
            try:
                size = path.stat().st_size
                entry = _parse_entry(path.stem, path.read_bytes())
            except (OSError, ValueError):
                bucket = result.removed_corrupt
            else:
                if keep is not None and path.stem not in keep:
                    bucket = result.removed_unused
                elif older_than is not None and entry.age(now) > older_than:
                    bucket = result.removed_old
                else:
                    continue
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            bucket.append(path)
            result.freed_bytes += size
        if self.entries_dir.is_dir():
            for temp in self.entries_dir.glob(".*.tmp"):
                temp.unlink(missing_ok=True)
        return result

    def _note_corrupt(self, path: Path, why: str) -> None:
        log.debug("cache entry %s is unusable: %s", path, why)
        self.corrupt.append((path, why))


def _parse_entry(key: str, raw: bytes) -> CacheEntry:
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:  # also raised for bad UTF-8 and nesting too deep
        raise ValueError(f"not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    if document.get("version") != ENTRY_VERSION:
        raise ValueError(f"unknown entry version {document.get('version')!r}")
    response = document.get("response")
    if not isinstance(response, dict):
        raise ValueError("has no response object")
    try:
        fetched_at = datetime.fromisoformat(str(document.get("fetched_at")))
    except ValueError:
        raise ValueError("has no valid fetched_at time") from None
    if fetched_at.tzinfo is None:
        raise ValueError("fetched_at has no time zone")
    request = document.get("request")
    return CacheEntry(key, fetched_at, response, request if isinstance(request, dict) else {})


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover
