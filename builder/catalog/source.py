"""The catalog source interface: what a build asks of wherever listings come from.

Two implementations: `files.DirectoryCatalog` (a directory of Browse search responses: the demo catalog, tests,
benchmarks) and `live.LiveCatalog` (the Browse API through the on-disk cache and the call budget). Both hand back the
raw Browse `itemSummaries` per category; normalization into Products happens in one place for both (normalize.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config

if TYPE_CHECKING:
    from .plan import Plan


@dataclass
class CategoryData:
    """The Browse item summaries fetched for one category, in result order, across all its pages."""

    slug: str
    items: list[dict[str, Any]]
    fetched_at: datetime
    """When the oldest page of this data was fetched from eBay: the age the category's prices must state."""
    stale_reason: str | None = None
    """Why this data is older than the freshness limit (budget spent, eBay failing), or None when it is fresh."""
    incomplete: str | None = None
    """Why some of the category's pages are missing (a later page failed and nothing is cached for it): the category
    is published without prices, as stale data is."""
    raw_digest: str | None = None
    """A digest of the bytes `items` was parsed from, when the source has them at hand: a build then tells unchanged
    data by it instead of encoding every item again (a tenth of a second per 10,000 items)."""


@dataclass
class ItemData:
    """One listing asked for by id (`Config.lookups`): eBay's getItem answer, or None when eBay says it is gone."""

    item: dict[str, Any] | None
    fetched_at: datetime
    stale_reason: str | None = None
    gone: str | None = None
    """Why there is no item: eBay said it ended or does not exist, or there is no data for it at all."""


@dataclass
class CatalogResult:
    categories: dict[str, CategoryData]
    """Data per category slug; a category missing here has no data at all (the build fails for it)."""
    problems: dict[str, str] = field(default_factory=dict)
    """Why a category has no data, per slug."""
    notes: list[str] = field(default_factory=list)
    """Lines for the build summary: calls made, stale categories and why, cache size."""
    refresh_failed: list[str] = field(default_factory=list)
    """Refreshes that failed while the cached answer is still in date (its prices go dark before the next build)."""
    alerts: list[str] = field(default_factory=list)
    """What the site owner must learn of even when the build succeeds (eBay down, quota gone, the fetch deadline
    passed): warnings in the summary, annotations in GitHub Actions."""
    items: dict[str, ItemData] = field(default_factory=dict)
    """The listings of `Config.lookups`, by legacy id; one missing here has no data at all."""
    empty: dict[str, str] = field(default_factory=dict)
    """Categories this source has no data for that still get a page (one saying no listings match right now), per
    slug with the warning the build gives for them: see `publish_empty`."""

    def publish_empty(self, now: datetime, warning: str) -> None:
        """Give every category without data an empty listing and `warning`, instead of failing the build.

        For the demo catalog and the preview only: a category just added (as the docs say, one YAML file) has no
        demo data and nothing in the cache yet, and must not stop every other edit from being seen. Live builds
        keep their own policy for missing data.
        """
        fetched_at = now.replace(minute=0, second=0, microsecond=0)  # as the demo catalog: stable within the hour
        for slug in sorted(self.problems):
            self.categories[slug] = CategoryData(slug, [], fetched_at)
            self.empty[slug] = warning
        self.problems.clear()


class CatalogSource(Protocol):
    description: str
    """How the build summary names this source ("demo catalog", "eBay Browse API (production)")."""
    is_demo: bool
    """Demo data: pages get a visible banner and noindex."""

    def load(self, config: Config, now: datetime) -> CatalogResult:
        """Fetch (or read) the listings of every category in `config`, as of `now`."""
        ...

    def plan(self, config: Config, now: datetime) -> Plan | None:
        """The eBay calls `load` would make now, making none (`affsite build --plan`); None: this source makes no
        calls (a directory of responses, the demo catalog, the cache alone)."""
        ...
