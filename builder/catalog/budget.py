"""The call budget: a ledger of every eBay call on disk, the daily quota that resets at midnight US Pacific
time, and the per-build limit. A call is charged *before* it is sent, so retries count and a crash never
under-counts.

The ledger is `ebay/ledger.jsonl` in the cache directory, one JSON object per line:
`{"at": "<UTC ISO time>", "kind": "browse", "what": "cameras offset 0", "attempt": 1}`. Only `browse` lines
count against the Browse quota; `token` lines record OAuth grants (a separate, smaller eBay limit); a
`quota_exhausted` line records eBay saying the day's quota is gone (no more calls until the Pacific midnight).
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..atomic import write_atomic

log = logging.getLogger(__name__)

PACIFIC = ZoneInfo("America/Los_Angeles")
LEDGER_FILE = Path("ebay") / "ledger.jsonl"
KEEP_DAYS = 3  # ledger lines older than this many Pacific days are dropped when the ledger is compacted

BROWSE = "browse"
TOKEN = "token"  # noqa: S105 (a ledger kind)
QUOTA_EXHAUSTED = "quota_exhausted"


def pacific_day(at: datetime) -> date:
    """The quota day a moment belongs to: eBay's daily quota resets at midnight America/Los_Angeles."""
    if at.tzinfo is None:
        raise ValueError("a timezone-aware time is needed")
    return at.astimezone(PACIFIC).date()


def next_reset(at: datetime) -> datetime:
    """The next midnight in America/Los_Angeles after `at` (DST-aware), as an aware datetime."""
    tomorrow = pacific_day(at) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=PACIFIC)


def quota_exhausted_words(ledger: Ledger, at: datetime) -> str:
    """The true reason no call is made after eBay said the quota is gone (not "the call budget")."""
    when = ledger.exhausted_at(pacific_day(at))
    said = f" at {when.astimezone(UTC).strftime('%H:%M UTC')}" if when else ""
    reset = next_reset(at)
    return (
        f"eBay answered 429 (errorId 2001, today's call quota used up){said}; no calls until the quota resets at "
        f"{reset.strftime('%Y-%m-%d %H:%M %Z')}"
    )


class BudgetExhausted(Exception):
    """No call may be made: sending one would pass the per-build limit or the daily quota."""


