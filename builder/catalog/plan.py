"""The plan of one build's eBay calls: which requests are fresh in the cache (free), which get a call, and
which are served stale because the budget cannot cover them. Making a plan makes no calls.

The budget is spent where it matters most: requests with no cached data first, then the stalest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from .budget import BudgetStatus
from .cache import CacheEntry
from .query import SearchRequest

Action = Literal["fresh", "call", "stale", "missing"]


@dataclass(frozen=True)
class Need:
    """One request the content needs, with what the cache holds for it."""

    request: SearchRequest
    key: str
    identity: dict[str, Any]
    entry: CacheEntry | None
    freshness: timedelta

    def is_fresh(self, now: datetime) -> bool:
        """Its price may be shown now."""
        return self.entry is not None and self.entry.age(now) < self.freshness

    def is_due(self, now: datetime, horizon: timedelta) -> bool:
        """It must be refreshed now: its price would go dark before `horizon` has passed (see schedule.py)."""
        return self.entry is None or self.entry.age(now) + horizon >= self.freshness


@dataclass(frozen=True)
class PlannedRequest:
    need: Need
    action: Action
    """fresh: served from the cache (it lasts until the next scheduled build); call: fetched; stale/missing: due,
    but the budget does not reach it (a stale answer may still be young enough to show its price for a while)."""

    @property
    def request(self) -> SearchRequest:
        return self.need.request


@dataclass
class Plan:
    now: datetime
    source: str
    requests: list[PlannedRequest]
    budget: BudgetStatus
    allowance: int
    notes: list[str] = field(default_factory=list)

    def of(self, action: Action) -> list[PlannedRequest]:
        return [p for p in self.requests if p.action == action]

    @property
    def calls(self) -> list[PlannedRequest]:
        return self.of("call")

    def describe(self) -> list[str]:
        """What `affsite build --plan` prints."""
        fresh, calls, stale, missing = (self.of(a) for a in ("fresh", "call", "stale", "missing"))
        categories = len({p.request.category for p in self.requests if p.request.item_id is None})
        by_id = sum(1 for p in self.requests if p.request.item_id is not None)
        lines = [
            f"{self.source}: {len(self.requests)} request(s) for {categories} categories"
            + (f" and {by_id} listing(s) by id" if by_id else "")
            + f" as of {format_time(self.now)}",
            f"  fresh in the cache until the next scheduled build (free): {len(fresh)}",
            f"  to call: {len(calls)} of the {len(calls) + len(stale) + len(missing)} not fresh; "
            f"budget {self.allowance} (per-build limit {self.budget.per_build:,}, "
            f"{self.budget.remaining_today:,} of {self.budget.daily_quota:,} left today, "
            f"resets {self.budget.reset_at.strftime('%Y-%m-%d %H:%M %Z')})",
        ]
        for planned in calls:
            entry = planned.need.entry
            why = "not cached" if entry is None else f"cached {format_age(entry.age(self.now))} ago"
            lines.append(f"    call {planned.request.describe()}: {why}")
        if stale:
            lines.append(f"  not refreshed, beyond the budget (served from the cache): {len(stale)}")
            for planned in stale:
                assert planned.need.entry is not None
                age = format_age(planned.need.entry.age(self.now))
                shown = "price still shown" if planned.need.is_fresh(self.now) else "prices withheld"
                lines.append(f"    stale {planned.request.describe()}: {age} old, {shown}")
        if missing:
            lines.append(f"  no data, beyond the budget, not cached: {len(missing)} (published with no listings)")
            for planned in missing:
                lines.append(f"    missing {planned.request.describe()}")
        lines.append(f"cost: {len(calls)} call(s), plus retries if eBay fails (at most {self.allowance} in all)")
        lines.extend(self.notes)
        return lines


def make_plan(
    needs: Sequence[Need], allowance: int, now: datetime, horizon: timedelta = timedelta(0)
) -> list[PlannedRequest]:
    """Entries that last past `horizon` cost nothing; of the rest the uncached come first, then the stalest, to
    `allowance`."""
    due = [i for i, need in enumerate(needs) if need.is_due(now, horizon)]
    earliest = datetime.min.replace(tzinfo=UTC)

    def priority(index: int) -> tuple[int, datetime, int]:
        entry = needs[index].entry
        return (0, earliest, index) if entry is None else (1, entry.fetched_at, index)

    chosen = set(sorted(due, key=priority)[: max(allowance, 0)])
    planned: list[PlannedRequest] = []
    for i, need in enumerate(needs):
        if not need.is_due(now, horizon):
            action: Action = "fresh"
        elif i in chosen:
            action = "call"
        else:
            action = "stale" if need.entry is not None else "missing"
        planned.append(PlannedRequest(need, action))
    return planned


def call_order(planned: Sequence[PlannedRequest]) -> list[PlannedRequest]:
    """The calls, most needed first (the order they queue for the concurrency bound)."""
    earliest = datetime.min.replace(tzinfo=UTC)
    calls = [p for p in planned if p.action == "call"]
    return sorted(
        calls,
        key=lambda p: (0, earliest) if p.need.entry is None else (1, p.need.entry.fetched_at),
    )


def format_age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 1:
        return f"{max(int(age.total_seconds() // 60), 0)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
