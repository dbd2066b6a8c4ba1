"""One build at a time per output folder, from loading the content to swapping the new site in.

Two builds writing one `output/` at once (a scheduled rebuild and a push, a preview and a manual build) would each
rename their files over the other's and delete what the other just wrote, leaving a site that is half one build and
half the other. So a build holds an exclusive advisory lock (flock) on `.<output name>-build.lock` beside the output folder
for its whole run, with the discipline of the eBay cache's lock (catalog/lock.py): a second build waits, says once
which process it waits for, and gives up with an error naming it after `WAIT_SECONDS`. The kernel drops the lock when
its process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .catalog.lock import WAIT_SECONDS, exclusive


def lock_path(output_dir: Path) -> Path:
    return output_dir.parent / f".{output_dir.name}-build.lock"


@contextlib.contextmanager
def output_lock(
    output_dir: Path,
    *,
    wait_seconds: float = WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    with exclusive(
        lock_path(output_dir),
        f"the output folder {output_dir}",
        "nothing was built",
        wait_seconds=wait_seconds,
        sleep=sleep,
        monotonic=monotonic,
    ):
        yield
