"""The on-disk eBay cache: entries keep their fetch time inside, writes are atomic, corrupt entries are misses."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from builder.catalog.cache import CacheEntry, ResponseCache, format_size, request_key

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
RESPONSE = {"total": 1, "itemSummaries": [{"itemId": "v1|123456789|0", "price": {"value": "9.99"}}]}
REQUEST = {"category": "cameras", "params": [["q", "camera"]]}


def test_round_trip_keeps_the_fetch_time_inside_the_entry(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    path = cache.put("k1", NOW - timedelta(hours=2), RESPONSE, REQUEST)
    os.utime(path, (0, 0))  # what a CI cache restore does to file times: must not matter
    entry = cache.get("k1")
    assert entry == CacheEntry("k1", NOW - timedelta(hours=2), RESPONSE, REQUEST)
    assert entry.age(NOW) == timedelta(hours=2)
    assert entry.age(NOW - timedelta(hours=5)) == timedelta(0)  # a clock behind the entry: not negative
    assert json.loads(path.read_text())["fetched_at"] == "2024-05-01T10:00:00+00:00"


def test_missing_entry_is_a_silent_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    assert cache.get("nothing") is None and cache.corrupt == []


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b'{"version": 1, "fetched_at": "2024-05-01T10:00:00+00:00", "resp', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        pytest.param(b"[" * 100_000, "not valid JSON", id="nested-deeper-than-the-parser-recursion-limit"),
        (b'{"version": 99, "fetched_at": "2024-05-01T10:00:00+00:00", "response": {}}', "unknown entry version"),
        (b'{"version": 1, "fetched_at": "yesterday", "response": {}}', "no valid fetched_at"),
        (b'{"version": 1, "fetched_at": "2024-05-01T10:00:00", "response": {}}', "no time zone"),
        (b'{"version": 1, "fetched_at": "2024-05-01T10:00:00+00:00", "response": []}', "no response object"),
    ],
)
def test_corrupt_entry_is_a_miss_and_noted(tmp_path: Path, content: bytes, why: str) -> None:
    cache = ResponseCache(tmp_path)
    cache.path_for("bad").parent.mkdir(parents=True)
    cache.path_for("bad").write_bytes(content)
    assert cache.get("bad") is None
    assert len(cache.corrupt) == 1 and why in cache.corrupt[0][1]


def test_unreadable_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.path_for("dir").mkdir(parents=True)  # a directory where a file should be: reading fails
    assert cache.get("dir") is None
    assert "unreadable" in cache.corrupt[0][1]


def test_write_is_atomic_old_entry_survives_a_failed_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ResponseCache(tmp_path)
    cache.put("k", NOW, RESPONSE, REQUEST)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        cache.put("k", NOW + timedelta(hours=1), {"total": 0}, REQUEST)
    monkeypatch.undo()
    entry = cache.get("k")
    assert entry is not None and entry.response == RESPONSE
    assert [p.name for p in cache.entries_dir.iterdir()] == ["k.json"]  # no temp file left behind


def test_naive_fetch_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ResponseCache(tmp_path).put("k", datetime(2024, 5, 1), RESPONSE, REQUEST)


def test_request_key_is_stable_and_distinguishes_what_changes_the_answer() -> None:
    base = {"method": "GET", "url": "https://api.ebay.com/x", "params": [["q", "a"]], "campaign": "1"}
    assert request_key(base) == request_key(dict(reversed(list(base.items()))))
    assert len(request_key(base)) == 64
    assert request_key(base) != request_key({**base, "campaign": "2"})
    assert request_key(base) != request_key({**base, "params": [["q", "b"]]})


def test_prune_removes_unused_old_corrupt_and_temp_files(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put("used-fresh", NOW - timedelta(hours=1), RESPONSE, REQUEST)
    cache.put("used-old", NOW - timedelta(hours=100), RESPONSE, REQUEST)
    cache.put("unused", NOW, RESPONSE, REQUEST)
    cache.path_for("corrupt").write_text("{")
    (cache.entries_dir / ".used-fresh.json.abc.tmp").write_text("half")
    result = cache.prune({"used-fresh", "used-old"}, timedelta(hours=48), NOW)
    assert [p.stem for p in result.removed_unused] == ["unused"]
    assert [p.stem for p in result.removed_old] == ["used-old"]
    assert [p.stem for p in result.removed_corrupt] == ["corrupt"]
    assert result.removed == 3 and result.freed_bytes > 0
    assert sorted(p.name for p in cache.entries_dir.iterdir()) == ["used-fresh.json"]


def test_prune_without_a_usage_list_keeps_everything_young(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    cache.put("a", NOW, RESPONSE, REQUEST)
    assert cache.prune(None, None, NOW).removed == 0
    assert cache.prune(None, timedelta(0), NOW + timedelta(seconds=1)).removed == 1


def test_stats_count_size_and_ages(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    assert cache.stats().entries == 0
    cache.put("a", NOW - timedelta(hours=3), RESPONSE, REQUEST)
    cache.put("b", NOW, RESPONSE, REQUEST)
    stats = cache.stats()
    assert (stats.entries, stats.oldest, stats.newest) == (2, NOW - timedelta(hours=3), NOW)
    assert stats.bytes == sum(p.stat().st_size for p in cache.files())
    assert stats.describe().startswith("2 entries, ")


def test_format_size() -> None:
    assert format_size(512) == "512 B"
    assert format_size(2048) == "2.0 KB"
    assert format_size(5 * 1024 * 1024) == "5.0 MB"