class Ledger:
    """Every call made, on disk, appended (and fsynced) before the call goes out."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = self.path_in(cache_dir)
        self._counts: Counter[tuple[date, str]] = Counter()
        self._exhausted_at: dict[date, datetime] = {}
        self._unreadable = 0
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("the call ledger %s cannot be read (%s); starting a new one", self.path, exc.strerror)
            return
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                at = datetime.fromisoformat(record["at"])
                kind = str(record["kind"])
                day = pacific_day(at)
            except (ValueError, KeyError, TypeError):
                # A torn last line is a write that crashed before its call was sent: nothing to count.
                self._unreadable += 1
                continue
            self._counts[(day, kind)] += 1
            if kind == QUOTA_EXHAUSTED:
                self._exhausted_at.setdefault(day, at)
        if self._unreadable:
            log.warning("the call ledger %s has %d unreadable line(s); they were skipped", self.path, self._unreadable)

    def count(self, day: date, kind: str = BROWSE) -> int:
        return self._counts[(day, kind)]

    def exhausted_on(self, day: date) -> bool:
        """eBay answered "quota exhausted" (429, errorId 2001) on that Pacific day."""
        return self._counts[(day, QUOTA_EXHAUSTED)] > 0

    @staticmethod
    def path_in(cache_dir: Path) -> Path:
        return cache_dir / LEDGER_FILE

    def exhausted_at(self, day: date) -> datetime | None:
        """When eBay first answered "quota exhausted" on that Pacific day."""
        return self._exhausted_at.get(day)

    def record(self, at: datetime, kind: str, what: str = "", attempt: int = 1) -> None:
        """Append one line and fsync it; raises OSError when it cannot (the call must then not be made)."""
        line = json.dumps(
            {"at": at.astimezone(UTC).isoformat(), "kind": kind, "what": what, "attempt": attempt},
            ensure_ascii=True,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        self._counts[(pacific_day(at), kind)] += 1
        if kind == QUOTA_EXHAUSTED:
            self._exhausted_at.setdefault(pacific_day(at), at)

    def compact(self, now: datetime) -> int:
        """Drop lines older than KEEP_DAYS Pacific days; returns how many were dropped."""
        try:
            lines = self.path.read_text("utf-8", errors="replace").splitlines()
        except FileNotFoundError:
            return 0
        cutoff = pacific_day(now) - timedelta(days=KEEP_DAYS)
        kept: list[str] = []
        for line in lines:
            try:
                if pacific_day(datetime.fromisoformat(json.loads(line)["at"])) < cutoff:
                    continue
            except (ValueError, KeyError, TypeError):
                continue
            kept.append(line)
        dropped = len(lines) - len(kept)
        if dropped:
            write_atomic(self.path, "".join(f"{line}\n" for line in kept).encode("ascii"))
            self._counts = Counter({k: v for k, v in self._counts.items() if k[0] >= cutoff})
        return dropped


@dataclass(frozen=True)
class BudgetStatus:
    """What `affsite budget` shows."""

    day: date
    used_today: int
    daily_quota: int
    per_build: int
    reset_at: datetime
    token_grants_today: int
    exhausted_by_ebay: bool

    @property
    def remaining_today(self) -> int:
        return 0 if self.exhausted_by_ebay else max(self.daily_quota - self.used_today, 0)

    @property
    def allowance(self) -> int:
        """The most calls the next build may make."""
        return min(self.per_build, self.remaining_today)

    def describe(self) -> list[str]:
        lines = [
            f"eBay Browse calls today ({self.day.isoformat()}, US Pacific): {self.used_today:,} "
            f"of {self.daily_quota:,}; {self.remaining_today:,} remaining",
            f"the next build may make {self.allowance:,} call(s) (per-build limit {self.per_build:,})",
            f"the quota resets at {self.reset_at.strftime('%Y-%m-%d %H:%M %Z')} "
            f"({self.reset_at.astimezone(UTC).strftime('%H:%M UTC')})",
            f"OAuth token grants today: {self.token_grants_today}",
        ]
        if self.exhausted_by_ebay:
            lines.append("eBay reported the daily quota exhausted today: no calls until the reset")
        return lines


class CallBudget:
    """The hard limit of one build: never make a call that would pass the per-build limit or today's quota."""

    def __init__(self, ledger: Ledger, per_build: int, daily_quota: int) -> None:
        self.ledger = ledger
        self.per_build = per_build
        self.daily_quota = daily_quota
        self.made = 0
        """Browse calls charged by this build, retries included."""

    def remaining_today(self, at: datetime) -> int:
        day = pacific_day(at)
        if self.ledger.exhausted_on(day):
            return 0
        return max(self.daily_quota - self.ledger.count(day), 0)

    def available(self, at: datetime) -> int:
        return max(min(self.per_build - self.made, self.remaining_today(at)), 0)

    def charge(self, at: datetime, what: str, attempt: int = 1) -> None:
        """Record one Browse call about to be sent; BudgetExhausted when it would pass a limit."""
        if self.made >= self.per_build:
            raise BudgetExhausted(f"the per-build limit of {self.per_build} calls is spent")
        if self.remaining_today(at) <= 0:
            if self.ledger.exhausted_on(pacific_day(at)):
                raise BudgetExhausted(quota_exhausted_words(self.ledger, at))
            raise BudgetExhausted(f"today's quota of {self.daily_quota} calls is spent")
        self.ledger.record(at, BROWSE, what, attempt)
        self.made += 1

    def status(self, at: datetime) -> BudgetStatus:
        return status(self.ledger, self.per_build, self.daily_quota, at)


def status(ledger: Ledger, per_build: int, daily_quota: int, at: datetime) -> BudgetStatus:
    day = pacific_day(at)
    return BudgetStatus(
        day=day,
        used_today=ledger.count(day),
        daily_quota=daily_quota,
        per_build=per_build,
        reset_at=next_reset(at),
        token_grants_today=ledger.count(day, TOKEN),
        exhausted_by_ebay=ledger.exhausted_on(day),
    )
