"""The clock's test hook: AFFSITE_TEST_NOW moves time for a whole process, and for a running one through a file."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from builder import clock
from builder.errors import UsageError


def test_without_the_hook_it_is_the_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.TEST_HOOK, raising=False)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert clock.now().tzinfo is UTC


def test_an_instant_starts_the_clock_there_and_it_runs_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.TEST_HOOK, "2031-05-01T10:00:00+02:00")
    first = clock.now()
    assert datetime(2031, 5, 1, 8, 0, tzinfo=UTC) <= first < datetime(2031, 5, 1, 8, 0, tzinfo=UTC) + timedelta(days=1)
    assert clock.now() >= first


def test_a_clock_file_moves_a_running_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "now"
    path.write_text("2031-05-01T08:00:00Z\n")
    monkeypatch.setenv(clock.TEST_HOOK, f"@{path}")
    assert clock.now() - datetime(2031, 5, 1, 8, 0, tzinfo=UTC) < timedelta(minutes=1)
    path.write_text("2031-05-01T14:00:00Z\n")
    os.utime(path, ns=(1, 1))  # a new mtime even on filesystems with coarse timestamps
    assert clock.now() - datetime(2031, 5, 1, 14, 0, tzinfo=UTC) < timedelta(minutes=1)


@pytest.mark.parametrize("value", ["tomorrow", "2031-05-01T08:00:00", "@/nonexistent/clock"])
def test_a_bad_hook_is_an_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(clock.TEST_HOOK, value)
    with pytest.raises(UsageError, match=clock.TEST_HOOK):
        clock.now()


def test_the_cli_runs_at_the_hooks_time(tmp_path: Path) -> None:
    """A separate process (as journeys run the CLI) sees the moved time."""
    code = "from builder import clock; print(clock.now().isoformat())"
    env = {"AFFSITE_TEST_NOW": "2031-05-01T08:00:00Z", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.startswith("2031-05-01T08:00:0")
