"""The unattended rebuild as a site owner's CI runs it: `python -m builder build --live --strict` as a separate
process, against the fake eBay over real HTTP, with the clock moved by the documented test hook (AFFSITE_TEST_NOW,
docs/testing.md) instead of waiting six hours.

Each journey checks what a visitor or the owner would notice: the prices in the published HTML and how long each
page may show them (its `data-fetched` and `data-max-age`), the exit code, the summary, the GitHub annotations, and
how many calls eBay received.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from conftest import REPO, SiteDir
from ebay_fake import CAMPAIGN, CLIENT_ID, CLIENT_SECRET, FakeEbay, ebay_error, fake_ebay
from werkzeug import Response

T0 = datetime(2026, 12, 1, 0, 17, tzinfo=UTC)  # the workflow's cron: minute 17 of every 6th hour
PRICE = re.compile(r'<div class="price(?: is-stale)?" data-fetched="([^"]+)" data-max-age="(\d+)">\s*<p class="(price-\w+)"')


@pytest.fixture
def ebay() -> Iterator[FakeEbay]:
    with fake_ebay() as fake:
        yield fake


@dataclass
class Run:
    code: int
    out: str
    err: str
    calls: int
    at: datetime


class Owner:
    """The site folder as the owner keeps it, and the scheduled job that builds it."""

    def __init__(self, site: SiteDir, ebay: FakeEbay, categories: int, api: str = "", items: int = 3) -> None:
        self.site = site
        self.ebay = ebay
        for path in (site.root / "content" / "categories").iterdir():
            path.unlink()
        self.slugs = [f"cat-{i:02d}" for i in range(categories)]
        for slug in self.slugs:
            ebay.totals[slug] = items
            site.write(f"content/categories/{slug}.yaml", f"title: {slug.title()}\nq: {slug}\nitems: {items}\n")
        # Retries are real sleeps in a separate process: one retry keeps each journey to seconds.
        site.write("site.yaml", site.root.joinpath("site.yaml").read_text() + f"api:\n  retries: 1\n{api}")
        self.summary = site.root.parent / "step-summary.md"

    def build(self, at: datetime, *extra: str, actions: bool = False) -> Run:
        before = len(self.ebay.searches)
        process = self.start(at, *extra, actions=actions)
        out, err = process.communicate(timeout=120)
        return Run(process.returncode, out, err, len(self.ebay.searches) - before, at)

    def start(self, at: datetime, *extra: str, actions: bool = False) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "EBAY_CLIENT_ID": CLIENT_ID,
            "EBAY_CLIENT_SECRET": CLIENT_SECRET,
            "EBAY_CAMPAIGN_ID": CAMPAIGN,
            **self.ebay.environ,
            "AFFSITE_TEST_NOW": at.isoformat(),
            "TZ": "UTC",
        }
        env.pop("GITHUB_ACTIONS", None)
        env.pop("CI", None)
        if actions:
            env.update({"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_STEP_SUMMARY": str(self.summary)})
        command = [sys.executable, "-m", "builder", "build", "--live", "--strict", "--root", str(self.site.root)]
        return subprocess.Popen(
            [*command, *extra], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def prices(self, slug: str) -> list[tuple[datetime, int, str]]:
        """Each price block of a category page: (fetched, max age in seconds, what it shows)."""
        html = (self.site.output / slug / "index.html").read_text()
        return [(datetime.fromisoformat(f), int(age), shown) for f, age, shown in PRICE.findall(html)]

    def shown_until(self, slug: str) -> datetime:
        """Until when the page shows every one of its prices (site.js hides each at fetched + max age)."""
        blocks = self.prices(slug)
        assert blocks, f"{slug} lists no product"
        assert all(shown == "price-live" for _, _, shown in blocks), f"{slug} withholds its prices"
        return min(fetched + timedelta(seconds=age) for fetched, age, _ in blocks)

    def manifest(self) -> dict[str, dict[str, object]]:
        items: dict[str, dict[str, object]] = json.loads((self.site.output / "affsite-manifest.json").read_text())[
            "items"
        ]
        return items


def test_four_scheduled_runs_keep_prices_visible_at_every_moment(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=3)
    # GitHub started the first run 3 minutes late, so at the second the cache is 5 h 57 min old: still within the
    # 6-hour limit, but it would pass it 3 minutes later (the build used to make no call then, and the prices went
    # dark for the next 6 hours). The fourth run is followed by the next at +6 h.
    runs = [T0 + timedelta(minutes=3), *(T0 + timedelta(hours=6 * n) for n in (1, 2, 3))]
    nexts = [*runs[1:], runs[-1] + timedelta(hours=6)]
    for at, next_run in zip(runs, nexts, strict=True):
        run = owner.build(at)
        assert run.code == 0, run.err
        assert run.calls == 3  # every answer would go dark before the next run: all refreshed
        for slug in owner.slugs:
            assert owner.shown_until(slug) >= next_run, f"{slug}'s prices go dark before the run at {next_run}"


def test_one_category_failing_of_20_publishes_the_other_19_fresh(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=20)
    assert owner.build(T0).code == 0
    ebay.failing["cat-07"] = Response("internal error", status=500)
    later = T0 + timedelta(hours=6, minutes=1)
    run = owner.build(later, actions=True)

    assert run.code == 0, run.err  # 1 of 20 (5%) is within --strict's 10%
    assert all(shown == "price-check" for _, _, shown in owner.prices("cat-07")), (owner.prices("cat-07"), run.out)
    for slug in owner.slugs:
        if slug != "cat-07":
            assert owner.shown_until(slug) >= later + timedelta(hours=6)
    line = "published without prices (stale): cat-07 (6.0 h old): eBay answered HTTP 500 INTERNAL SERVER ERROR"
    assert line in run.out
    assert "1 of 20 categories (5%) published without fresh data" in run.out
    assert f"::warning title=affsite build::{line}" in run.out
    assert "cat-07" in owner.summary.read_text() and "**Published, with" in owner.summary.read_text()


def test_a_budget_below_the_need_still_deploys_every_run_stalest_first(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=10, api="  calls_per_build: 9\n")
    left_out: list[str] = []
    for run_number in range(4):
        before = len(ebay.searches)
        run = owner.build(T0 + timedelta(hours=6 * run_number))
        assert run.code == 0, run.err  # 1 of 10 without fresh data: within 10%
        assert run.calls == 9
        called = {call.reference for call in ebay.searches[before:]}
        if left_out:
            assert left_out[-1] in called  # the one left out last time is the stalest now: it goes first
        (missed,) = set(owner.slugs) - called
        left_out.append(missed)
        assert re.search(rf"(not refreshed|without prices|no listings).*{missed}", run.out)  # named in the summary
    assert len(set(left_out)) == 4  # a different category waits each time


def test_two_builds_at_once_both_succeed_and_leave_a_consistent_site(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=6, items=10)
    assert owner.build(T0).code == 0
    # Six hours on, every answer is refetched and every page changes: both builds would write over the same site.
    ebay.delay = 0.3  # each search takes a while, so the two builds surely overlap
    later = T0 + timedelta(hours=6, minutes=1)
    first, second = owner.start(later), owner.start(later)
    results = [process.communicate(timeout=120) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    assert any(
        "waiting for another affsite process (pid" in err and "the output folder" in err for _, err in results
    ), results
    files = {p.relative_to(site_dir.output).as_posix() for p in site_dir.output.rglob("*") if p.is_file()}
    for item in owner.manifest().values():
        assert f"{str(item['path']).strip('/')}/index.html" in files
    for slug in owner.slugs:
        for link in re.findall(r'href="(/p/[^"]+/)"', (site_dir.output / slug / "index.html").read_text()):
            assert f"{link.strip('/')}/index.html" in files
    assert len(owner.manifest()) == 6 * 10
    leftovers = [p for p in site_dir.root.rglob("*") if ".affsite-new" in p.name or ".staging" in p.name]
    assert leftovers == []


def test_ebay_down_everywhere_costs_a_handful_of_calls(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=50)
    assert owner.build(T0).code == 0
    ebay.outage = Response("down for maintenance", status=503)
    later = T0 + timedelta(hours=5)  # the cache is 5 h old: due, but its prices may still be shown
    run = owner.build(later, actions=True)
    assert run.calls <= 5
    assert run.code == 0, run.err
    warnings = [line for line in run.out.splitlines() if line.startswith("::warning") and "circuit breaker" in line]
    assert len(warnings) == 1 and "HTTP 503" in warnings[0]  # said once, with the real cause
    assert all(owner.shown_until(slug) > later for slug in owner.slugs)  # the cache's prices, still in date
    # Six hours on, eBay still down: the cache is past its limit everywhere, so nothing wrong is published.
    run = owner.build(T0 + timedelta(hours=6, minutes=1), actions=True)
    assert run.calls <= 5 and run.code == 1
    assert "50 of 50 categories (100%) have no fresh data" in run.err
    assert "::error title=affsite build::" in run.out
    # The job summary says it failed, and says why once (not the error twice).
    last = owner.summary.read_text().rsplit("## affsite build", 1)[1]
    assert "**Failed: nothing was published.**" in last and last.count("50 of 50 categories") == 1


def test_quota_exhausted_costs_exactly_one_call_and_is_remembered(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=8)
    assert owner.build(T0).code == 0
    ebay.outage = ebay_error(429, 2001, "Too many requests")
    run = owner.build(T0 + timedelta(hours=4))
    assert run.calls == 1
    assert run.code == 0, run.err  # the cached prices are 4 h old: still shown
    assert "eBay says today's call quota is used up" in run.out
    run = owner.build(T0 + timedelta(hours=5))
    assert run.calls == 0
    assert "eBay answered 429 (errorId 2001, today's call quota used up)" in run.out
    assert "call budget" not in run.out


def test_450_items_are_450_products_from_3_calls(site_dir: SiteDir, ebay: FakeEbay) -> None:
    owner = Owner(site_dir, ebay, categories=1, items=450)
    ebay.totals["cat-00"] = 1000
    run = owner.build(T0)
    assert run.code == 0, run.err
    pages = sorted((int(c.params["offset"]), int(c.params["limit"])) for c in ebay.searches)
    assert pages == [(0, 200), (200, 200), (400, 50)]
    assert len(owner.manifest()) == 450
