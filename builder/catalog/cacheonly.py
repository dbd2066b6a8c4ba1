"""The eBay cache without calls: what the preview reads when there are eBay credentials but no --live."""

from __future__ import annotations

import logging
from datetime import datetime

from ..config import Config
from .files import DEMO_CATALOG_DIR, DirectoryCatalog
from .live import LiveCatalog
from .source import CatalogResult

log = logging.getLogger(__name__)


class CacheOnlyCatalog:
    """The live source with a call budget of 0.

    Nothing cached at all (credentials just set, no build yet): the demo catalog. Some categories cached: those, and
    an empty page with a warning for each category the cache has nothing for (one just added), never a failure: a
    preview must show every other edit while a new category waits for its first live build.
    """

    is_demo = False

    def __init__(self, live: LiveCatalog) -> None:
        self.live = live
        self.description = "the eBay cache (no calls)"
        self._demo = DirectoryCatalog(DEMO_CATALOG_DIR, is_demo=True)

    def load(self, config: Config, now: datetime) -> CatalogResult:
        api = config.site.api.model_copy(update={"calls_per_build": 0})
        offline = config.model_copy(update={"site": config.site.model_copy(update={"api": api})})
        result: CatalogResult = self.live.load(offline, now)
        if result.problems and not result.categories:
            log.warning("the eBay cache has nothing for this site yet: previewing the demo catalog")
            self.is_demo = True
            self.description = self._demo.description
            return self._demo.load(config, now)
        self.is_demo = False
        self.description = "the eBay cache (no calls)"
        result.publish_empty(
            now, "categories have nothing in the eBay cache yet (until a --live build), so their pages are empty"
        )
        return result

    def plan(self, config: Config, now: datetime) -> None:
        """The preview never calls eBay without --live: nothing to plan."""
        return None
