"""How a build uses CPython's cycle collector.

A build allocates millions of long-lived objects (parsed eBay responses, products, page jobs, file records) and
almost no cyclic garbage. The collector's full passes walk every tracked object, and a growing heap triggers them
again and again, so with the collector on, time per page grew with the catalog (measured: 22% more per page at
50,000 items than at 10,000, all of it in loading, normalizing and planning). The build therefore pauses the collector
while it builds its data (a live build's network calls included: their cycles wait until the build ends), and
renders with it on but blind to that data (frozen), so the garbage of rendering, which user templates may make
cyclic, is still collected.

`gc.unfreeze` thaws every frozen object, not only the ones frozen here; so when something else in the process has
frozen objects already (a server that freezes before forking, say), these helpers leave freezing alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cycle collection inside the block (reference counting still frees what is dropped)."""
    was_enabled = gc.isenabled()
    ours_to_freeze = gc.get_freeze_count() == 0
    gc.disable()
    try:
        yield
    finally:
        if ours_to_freeze:
            # Everything made inside is still in the youngest generation; on its own, the first allocation after
            # re-enabling would walk all of it. Freezing and thawing moves it to the oldest generation at no cost.
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


@contextmanager
def collecting_only_new_objects() -> Iterator[None]:
    """Cycle collection on, over objects made inside the block only: everything older is frozen until it ends.

    Forked workers started inside the block inherit this, which also keeps them from writing to (and so copying)
    the memory pages of the parent's objects just to scan them.
    """
    was_enabled = gc.isenabled()
    ours_to_freeze = gc.get_freeze_count() == 0
    if ours_to_freeze:
        gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        if ours_to_freeze:
            gc.unfreeze()
        if not was_enabled:
            gc.disable()
