"""One function chooses the catalog source, from plain arguments, for `affsite build` and the preview alike."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from builder.catalog.cacheonly import CacheOnlyCatalog
from builder.catalog.choose import choose_source
from builder.catalog.files import DirectoryCatalog
from builder.catalog.live import LiveCatalog
from builder.catalog.source import CatalogResult, CategoryData
from builder.content import load_site
from builder.errors import UsageError

KEYS = {"EBAY_CLIENT_ID": "id", "EBAY_CLIENT_SECRET": "secret"}
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_a_catalog_directory_wins_and_must_exist(tmp_path: Path) -> None:
    source = choose_source(cache_dir=tmp_path, catalog_dir=tmp_path, environ=KEYS)
    assert isinstance(source, DirectoryCatalog) and not source.is_demo
    with pytest.raises(UsageError, match="no such directory"):
        choose_source(cache_dir=tmp_path, catalog_dir=tmp_path / "nope", environ=KEYS)


def test_without_keys_the_demo_catalog_which_has_nothing_to_plan(tmp_path: Path) -> None:
    source = choose_source(cache_dir=tmp_path, environ={})
    assert isinstance(source, DirectoryCatalog) and source.is_demo
    site = load_site(Path(__file__).resolve().parents[1])
    assert source.plan(site.config, NOW) is None
    with pytest.raises(UsageError, match="--live needs eBay credentials"):
        choose_source(cache_dir=tmp_path, live=True, environ={})


def test_with_keys_live_calls_unless_the_preview_asks_for_the_cache_alone(tmp_path: Path) -> None:
    assert isinstance(choose_source(cache_dir=tmp_path, environ=KEYS), LiveCatalog)
    assert isinstance(choose_source(cache_dir=tmp_path, live=True, calls=False, environ=KEYS), LiveCatalog)
    cached = choose_source(cache_dir=tmp_path, calls=False, environ=KEYS)
    assert isinstance(cached, CacheOnlyCatalog) and cached.live.cache_dir == tmp_path


class _Cache:
    """Plays the live source with a call budget of 0: answers for the cached categories, problems for the rest."""

    def __init__(self, cached: set[str]) -> None:
        self.cached = cached
        self.budgets: list[int] = []

    def load(self, config: Any, now: datetime) -> CatalogResult:
        self.budgets.append(config.site.api.calls_per_build)
        result = CatalogResult(categories={})
        for category in config.categories:
            if category.slug in self.cached:
                result.categories[category.slug] = CategoryData(category.slug, [], now)
            else:
                result.problems[category.slug] = "no eBay data and nothing cached: no calls allowed"
        return result


def test_the_preview_shows_a_category_missing_from_the_cache_as_empty() -> None:
    config = load_site(Path(__file__).resolve().parents[1]).config
    slugs = [c.slug for c in config.categories]
    cache = _Cache(set(slugs[1:]))
    source = CacheOnlyCatalog(cache)  # type: ignore[arg-type]
    result = source.load(config, NOW)
    assert cache.budgets == [0]
    assert result.problems == {} and not source.is_demo
    assert result.categories[slugs[0]].items == []
    assert "nothing in the eBay cache yet" in result.empty[slugs[0]]
    assert set(result.empty) == {slugs[0]}


def test_the_preview_shows_the_demo_catalog_when_nothing_is_cached() -> None:
    config = load_site(Path(__file__).resolve().parents[1]).config
    source = CacheOnlyCatalog(_Cache(set()))  # type: ignore[arg-type]
    result = source.load(config, NOW)
    assert source.is_demo and source.description == "the bundled demo catalog"
    assert result.problems == {} and all(result.categories[c.slug].items for c in config.categories)
