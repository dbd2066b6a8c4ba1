"""One atomic writer for every single file affsite writes: whole or old, never half; temporaries never left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from builder.atomic import write_atomic
from builder.state import BuildState, FileRecord, load_state, save_state


def test_replaces_the_file_and_creates_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.json"
    write_atomic(target, b"{}")
    write_atomic(target, b'{"x": 1}')
    assert target.read_bytes() == b'{"x": 1}'
    assert os.listdir(target.parent) == ["c.json"]
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "ledger.jsonl"
    target.write_bytes(b"old\n")

    def full_disk(_src: object, _dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["ledger.jsonl"]


def test_temporaries_are_named_per_process_and_call_and_synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    renamed: list[str] = []
    synced: list[int] = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src: str, dst: str) -> None:
        renamed.append(os.path.basename(src))
        real_replace(src, dst)

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    write_atomic(tmp_path / "x.json", b"1")
    write_atomic(tmp_path / "x.json", b"2")
    assert len(renamed) == 2 and renamed[0] != renamed[1]
    assert all(name.startswith(f".x.json.{os.getpid()}.") and name.endswith(".tmp") for name in renamed)
    assert len(synced) >= 2  # the data before each rename


def test_the_build_state_is_written_durably_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = BuildState("k", {"index.html": FileRecord("d", 1, 2)}, "inputs")
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    save_state(tmp_path, state)
    assert synced, "the state was not synced to disk before it replaced the old one"
    assert load_state(tmp_path, "k") == state

    def fails(_src: object, _dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", fails)
    save_state(tmp_path, BuildState("k", {}, "other"))  # logged, not raised: the build itself succeeded
    assert sorted(os.listdir(tmp_path)) == ["build-state.json"]
    assert load_state(tmp_path, "k") == state
