"""The cache directory's lock: one process at a time spends calls (or prunes), across real processes."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ebay_fake import NOW, FakeEbay, fake_ebay
from test_live import catalog, config

from builder.catalog.lock import LOCK_FILE, cache_lock
from builder.errors import BuildError

HOLD = """
import sys, time
from pathlib import Path
from builder.catalog.lock import cache_lock
with cache_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


class Holder:
    """Another affsite process holding the lock of `cache_dir` for `seconds`."""

    def __init__(self, cache_dir: Path, seconds: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(cache_dir), str(seconds)], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "held"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Holder]:
    held = Holder(tmp_path / ".cache", 60)
    try:
        yield held
    finally:
        held.stop()


def test_waits_for_the_other_process_and_says_who_it_is(
    tmp_path: Path, holder: Holder, caplog: pytest.LogCaptureFixture
) -> None:
    threading.Timer(0.5, holder.stop).start()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), cache_lock(tmp_path / ".cache"):
        waited = time.monotonic() - started
    assert waited >= 0.4
    assert [r.getMessage() for r in caplog.records] == [
        f"waiting for another affsite process (pid {holder.process.pid}) using the eBay cache in "
        f"{tmp_path / '.cache' / 'ebay'}"
    ]


def test_gives_up_after_the_limit_with_an_error_naming_the_holder(tmp_path: Path, holder: Holder) -> None:
    expected = rf"another affsite process \(pid {holder.process.pid}\) has been using"
    with pytest.raises(BuildError, match=expected), cache_lock(tmp_path / ".cache", wait_seconds=0.3):
        pytest.fail("the lock was taken twice")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    held = Holder(tmp_path / ".cache", 60)
    held.process.send_signal(signal.SIGKILL)
    held.process.wait()
    assert (tmp_path / ".cache" / LOCK_FILE).read_text().strip() == str(held.process.pid)  # its pid is still there
    with cache_lock(tmp_path / ".cache", wait_seconds=0):
        assert (tmp_path / ".cache" / LOCK_FILE).read_text().strip() != str(held.process.pid)


def test_a_live_build_makes_no_call_while_another_process_holds_the_cache(tmp_path: Path, holder: Holder) -> None:
    with fake_ebay() as ebay:
        results: list[object] = []
        build = threading.Thread(
            target=lambda: results.append(catalog(ebay, tmp_path / ".cache").load(config(tmp_path, ["cameras"]), NOW))
        )
        build.start()
        time.sleep(0.5)
        assert build.is_alive() and _calls(ebay) == 0
        holder.stop()
        build.join(timeout=30)
        assert not build.is_alive() and len(results) == 1
        assert _calls(ebay) == 1


def _calls(ebay: FakeEbay) -> int:
    return len(ebay.searches)
