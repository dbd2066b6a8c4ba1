"""The publish policy: what a build does with categories whose data is not good enough, one category at a time.

All or nothing served nobody: one failing category of fifty kept the other forty-nine from being deployed, and the
old deploy then hid its own prices as they aged. So the policy is per category:

- **fresh**: published as it is.
- **stale** (older than its freshness limit: eBay failed, the budget did not reach it) and **incomplete** (a later
  page failed and nothing is cached for it): published with prices withheld ("Check the current price on eBay"),
  listed in the summary with the reason.
- **missing** (no data at all, nothing cached): published with no listings, listed in the summary.
- **empty** (eBay found nothing for the query): a warning naming the category, never a failure.

The build fails only when more than `max_stale` of the categories are stale, incomplete or missing (`--max-stale`;
10% with `--strict`, no limit without), or when no category has any data at all; the error says which and why.
Nothing wrong is published either way: withheld prices are not shown, and a failed build publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .catalog.plan import format_age
from .catalog.source import CatalogResult, CategoryData
from .config import Config
from .errors import BuildError, UsageError

STRICT_MAX_STALE = 0.10
NO_LISTINGS = "categories have no listings to show"
"""The warning for a query eBay found nothing for: reported, named, and never a reason to refuse a deploy."""


@dataclass
class Assessment:
    total: int
    stale: dict[str, str] = field(default_factory=dict)
    incomplete: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    """slug -> why, per kind of trouble."""
    ages: dict[str, timedelta] = field(default_factory=dict)
    """How old a stale category's data is."""

    @property
    def affected(self) -> dict[str, str]:
        return {**self.stale, **self.incomplete, **self.missing}

    @property
    def withheld(self) -> frozenset[str]:
        """Categories whose prices must not be shown (stale ones hide theirs by age anyway)."""
        return frozenset(self.stale) | frozenset(self.incomplete)

    @property
    def share(self) -> float:
        return len(self.affected) / self.total if self.total else 0.0

    def grouped(self) -> list[str]:
        """One line per kind of trouble and cause, naming the categories: fifty categories stale for one reason (eBay
        down) are one line, in the summary, in the error and as one GitHub annotation."""
        out: list[str] = []
        kinds = (
            ("published without prices (stale)", self.stale),
            ("published without prices (incomplete)", self.incomplete),
            ("published with no listings (no data)", self.missing),
        )
        for head, found in kinds:
            by_reason: dict[str, list[str]] = {}
            for slug, why in sorted(found.items()):
                by_reason.setdefault(why, []).append(slug)
            for why, slugs in by_reason.items():
                shown = ", ".join(slugs[:MAX_NAMED]) + (
                    f" and {len(slugs) - MAX_NAMED} more" if len(slugs) > MAX_NAMED else ""
                )
                ages = [self.ages[slug] for slug in slugs if slug in self.ages]
                age = f" ({'up to ' if len(ages) > 1 else ''}{format_age(max(ages))} old)" if ages else ""
                out.append(f"{head}: {shown}{age}: {why}")
        return out

    def lines(self) -> list[str]:
        out = self.grouped()
        if self.affected:
            out.append(
                f"{len(self.affected)} of {self.total} categories ({self.share:.0%}) published without fresh data"
            )
        return out


MAX_NAMED = 12


def assess(config: Config, result: CatalogResult, now: datetime) -> Assessment:
    """Sort every category into fresh, stale, incomplete or missing; give missing ones empty data to publish."""
    found = Assessment(total=len(config.categories))
    for category in config.categories:
        slug = category.slug
        data = result.categories.get(slug)
        if data is None:
            found.missing[slug] = result.problems.get(slug, "no data")
            result.categories[slug] = CategoryData(slug, [], now)
            continue
        age = now - data.fetched_at
        if age > timedelta(hours=config.freshness_hours(category)):
            found.stale[slug] = data.stale_reason or "older than the freshness limit"
            found.ages[slug] = age
        elif data.incomplete:
            found.incomplete[slug] = data.incomplete
    if found.total and len(found.missing) == found.total:
        raise BuildError(
            "no data for any category, so nothing was published:\n" + "\n".join(f"  {line}" for line in found.grouped())
        )
    return found


def check(found: Assessment, max_stale: float) -> None:
    """Refuse to publish when more than `max_stale` of the site lacks fresh data, saying which and why."""
    if found.share <= max_stale + 1e-9:
        return
    raise BuildError(
        f"{len(found.affected)} of {found.total} categories ({found.share:.0%}) have no fresh data, more than "
        f"--max-stale {max_stale:.0%}, so this build published nothing (the site online stays as it was); it "
        "would have been:\n" + "\n".join(f"  {line}" for line in found.grouped())
    )


def parse_share(value: str) -> float:
    """`--max-stale`: "10%", "0.1" or "0"; a share of the categories from 0 to 1."""
    text = value.strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise UsageError(f"--max-stale {value!r}: give a share of the categories, such as 10% or 0.1 (0 to 100%)")
    return share
