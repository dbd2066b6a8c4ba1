"""A catalog read from a directory of Browse search responses: `<dir>/<category-slug>.json`, and of getItem
responses for the listings asked for by id: `<dir>/items/<legacy item id>.json`.

The demo catalog, the tests and the benchmarks use it. Each file is exactly the JSON body of `item_summary/search`.
A missing or broken file leaves that category without data (the build says which file and what is wrong). The
demo catalog is the exception: a category it has no file for (one the site just added) gets an empty page and a
warning, so that the demo build and the preview keep working while a new category is written.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import orjson

from ..config import Config
from .source import CatalogResult, CategoryData, ItemData

DEMO_CATALOG_DIR = Path(__file__).resolve().parent.parent / "demo_catalog"
MAX_FILE_BYTES = 256 * 1024 * 1024


class DirectoryCatalog:
    """Reads `<directory>/<slug>.json` for each category.

    A response file counts as fetched when it was saved (its modification time, never later than the build), so an
    unchanged directory gives an unchanged site. The demo catalog is the exception: its files are as old as the
    checkout, and its prices would all read as stale; it counts as fetched at the start of the build's hour.
    """

    def __init__(self, directory: Path, *, is_demo: bool = False) -> None:
        self.directory = directory
        self.is_demo = is_demo
        self.description = "the bundled demo catalog" if is_demo else f"catalog directory {directory}"

    def load(self, config: Config, now: datetime) -> CatalogResult:
        result = CatalogResult(categories={})
        directory = self.directory_for(config)
        for category in config.categories:
            path = directory / f"{category.slug}.json"
            try:
                stat = path.stat()
                if stat.st_size > MAX_FILE_BYTES:
                    result.problems[category.slug] = f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB"
                    continue
                raw = path.read_bytes()
                document = orjson.loads(raw)
            except FileNotFoundError:
                result.problems[category.slug] = f"no file {path}"
                continue
            except OSError as exc:
                result.problems[category.slug] = f"{path} cannot be read: {exc.strerror}"
                continue
            except ValueError as exc:
                result.problems[category.slug] = f"{path} is not valid JSON: {exc}"
                continue
            items = document.get("itemSummaries", []) if isinstance(document, dict) else None
            if not isinstance(items, list):
                result.problems[category.slug] = f"{path} is not a Browse search response (no itemSummaries list)"
                continue
            if self.is_demo:
                fetched_at = now.replace(minute=0, second=0, microsecond=0)
            else:
                fetched_at = min(now, datetime.fromtimestamp(stat.st_mtime, UTC))
            digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
            result.categories[category.slug] = CategoryData(category.slug, items, fetched_at, raw_digest=digest)
        for legacy_id in config.lookups:
            result.items[legacy_id] = self._item(legacy_id, now)
        if self.is_demo:
            result.publish_empty(now, "categories have no data in the demo catalog, so their pages are empty")
        return result

    def directory_for(self, config: Config) -> Path:
        """Where an edition's responses are: `<dir>/<marketplace id>/` (`EBAY_DE/`) when a site with editions has
        one for its marketplace, else `<dir>` itself (the responses of a site without editions, or of the edition
        at /)."""
        if config.site.editions:
            folder = self.directory / config.site.marketplace
            if folder.is_dir():
                return folder
        return self.directory

    def _item(self, legacy_id: str, now: datetime) -> ItemData:
        """`items/<legacy id>.json`, the JSON body of `item/{item_id}`; a missing file is a listing eBay no longer
        has (a guide shows its "ended" state), not a failed build."""
        path = self.directory / "items" / f"{legacy_id}.json"
        try:
            stat = path.stat()
            if stat.st_size > MAX_FILE_BYTES:
                return ItemData(None, now, gone=f"{path} is larger than {MAX_FILE_BYTES // 2**20} MiB")
            document = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return ItemData(None, now, gone=f"no file {path}")
        except OSError as exc:
            return ItemData(None, now, gone=f"{path} cannot be read: {exc.strerror}")
        except ValueError as exc:
            return ItemData(None, now, gone=f"{path} is not valid JSON: {exc}")
        if not isinstance(document, dict):
            return ItemData(None, now, gone=f"{path} is not a Browse item response (not an object)")
        if self.is_demo:
            fetched_at = now.replace(minute=0, second=0, microsecond=0)
        else:
            fetched_at = min(now, datetime.fromtimestamp(stat.st_mtime, UTC))
        return ItemData(document, fetched_at)

    def plan(self, config: Config, now: datetime) -> None:
        """A directory of responses makes no eBay calls: nothing to plan."""
        return None
