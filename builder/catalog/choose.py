"""Which catalog source a build or the preview reads: decided here, from plain arguments, for both.

--catalog-dir DIR        the Browse responses in DIR (tests, benchmarks, a saved catalog)
no eBay credentials      the bundled demo catalog (`--live` refuses instead)
credentials              the Browse API through the cache and the call budget; with `calls=False` (the preview
                         without --live) only what the cache already holds, no calls
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import UsageError
from .files import DEMO_CATALOG_DIR, DirectoryCatalog
from .source import CatalogSource


def choose_source(
    *,
    cache_dir: Path,
    live: bool = False,
    catalog_dir: Path | None = None,
    calls: bool = True,
    refresh_ahead: bool = True,
    environ: Mapping[str, str] | None = None,
) -> CatalogSource:
    """The source for these arguments. `environ` is where credentials are read (default: the process's).

    `refresh_ahead=False` (`--only-expired`): a live build refreshes only what has expired, not what would expire
    before the next scheduled build (schedule.py)."""
    if catalog_dir is not None:
        if not catalog_dir.is_dir():
            raise UsageError(f"--catalog-dir {catalog_dir}: no such directory")
        return DirectoryCatalog(catalog_dir)
    from .credentials import credentials_from_env

    credentials = credentials_from_env(environ)
    if credentials is None:
        if live:
            raise UsageError(
                "--live needs eBay credentials: set EBAY_CLIENT_ID and EBAY_CLIENT_SECRET in the environment "
                "(without --live, affsite builds from the demo catalog)"
            )
        return DirectoryCatalog(DEMO_CATALOG_DIR, is_demo=True)
    from .live import LiveCatalog

    source = LiveCatalog(credentials, cache_dir, environ=environ)
    source.refresh_ahead = refresh_ahead
    if live or calls:
        return source
    from .cacheonly import CacheOnlyCatalog

    return CacheOnlyCatalog(source)
