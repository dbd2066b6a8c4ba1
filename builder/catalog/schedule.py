"""Refreshing ahead of expiry: which cached answers a build must refresh so that prices stay visible until the next
scheduled build, and whether the call budget can keep up with that.

A page shows a price for at most `freshness_hours` after eBay answered. The build runs every `rebuild_every_hours`
(the shipped workflow: every 6 hours), and a scheduled run may start late (GitHub starts scheduled workflows minutes
late, sometimes more). So an answer is due for a refresh when it would pass the freshness limit before the next build
could have published: its age now, plus the interval, plus `LATE_MARGIN`, reaches the limit. With the defaults (6 h and
6 h) that is every answer on every run: the only way to keep a 6-hour price visible across a 6-hour gap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from ..config import Config
from .query import search_requests

LATE_MARGIN = timedelta(minutes=30)
"""How late a scheduled build may start (and finish publishing) without the prices going dark before it."""


def horizon(config: Config) -> timedelta:
    """How far ahead of now a build must keep prices visible: until the next scheduled build has published."""
    return timedelta(hours=config.site.rebuild_every_hours) + LATE_MARGIN


def runs_between_refreshes(freshness_hours: float, every_hours: float) -> int:
    """How many scheduled runs one answer lasts: refreshed on every run, every second run, ..."""
    usable = freshness_hours - LATE_MARGIN.total_seconds() / 3600
    return max(1, math.floor(usable / every_hours))


@dataclass(frozen=True)
class Coverage:
    """Whether the call budget covers a full refresh per cycle (`build --plan`, `budget`, `check`)."""

    requests: int
    calls_per_run: int
    """Calls a scheduled run needs on average to keep every price visible."""
    runs_per_day: float
    per_build: int
    daily_quota: int
    every_hours: float
    min_freshness_hours: float

    @property
    def calls_per_day(self) -> int:
        return math.ceil(self.calls_per_run * self.runs_per_day)

    @property
    def covered(self) -> bool:
        return self.calls_per_run <= self.per_build and self.calls_per_day <= self.daily_quota

    @property
    def gap(self) -> bool:
        """The schedule leaves time with no price shown at all, whatever the budget (rebuilds too far apart)."""
        return self.every_hours > self.min_freshness_hours

    def describe(self) -> list[str]:
        lines = [
            f"a full refresh per cycle: {self.calls_per_run:,} call(s) per scheduled run, every "
            f"{self.every_hours:g} h = {self.calls_per_day:,} per day, against a per-build limit of "
            f"{self.per_build:,} and a daily quota of {self.daily_quota:,}: "
            + ("covered" if self.covered else "NOT covered")
        ]
        lines.extend(self.problems())
        return lines

    def problems(self) -> list[str]:
        """What cannot keep prices visible, worded for `affsite check`."""
        out: list[str] = []
        if self.gap:
            out.append(
                f"site.yaml rebuild_every_hours ({self.every_hours:g}) is longer than freshness_hours "
                f"({self.min_freshness_hours:g}): pages hide their prices for part of every interval; rebuild more "
                "often (the workflow's cron and rebuild_every_hours together)"
            )
        if self.calls_per_run > self.per_build:
            out.append(
                f"a full refresh needs {self.calls_per_run:,} calls per run but site.yaml api.calls_per_build is "
                f"{self.per_build:,}: some categories will show no prices until the next run reaches them "
                "(raise calls_per_build, or lower items or the number of categories)"
            )
        if self.calls_per_day > self.daily_quota:
            out.append(
                f"a full refresh every {self.every_hours:g} h needs {self.calls_per_day:,} calls a day but the quota "
                f"(api.daily_quota) is {self.daily_quota:,}: some prices will go dark every day (fewer categories "
                "or items, rebuild less often, or ask eBay for a higher quota)"
            )
        return out


def coverage(config: Config) -> Coverage:
    every = config.site.rebuild_every_hours
    per_run = 0.0
    requests = 0
    shortest = math.inf
    for category in config.categories:
        freshness = config.freshness_hours(category)
        shortest = min(shortest, freshness)
        count = len(search_requests(category, config.site))
        requests += count
        per_run += count / runs_between_refreshes(freshness, every)
    api = config.site.api
    return Coverage(
        requests=requests,
        calls_per_run=math.ceil(per_run),
        runs_per_day=24 / every,
        per_build=api.calls_per_build,
        daily_quota=api.daily_quota,
        every_hours=every,
        min_freshness_hours=shortest if shortest != math.inf else config.site.freshness_hours,
    )
