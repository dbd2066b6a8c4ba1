"""The build's use of the cycle collector: paused while it builds its data, on (for new objects) while rendering,
and always handed back as it was found, even when the build fails."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SiteDir

from builder.build import BuildOptions, build_site
from builder.catalog.files import DirectoryCatalog
from builder.catalog.source import CatalogResult
from builder.config import Config
from builder.content import load_site
from builder.errors import BuildError
from builder.heap import collecting_only_new_objects, collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.unfreeze()  # start from nothing frozen, whatever ran before
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def _churn() -> None:
    """Allocate enough tracked objects to trigger the collector's automatic young-generation passes."""
    for _ in range(20):
        [[] for _ in range(1000)]


def test_cyclic_garbage_made_while_paused_waits_and_made_while_rendering_is_collected() -> None:
    gc.enable()
    with collector_paused():
        paused = Cycle()
        made_while_paused = weakref.ref(paused)
        del paused
        _churn()
        assert made_while_paused() is not None  # no automatic collection while paused
        with collecting_only_new_objects():
            rendering = Cycle()
            made_while_rendering = weakref.ref(rendering)
            del rendering
            _churn()
            assert made_while_rendering() is None  # collected automatically, no gc.collect() call
            assert made_while_paused() is not None  # frozen: the render's collections do not walk it
    gc.collect()
    assert made_while_paused() is None  # nothing leaks once the build hands the collector back


@pytest.mark.parametrize("enabled", [True, False])
def test_both_hand_back_the_state_they_found_even_on_failure(enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    with pytest.raises(RuntimeError), collector_paused(), collecting_only_new_objects():
        raise RuntimeError("a failing render")
    assert gc.isenabled() is enabled
    assert gc.get_freeze_count() == 0


def test_objects_someone_else_froze_stay_frozen() -> None:
    kept = [[] for _ in range(100)]
    gc.freeze()
    assert gc.get_freeze_count() >= len(kept)
    with collector_paused(), collecting_only_new_objects():
        pass
    # Not "the same count": other threads of the test process may free frozen objects meanwhile. Thawing would
    # have emptied the permanent generation.
    assert gc.get_freeze_count() >= len(kept)


class Observed(DirectoryCatalog):
    """A catalog source that notes the collector's state while the build loads its data."""

    def __init__(self, directory: Path, seen: list[tuple[str, bool, int]]) -> None:
        super().__init__(directory)
        self.seen = seen

    def load(self, config: Config, now: datetime) -> CatalogResult:
        self.seen.append(("load", gc.isenabled(), gc.get_freeze_count()))
        return super().load(config, now)


def test_a_build_loads_with_the_collector_paused_and_renders_with_it_on(
    site_dir: SiteDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    import builder.render

    seen: list[tuple[str, bool, int]] = []
    render = builder.render.Renderer.render

    def observed_render(self: Any, job: Any) -> bytes:
        seen.append(("render", gc.isenabled(), gc.get_freeze_count()))
        return render(self, job)

    monkeypatch.setattr(builder.render.Renderer, "render", observed_render)
    gc.enable()
    site = load_site(site_dir.root)
    options = BuildOptions(site_dir.root, site_dir.output, site_dir.root / ".cache")
    build_site(site, Observed(site_dir.catalog, seen), options, NOW)
    assert seen[0] == ("load", False, 0)
    renders = [s for s in seen if s[0] == "render"]
    assert renders and all(enabled and frozen > 0 for _, enabled, frozen in renders)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_failed_build_hands_the_collector_back(site_dir: SiteDir, build_site_fn: Any) -> None:
    gc.enable()
    site_dir.write("templates/product.html", "{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}")
    with pytest.raises(BuildError):
        build_site_fn(site_dir)
    assert gc.isenabled() and gc.get_freeze_count() == 0
