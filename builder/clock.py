"""The one clock every part of affsite reads, and the test hook that moves it.

Code asks `clock.now()` (or takes a `Callable[[], datetime]` defaulting to it) instead of calling
`datetime.now(UTC)` itself, so that tests which walk a whole journey over hours (four scheduled rebuilds six hours
apart, a mail retried over an afternoon) can move time for the CLI and the endpoint as separate processes.

The test hook is the environment variable `AFFSITE_TEST_NOW` (documented in docs/testing.md). It is read by this
module only, and it is never set in production:

- `AFFSITE_TEST_NOW=2026-12-02T06:00:00+00:00`: the process's time starts at that instant and runs on at real speed.
- `AFFSITE_TEST_NOW=@/path/to/file`: the file holds such an instant. It is read again whenever it changes, so a test
  can move the time of a server that is already running; time runs on at real speed from each new instant.

A value that is not an instant is an error naming the variable, not a silent fall back to the real time: a journey
that meant to run six hours later must not pass by running now.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import UsageError

TEST_HOOK = "AFFSITE_TEST_NOW"


def now() -> datetime:
    """The current time, timezone-aware in UTC (moved only by the AFFSITE_TEST_NOW test hook)."""
    hook = os.environ.get(TEST_HOOK)
    if not hook:
        return datetime.now(UTC)
    if hook.startswith("@"):
        return _from_file(Path(hook[1:]))
    return _from_start(hook)


_started = time.monotonic()
_file_reads: dict[Path, tuple[int, datetime, float]] = {}  # path -> (mtime_ns, instant, monotonic when read)


def _from_start(value: str) -> datetime:
    return _parse(value, TEST_HOOK) + _elapsed(_started)


def _from_file(path: Path) -> datetime:
    try:
        mtime_ns = path.stat().st_mtime_ns
        seen = _file_reads.get(path)
        if seen is None or seen[0] != mtime_ns:
            instant = _parse(path.read_text(encoding="utf-8").strip(), f"{TEST_HOOK} file {path}")
            seen = (mtime_ns, instant, time.monotonic())
            _file_reads[path] = seen
    except OSError as exc:
        raise UsageError(f"{TEST_HOOK}: cannot read the clock file {path}: {exc.strerror}") from None
    return seen[1] + _elapsed(seen[2])


def _elapsed(since: float) -> timedelta:
    return timedelta(seconds=time.monotonic() - since)


def _parse(value: str, where: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise UsageError(
            f"{where}: {value!r} is not an ISO-8601 instant with a time zone, e.g. 2026-12-02T06:00:00+00:00"
        )
    return instant.astimezone(UTC)
