"""One process at a time spends eBay calls from a cache directory.

A build reads the call ledger once, when it starts, and then charges its calls against those counts: two builds
sharing a cache directory at the same moment (a scheduled rebuild and a manual one, say) would each believe the
whole remaining daily quota was theirs. `cache prune` and the ledger's compaction also rewrite files another process
may be appending to. So a live build and a prune hold an exclusive advisory lock (flock) on `<cache>/ebay/lock`.

The kernel drops a flock when its process ends, however it ends, so a crashed build never leaves a stale lock. A
process that finds the lock taken waits for it (saying so once), up to a limit, then stops with an error naming
the process that holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import BuildError

log = logging.getLogger(__name__)

LOCK_FILE = Path("ebay") / "lock"
WAIT_SECONDS = 15 * 60  # longer than any build should take; the scheduled workflow's timeout is shorter
POLL_SECONDS = 0.25


@contextlib.contextmanager
def cache_lock(
    cache_dir: Path,
    *,
    wait_seconds: float = WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold the cache directory's lock for the block, waiting up to `wait_seconds` for another process to let go."""
    with exclusive(
        cache_dir / LOCK_FILE,
        f"the eBay cache in {cache_dir / LOCK_FILE.parent}",
        "nothing was fetched",
        wait_seconds=wait_seconds,
        sleep=sleep,
        monotonic=monotonic,
    ):
        yield


@contextlib.contextmanager
def exclusive(
    path: Path,
    what: str,
    consequence: str,
    *,
    wait_seconds: float = WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold an flock on `path` for the block (`what` names the thing it guards in messages)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BuildError(f"cannot create the lock file {path} ({exc.strerror}): {what} must be writable") from None
    try:
        _acquire(fd, path, what, consequence, wait_seconds, sleep, monotonic)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # who holds it, for the message another process shows
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(
    fd: int,
    path: Path,
    what: str,
    consequence: str,
    wait_seconds: float,
    sleep: Callable[[float], None],
    monotonic: Callable[[], float],
) -> None:
    deadline = monotonic() + wait_seconds
    said = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = _holder(path)
        if monotonic() >= deadline:
            raise BuildError(
                f"another affsite process ({holder}) has been using {what} for more than {wait_seconds:.0f} s; "
                f"{consequence}. Wait for it to finish, or stop it."
            )
        if not said:
            log.warning("waiting for another affsite process (%s) using %s", holder, what)
            said = True
        sleep(POLL_SECONDS)


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "pid unknown"
