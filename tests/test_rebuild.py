"""The parts of the unattended rebuild below the journeys: the breaker, the quota stop, paging, time sanity, the
messages that must name the real cause, the schedule coverage, the publish policy and the Actions output."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import SiteDir
from ebay_fake import CAMPAIGN, CLIENT_ID, CLIENT_SECRET, NOW, FakeEbay, category, ebay_error, fake_ebay, site_config
from werkzeug import Response

from builder.actions import report_to_actions
from builder.catalog.breaker import CircuitBreaker
from builder.catalog.credentials import Credentials
from builder.catalog.live import LiveCatalog
from builder.catalog.schedule import coverage, runs_between_refreshes
from builder.catalog.source import CatalogResult
from builder.config import Config
from builder.errors import BuildError, UsageError
from builder.publish import parse_share
from builder.report import BuildReport
from builder.secret import Secret

CREDS = Credentials(Secret(CLIENT_ID), Secret(CLIENT_SECRET))


@pytest.fixture
def ebay() -> Iterator[FakeEbay]:
    with fake_ebay() as fake:
        yield fake


def live(ebay: FakeEbay, cache_dir: Path) -> LiveCatalog:
    return LiveCatalog(
        CREDS,
        cache_dir,
        sleep=lambda seconds: None,
        environ={**ebay.environ, "EBAY_CAMPAIGN_ID": CAMPAIGN},
        monotonic=lambda: 0.0,
    )


def config(tmp_path: Path, count: int, **api: object) -> Config:
    return site_config(tmp_path, [category(f"c{i:02d}") for i in range(count)], **api)


# --- eBay down costs little -------------------------------------------------------------------------------------


def test_the_breaker_opens_on_distinct_requests_failing_alike_and_a_success_resets_it() -> None:
    breaker = CircuitBreaker(threshold=3)
    assert not breaker.failure("5xx", "a", "HTTP 503")
    assert not breaker.failure("5xx", "a", "HTTP 503")  # the same request again: its own retries, not an outage
    assert not breaker.failure("5xx", "b", "HTTP 503")
    breaker.success()
    assert not breaker.failure("5xx", "c", "HTTP 503") and not breaker.failure("timeout", "d", "no answer")
    assert not breaker.failure("timeout", "e", "no answer")
    assert breaker.failure("timeout", "f", "no answer") and breaker.open
    assert "no answer, and so did 2 other request(s) in a row" in (breaker.reason or "")


def test_503_everywhere_stops_after_a_few_calls_and_says_so_once(
    ebay: FakeEbay, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(tmp_path, 30)
    ebay.outage = Response("down", status=503)
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    # The first alone, then the others at once until three distinct requests have failed; with no backoff sleep here
    # a few retries slip in meanwhile. Before: 4 tries of each of the 30 (120 calls).
    assert len(ebay.searches) <= 8
    (alert,) = result.alerts
    assert "HTTP 503" in alert and "circuit breaker" in alert
    assert len([r for r in caplog.records if "circuit breaker" in r.getMessage()]) == 1


def test_one_failing_category_does_not_trip_the_breaker(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, 8, retries=3)
    ebay.failing["c00"] = Response("broken", status=500)
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert len(ebay.searches_for("c00")) == 4 and result.alerts == []
    assert set(result.categories) == {f"c{i:02d}" for i in range(1, 8)}


def test_quota_exhausted_sends_exactly_one_call_however_many_could_go_at_once(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, 12, concurrency=8)
    ebay.outage = ebay_error(429, 2001, "Too many requests")
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert len(ebay.searches) == 1
    assert "eBay says today's call quota is used up" in result.alerts[0]
    again = live(ebay, tmp_path / ".cache").load(cfg, NOW + timedelta(hours=1))
    assert len(ebay.searches) == 1
    assert "eBay answered 429 (errorId 2001, today's call quota used up) at 12:00 UTC" in again.problems["c00"]
    assert "call budget" not in again.problems["c00"]


def test_the_fetch_phase_has_a_deadline(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, 2, fetch_deadline_seconds=0.3, timeout_seconds=5.0)
    ebay.delay = 1.0
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert "passed its deadline of 0.3 s" in result.problems["c00"]
    assert any("eBay was too slow" in alert for alert in result.alerts)


def test_a_categorys_pages_are_fetched_at_once_after_the_first(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = site_config(tmp_path, [category("big", items=1000)], concurrency=4)
    ebay.totals["big"] = 5000
    ebay.delay = 0.2
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert len(result.categories["big"].items) == 1000 and len(ebay.searches) == 5
    assert ebay.max_in_flight == 4  # before: one page after another


def test_items_is_honoured_with_the_fewest_calls(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = site_config(tmp_path, [category("a", items=450), category("b", items=201)])
    ebay.totals.update({"a": 1000, "b": 1000})
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert sorted((int(c.params["offset"]), c.params["limit"]) for c in ebay.searches_for("a")) == [
        (0, "200"),
        (200, "200"),
        (400, "50"),
    ]
    assert sorted((int(c.params["offset"]), c.params["limit"]) for c in ebay.searches_for("b")) == [
        (0, "200"),
        (200, "1"),
    ]
    assert len(result.categories["a"].items) == 450 and len(result.categories["b"].items) == 201


def test_a_later_page_failing_with_nothing_cached_makes_the_category_incomplete(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = site_config(tmp_path, [category("a", items=400)], retries=0)
    ebay.totals["a"] = 1000
    ebay.search_scripts["a"] = [Response(_page_json("a"), content_type="application/json"), Response("x", status=502)]
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert "listings from offset 200 are missing and not cached" in (result.categories["a"].incomplete or "")


def _page_json(slug: str) -> str:
    import json

    from ebay_fake import search_page

    return json.dumps(search_page(slug, 1000, 200, 0))


# --- messages that name the real cause ---------------------------------------------------------------------------


def test_token_retries_are_not_reported_as_browse_retries(ebay: FakeEbay, tmp_path: Path) -> None:
    ebay.token_script = [Response("busy", status=503)]
    result = live(ebay, tmp_path / ".cache").load(config(tmp_path, 1), NOW)
    assert "1 call(s) made," in result.notes[0] and "retries" not in result.notes[0]


def test_a_503_that_outlasts_the_budget_is_reported_as_the_503(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, 1, calls_per_build=2, retries=3)
    ebay.outage = Response("down", status=503)
    result = live(ebay, tmp_path / ".cache").load(cfg, NOW)
    why = result.problems["c00"]
    assert "HTTP 503 SERVICE UNAVAILABLE after 2 tries" in why and "so it was not tried again" in why


# --- time sanity, unwritable cache -------------------------------------------------------------------------------


def test_a_cache_entry_from_the_future_counts_as_missing_with_one_warning(
    ebay: FakeEbay, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(tmp_path, 2)
    catalog = live(ebay, tmp_path / ".cache")
    catalog.load(cfg, NOW + timedelta(hours=3))  # written by a machine whose clock ran 3 hours ahead
    caplog.clear()
    result = catalog.load(cfg, NOW)
    assert len(ebay.searches) == 4  # refetched, not fresh
    assert result.categories["c00"].fetched_at == NOW  # no "Price as of" in the future
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("2 eBay cache entries are dated in the future")


def test_a_ledger_that_cannot_be_written_is_an_error_naming_it(ebay: FakeEbay, tmp_path: Path) -> None:
    (tmp_path / ".cache" / "ebay" / "ledger.jsonl").mkdir(parents=True)
    with pytest.raises(BuildError, match=r"the eBay call ledger .*ledger.jsonl cannot be written \(Is a directory\)"):
        live(ebay, tmp_path / ".cache").load(config(tmp_path, 1), NOW)
    assert ebay.searches == []


def test_a_cache_folder_that_is_a_file_is_an_error_naming_it(ebay: FakeEbay, tmp_path: Path) -> None:
    (tmp_path / ".cache").write_text("not a folder")
    with pytest.raises(BuildError, match=r"\.cache.* must be writable|\.cache.*cannot be written"):
        live(ebay, tmp_path / ".cache").load(config(tmp_path, 1), NOW)


# --- the schedule ---------------------------------------------------------------------------------------------


def test_runs_between_refreshes() -> None:
    assert runs_between_refreshes(6, 6) == 1
    assert runs_between_refreshes(6, 3) == 1
    assert runs_between_refreshes(6, 2) == 2
    assert runs_between_refreshes(6, 1) == 5


def test_coverage_says_when_the_quota_cannot_keep_prices_visible(tmp_path: Path) -> None:
    # 50 categories of 5 pages, 4 runs a day: 1,000 calls a run, 4,000 a day.
    cfg = site_config(tmp_path, [category(f"c{i}", items=1000) for i in range(50)], daily_quota=3000)
    found = coverage(cfg)
    assert (found.calls_per_run, found.calls_per_day, found.covered) == (250, 1000, True)
    cfg = site_config(
        tmp_path, [category(f"c{i}", items=1000) for i in range(50)], daily_quota=900, calls_per_build=200
    )
    problems = coverage(cfg).problems()
    assert any("needs 250 calls per run but site.yaml api.calls_per_build is 200" in p for p in problems)
    assert any("needs 1,000 calls a day but the quota (api.daily_quota) is 900" in p for p in problems)


def test_check_warns_about_settings_that_cannot_keep_prices_visible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from builder.cli import main

    (tmp_path / "content" / "categories").mkdir(parents=True)
    (tmp_path / "site.yaml").write_text(
        "title: T\nbase_url: https://t.example.com\nrebuild_every_hours: 8\napi:\n  daily_quota: 100\n"
    )
    for i in range(10):
        (tmp_path / "content" / "categories" / f"c{i}.yaml").write_text(f"title: C{i}\nq: c{i}\nitems: 1000\n")
    assert main(["check", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "warning: site.yaml rebuild_every_hours (8) is longer than freshness_hours (6)" in out
    assert "warning: a full refresh every 8 h needs 150 calls a day but the quota (api.daily_quota) is 100" in out


def test_plan_shows_whether_the_budget_covers_a_full_refresh(ebay: FakeEbay, tmp_path: Path) -> None:
    lines = live(ebay, tmp_path / ".cache").plan(config(tmp_path, 3), NOW).describe()
    assert any(line.startswith("a full refresh per cycle: 3 call(s) per scheduled run") for line in lines)


# --- the publish policy and what the owner sees in Actions ----------------------------------------------------


@pytest.mark.parametrize(("text", "share"), [("10%", 0.1), ("0.25", 0.25), ("0", 0.0), ("100%", 1.0)])
def test_max_stale_reads_a_share(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["", "ten", "150%", "-1"])
def test_max_stale_refuses_what_is_not_a_share(text: str) -> None:
    with pytest.raises(UsageError, match="--max-stale"):
        parse_share(text)


def test_actions_annotations_and_job_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    report_to_actions(["cat-07: 100% stale\nsecond line"], None, ["built 3 pages"], env)
    out = capsys.readouterr().out
    assert out == "::warning title=affsite build::cat-07: 100%25 stale%0Asecond line\n"
    assert "- cat-07: 100% stale" in summary.read_text() and "built 3 pages" in summary.read_text()
    report_to_actions([], "3 of 4 categories have no fresh data", ["x"], env)
    assert capsys.readouterr().out == "::error title=affsite build::3 of 4 categories have no fresh data\n"
    assert "**Failed: nothing was published.**" in summary.read_text()
    report_to_actions(["x"], None, ["x"], {})  # outside Actions: nothing
    assert capsys.readouterr().out == ""


def test_only_expired_refreshes_nothing_that_is_still_in_date(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, 2)
    catalog = live(ebay, tmp_path / ".cache")
    catalog.load(cfg, NOW)
    catalog.refresh_ahead = False  # a push or a local build: the next scheduled run refreshes ahead
    catalog.load(cfg, NOW + timedelta(hours=5, minutes=59))
    assert len(ebay.searches) == 2
    catalog.load(cfg, NOW + timedelta(hours=6, minutes=1))
    assert len(ebay.searches) == 4


def test_an_incomplete_category_is_published_without_prices(site_dir: SiteDir) -> None:
    from conftest import NOW as SITE_NOW

    from builder.build import BuildOptions, build_site
    from builder.catalog.files import DirectoryCatalog
    from builder.content import load_site

    class Incomplete(DirectoryCatalog):
        def load(self, config: Config, now: datetime) -> CatalogResult:
            result = super().load(config, now)
            result.categories["lenses"].incomplete = "listings from offset 200 are missing and not cached (HTTP 502)"
            return result

    options = BuildOptions(site_dir.root, site_dir.output, site_dir.root / ".cache")
    report = build_site(load_site(site_dir.root), Incomplete(site_dir.catalog), options, SITE_NOW)
    lenses = (site_dir.output / "lenses/index.html").read_text()
    cameras = (site_dir.output / "cameras/index.html").read_text()
    assert 'class="price-live"' not in lenses and 'class="price-check"' in lenses
    assert 'class="price-live"' in cameras
    line = (
        "published without prices (incomplete): lenses: listings from offset 200 are missing and not cached (HTTP 502)"
    )
    assert line in report.lines()


def test_a_query_with_no_results_is_a_warning_naming_it_not_a_failed_strict_build(
    site_dir: SiteDir, build_site_fn: Callable[..., BuildReport]
) -> None:
    site_dir.set_items("lenses", [])
    report = build_site_fn(site_dir, strict=True)
    assert "warning: categories have no listings to show: lenses" in report.lines()
    assert "categories have no listings to show: lenses" in report.owner_warnings()


def test_a_failed_refresh_of_data_still_in_date_is_said(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, 3, retries=0)
    catalog = live(ebay, tmp_path / ".cache")
    catalog.load(cfg, NOW)
    ebay.failing["c01"] = Response("broken", status=500)
    result = catalog.load(cfg, NOW + timedelta(hours=4))
    assert result.categories["c01"].fetched_at == NOW and result.categories["c01"].stale_reason is None
    (alert,) = result.alerts
    assert alert.startswith("not refreshed, served from the cache until its prices expire: c01: eBay answered HTTP 500")


def test_a_phase_says_when_it_starts_and_ends_in_a_log(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder import progress

    monkeypatch.setattr(progress, "HEARTBEAT_SECONDS", 0.05)
    caplog.set_level(logging.INFO, logger="affsite")
    with progress.phase("fetching 3 eBay request(s)", total=3) as running:
        running.advance()
        import time

        time.sleep(0.2)  # a slow step: the heartbeat speaks meanwhile
    lines = [r.getMessage() for r in caplog.records if r.name == "affsite"]
    assert lines[0] == "fetching 3 eBay request(s) ..."
    assert any(
        line.startswith("fetching 3 eBay request(s): still running after") and "(1 of 3 done)" in line for line in lines
    )
    assert lines[-1].startswith("fetching 3 eBay request(s): done in ")
