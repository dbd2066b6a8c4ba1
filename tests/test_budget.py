"""The call budget: the ledger on disk, the Pacific-midnight reset, the hard limits, the planner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from builder.catalog.budget import (
    QUOTA_EXHAUSTED,
    TOKEN,
    BudgetExhausted,
    CallBudget,
    Ledger,
    next_reset,
    pacific_day,
    status,
)
from builder.catalog.cache import CacheEntry
from builder.catalog.plan import Need, Plan, make_plan
from builder.catalog.query import SearchRequest

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 05:00 PDT
PACIFIC_MIDNIGHT = datetime(2024, 5, 2, 7, 0, tzinfo=UTC)  # 00:00 PDT on May 2


def test_quota_day_turns_at_pacific_midnight_not_utc() -> None:
    assert pacific_day(datetime(2024, 5, 2, 6, 59, 59, tzinfo=UTC)) == date(2024, 5, 1)
    assert pacific_day(PACIFIC_MIDNIGHT) == date(2024, 5, 2)
    assert pacific_day(datetime(2024, 1, 15, 7, 59, tzinfo=UTC)) == date(2024, 1, 14)  # PST: UTC-8
    assert pacific_day(datetime(2024, 1, 15, 8, 0, tzinfo=UTC)) == date(2024, 1, 15)
    with pytest.raises(ValueError):
        pacific_day(datetime(2024, 5, 1))


def test_next_reset_follows_daylight_saving() -> None:
    assert next_reset(NOW).astimezone(UTC) == PACIFIC_MIDNIGHT
    assert next_reset(datetime(2024, 1, 15, 12, tzinfo=UTC)).astimezone(UTC) == datetime(2024, 1, 16, 8, tzinfo=UTC)
    # The night the clocks go forward (10 March 2024): the next reset is still local midnight.
    assert next_reset(datetime(2024, 3, 10, 12, tzinfo=UTC)).astimezone(UTC) == datetime(2024, 3, 11, 7, tzinfo=UTC)


def test_ledger_survives_the_process_and_resets_at_pacific_midnight(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for i in range(3):
        ledger.record(NOW, "browse", f"cameras offset {i}")
    ledger.record(NOW, TOKEN, "oauth token")
    again = Ledger(tmp_path)  # a new process reads the file
    assert again.count(date(2024, 5, 1)) == 3 and again.count(date(2024, 5, 1), TOKEN) == 1
    before = status(again, per_build=500, daily_quota=5, at=PACIFIC_MIDNIGHT - timedelta(seconds=1))
    after = status(again, per_build=500, daily_quota=5, at=PACIFIC_MIDNIGHT)
    assert (before.used_today, before.remaining_today) == (3, 2)
    assert (after.used_today, after.remaining_today) == (0, 5)
    assert after.reset_at.astimezone(UTC) == PACIFIC_MIDNIGHT + timedelta(days=1)


def test_a_torn_last_line_is_skipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ledger = Ledger(tmp_path)
    ledger.record(NOW, "browse", "a")
    with ledger.path.open("a") as handle:
        handle.write('{"at": "2024-05-01T12:0')
    assert Ledger(tmp_path).count(date(2024, 5, 1)) == 1
    assert "1 unreadable line" in caplog.text


def test_charge_is_written_before_the_call_and_limits_are_hard(tmp_path: Path) -> None:
    budget = CallBudget(Ledger(tmp_path), per_build=3, daily_quota=100)
    for attempt in (1, 2, 3):
        budget.charge(NOW, "cameras offset 0", attempt)
        assert len(budget.ledger.path.read_text().splitlines()) == attempt  # on disk at once
    with pytest.raises(BudgetExhausted, match="per-build limit of 3"):
        budget.charge(NOW, "one more")
    assert budget.made == 3 and Ledger(tmp_path).count(date(2024, 5, 1)) == 3


def test_daily_quota_counts_earlier_builds(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    for _ in range(4):
        ledger.record(NOW - timedelta(hours=2), "browse")
    budget = CallBudget(Ledger(tmp_path), per_build=500, daily_quota=5)
    assert budget.available(NOW) == 1
    budget.charge(NOW, "last one")
    with pytest.raises(BudgetExhausted, match="today's quota of 5 calls"):
        budget.charge(NOW, "too many")
    assert budget.available(PACIFIC_MIDNIGHT) == 5  # a new day: the full quota again


def test_quota_exhausted_by_ebay_blocks_until_the_reset(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record(NOW, QUOTA_EXHAUSTED)
    budget = CallBudget(Ledger(tmp_path), per_build=500, daily_quota=5000)
    with pytest.raises(BudgetExhausted, match=r"eBay answered 429 \(errorId 2001"):
        budget.charge(NOW + timedelta(hours=1), "x")
    assert budget.available(PACIFIC_MIDNIGHT) == 500
    assert "exhausted today" in status(ledger, 500, 5000, NOW).describe()[-1]


def test_compact_drops_old_days_only(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record(NOW - timedelta(days=10), "browse")
    ledger.record(NOW, "browse")
    assert ledger.compact(NOW) == 1
    assert Ledger(tmp_path).count(date(2024, 5, 1)) == 1
    assert ledger.compact(NOW) == 0


def test_status_describe(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.record(NOW, "browse")
    lines = status(ledger, per_build=10, daily_quota=5000, at=NOW).describe()
    assert lines[0] == "eBay Browse calls today (2024-05-01, US Pacific): 1 of 5,000; 4,999 remaining"
    assert lines[1] == "the next build may make 10 call(s) (per-build limit 10)"
    assert lines[2] == "the quota resets at 2024-05-02 00:00 PDT (07:00 UTC)"


# --- the planner ------------------------------------------------------------------------------------------


def need(slug: str, age_hours: float | None, freshness: float = 6.0) -> Need:
    request = SearchRequest(slug, (("q", slug), ("limit", "50"), ("offset", "0")))
    entry = None if age_hours is None else CacheEntry(slug, NOW - timedelta(hours=age_hours), {"total": 0})
    return Need(request, slug, {}, entry, timedelta(hours=freshness))


def test_fresh_is_free_uncached_first_then_stalest_up_to_the_allowance() -> None:
    needs = [
        need("fresh", 1),
        need("stale-8h", 8),
        need("uncached-a", None),
        need("stale-30h", 30),
        need("stale-7h", 7),
        need("uncached-b", None),
        need("own-limit", 2, freshness=1),  # stale by its category's 1-hour limit
    ]
    planned = {p.request.category: p.action for p in make_plan(needs, allowance=4, now=NOW)}
    assert planned == {
        "fresh": "fresh",
        "uncached-a": "call",
        "uncached-b": "call",
        "stale-30h": "call",
        "stale-8h": "call",
        "stale-7h": "stale",
        "own-limit": "stale",
    }


def test_planner_never_plans_past_the_allowance() -> None:
    needs = [need(f"c{i}", None if i % 3 else 10 + i) for i in range(30)]
    for allowance in (0, 1, 10, 29, 30, 100):
        planned = make_plan(needs, allowance, NOW)
        assert len([p for p in planned if p.action == "call"]) == min(allowance, 30)


def test_plan_describe_says_what_it_costs(tmp_path: Path) -> None:
    needs = [need("fresh", 1), need("old", 9), need("new", None), need("older", 20)]
    ledger = Ledger(tmp_path)
    budget = status(ledger, per_build=2, daily_quota=5000, at=NOW)
    plan = Plan(NOW, "eBay Browse API (production)", make_plan(needs, 2, NOW), budget, 2)
    text = "\n".join(plan.describe())
    assert "4 request(s) for 4 categories as of 2024-05-01 12:00 UTC" in text
    assert "fresh in the cache until the next scheduled build (free): 1" in text
    assert "to call: 2 of the 3 not fresh; budget 2" in text
    assert "call new (offset 0): not cached" in text
    assert "call older (offset 0): cached 20.0 h ago" in text
    assert "stale old (offset 0): 9.0 h old, prices withheld" in text
    assert text.splitlines()[-1] == "cost: 2 call(s), plus retries if eBay fails (at most 2 in all)"
