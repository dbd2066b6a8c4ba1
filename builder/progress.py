"""Progress of the slow phases of a build (fetching from eBay, rendering), so that a slow step is never silent.

On a terminal: a rich progress bar that disappears when the phase ends. Elsewhere (CI logs, pipes): one line when
the phase starts, one when it ends with its duration, and a line every `HEARTBEAT_SECONDS` while it runs, so a
scheduled rebuild that waits on a hanging eBay says so in its log instead of printing nothing for minutes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

log = logging.getLogger("affsite")

HEARTBEAT_SECONDS = 30.0


class Progress:
    def __init__(self, title: str, total: int | None) -> None:
        self.title = title
        self.total = total
        self.done = 0
        self._advance_bar: Callable[[int], None] | None = None

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self._advance_bar is not None:
            self._advance_bar(count)

    def describe(self) -> str:
        return f"{self.done} of {self.total}" if self.total is not None else f"{self.done}"


def interactive() -> bool:
    """A person is watching a terminal (not CI, not a pipe)."""
    return sys.stderr.isatty() and not os.environ.get("CI") and not os.environ.get("GITHUB_ACTIONS")


@contextlib.contextmanager
def phase(title: str, total: int | None = None) -> Iterator[Progress]:
    progress = Progress(title, total)
    started = time.monotonic()
    if interactive():
        from rich.progress import Progress as Bar

        with Bar(transient=True) as bar:
            task = bar.add_task(title, total=total)
            progress._advance_bar = lambda count: bar.advance(task, count)
            yield progress
        log.info("%s: done in %.1f s", title, time.monotonic() - started)
        return
    log.info("%s ...", title)
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            log.info("%s: still running after %.0f s (%s done)", title, time.monotonic() - started, progress.describe())

    thread = threading.Thread(target=heartbeat, name="affsite-heartbeat", daemon=True)
    thread.start()
    try:
        yield progress
    finally:
        stop.set()
        thread.join()
    log.info("%s: done in %.1f s", title, time.monotonic() - started)
