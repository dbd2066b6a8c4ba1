"""The build's use of the cycle collector: paused while it builds its data, on (for new objects) while rendering,
and always handed back as it was found, even when the build fails."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SiteDir

from builder.errors import BuildError
from builder.heap import collecting_only_new_objects, collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_paused_restores_the_state_it_found(enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("a failing build")
    assert gc.isenabled() is enabled


@pytest.mark.parametrize("enabled", [True, False])
def test_collecting_only_new_objects_freezes_the_old_ones_then_thaws_them(enabled: bool) -> None:
    gc.enable() if enabled else gc.disable()
    old = [object() for _ in range(10)]
    with pytest.raises(RuntimeError), collecting_only_new_objects():
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(old)
        raise RuntimeError("a failing render")
    assert gc.get_freeze_count() == 0
    assert gc.isenabled() is enabled


def test_cyclic_garbage_made_while_rendering_is_collected() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    with collector_paused(), collecting_only_new_objects():
        for _ in range(10):
            Node()  # unreachable, kept alive by its own cycle
        assert gc.collect() >= 10


def test_a_build_hands_the_collector_back_as_it_found_it(site_dir: SiteDir, build_site_fn: Any) -> None:
    gc.enable()
    build_site_fn(site_dir)
    assert gc.isenabled() and gc.get_freeze_count() == 0

    site_dir.write("templates/product.html", "{% extends 'base.html' %}{% block main %}{{ nope }}{% endblock %}")
    with pytest.raises(BuildError):
        build_site_fn(site_dir)
    assert gc.isenabled() and gc.get_freeze_count() == 0
