"""LiveCatalog against a fake eBay: cache freshness, the budget invariant, and eBay's bad days."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from ebay_fake import (
    CAMPAIGN,
    CLIENT_ID,
    CLIENT_SECRET,
    NOW,
    FakeEbay,
    category,
    ebay_error,
    fake_ebay,
    search_page,
    site_config,
    slow,
)
from werkzeug import Response

from builder.catalog.budget import Ledger
from builder.catalog.cache import ResponseCache
from builder.catalog.credentials import Credentials
from builder.catalog.files import DirectoryCatalog
from builder.catalog.live import EbayRejectedError, LiveCatalog
from builder.config import Config
from builder.errors import UsageError
from builder.secret import Secret

CREDS = Credentials(Secret(CLIENT_ID), Secret(CLIENT_SECRET))
TODAY = date(2024, 5, 1)


@pytest.fixture
def ebay() -> Iterator[FakeEbay]:
    with fake_ebay() as fake:
        yield fake


def catalog(ebay: FakeEbay, cache_dir: Path, sleeps: list[float] | None = None) -> LiveCatalog:
    return LiveCatalog(
        CREDS,
        cache_dir,
        sleep=(sleeps if sleeps is not None else []).append,
        environ={**ebay.environ, "EBAY_CAMPAIGN_ID": CAMPAIGN},
        monotonic=lambda: 0.0,
    )


def config(tmp_path: Path, slugs: list[str], **api: object) -> Config:
    return site_config(tmp_path, [category(slug) for slug in slugs], **api)


def test_live_load_hands_back_the_same_items_as_a_response_directory(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, ["cameras", "lenses"])
    result = catalog(ebay, tmp_path / ".cache").load(cfg, NOW)
    responses = tmp_path / "responses"
    responses.mkdir()
    for slug in ("cameras", "lenses"):
        (responses / f"{slug}.json").write_text(json.dumps(search_page(slug, 3, 3, 0)))
    from_files = DirectoryCatalog(responses).load(cfg, NOW)
    assert result.problems == {}
    for slug in ("cameras", "lenses"):
        assert result.categories[slug].items == from_files.categories[slug].items
        assert result.categories[slug].fetched_at == NOW and result.categories[slug].stale_reason is None
        assert f"campid={CAMPAIGN}" in result.categories[slug].items[0]["itemAffiliateWebUrl"]
    assert {c.reference for c in ebay.searches} == {"cameras", "lenses"}
    assert all(f"affiliateCampaignId={CAMPAIGN}" in c.headers["X-Ebay-C-Enduserctx"] for c in ebay.searches)
    assert result.notes[0].startswith("eBay Browse API (production at http://127.0.0.1:")
    assert "2 call(s) made, 0 request(s) fresh in the cache; 4,998 of 5,000 calls left today" in result.notes[0]
    assert result.notes[-1].startswith("eBay cache: 2 entries, ")


def test_a_build_refreshes_what_would_expire_before_the_next_scheduled_build(ebay: FakeEbay, tmp_path: Path) -> None:
    # Rebuilt every 6 hours (the default, as the shipped workflow) with a 6-hour limit: 5 h 59 min later every answer
    # would go dark before the next run, so all are refreshed (this build used to make no call and let prices go dark).
    cfg = config(tmp_path, ["cameras", "lenses"])
    live = catalog(ebay, tmp_path / ".cache")
    live.load(cfg, NOW)
    assert len(ebay.searches) == 2
    again = live.load(cfg, NOW + timedelta(hours=5, minutes=59))
    assert len(ebay.searches) == 4 and again.categories["cameras"].fetched_at == NOW + timedelta(hours=5, minutes=59)


def test_with_builds_every_2_hours_an_answer_lasts_until_the_run_before_it_expires(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = with_site(config(tmp_path, ["cameras", "lenses"]), rebuild_every_hours=2)
    live = catalog(ebay, tmp_path / ".cache")
    live.load(cfg, NOW)
    again = live.load(cfg, NOW + timedelta(hours=3))  # 3 h old; the next run (+2 h, 30 min late) is at 5.5 h
    assert len(ebay.searches) == 2 and again.categories["cameras"].fetched_at == NOW
    later = live.load(cfg, NOW + timedelta(hours=3, minutes=31))  # would be 6 h 1 min old at the next run
    assert len(ebay.searches) == 4 and later.categories["cameras"].fetched_at == NOW + timedelta(hours=3, minutes=31)


def with_site(cfg: Config, **fields: object) -> Config:
    return cfg.model_copy(update={"site": cfg.site.model_copy(update=fields)})


def test_ci_cache_restore_with_reset_file_times_still_fresh(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = with_site(config(tmp_path, ["cameras", "lenses"]), rebuild_every_hours=2)
    catalog(ebay, tmp_path / "run1" / ".cache").load(cfg, NOW)
    restored = tmp_path / "run2" / ".cache"
    shutil.copytree(tmp_path / "run1" / ".cache", restored)  # a CI cache restore in a fresh checkout
    for path in restored.rglob("*"):
        os.utime(path, (0, 0))  # file times reset to 1970: freshness must not read them
    result = catalog(ebay, restored).load(cfg, NOW + timedelta(hours=3))
    assert len(ebay.searches) == 2  # only the first run's
    assert result.categories["cameras"].fetched_at == NOW and result.categories["cameras"].stale_reason is None


def test_per_category_freshness_override(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = with_site(site_config(tmp_path, [category("cameras", freshness_hours=1), category("lenses")]), rebuild_every_hours=1)
    live = catalog(ebay, tmp_path / ".cache")
    live.load(cfg, NOW)
    live.load(cfg, NOW + timedelta(hours=2))
    assert [c.reference for c in ebay.searches[2:]] == ["cameras"]


def _seed(cache_dir: Path, ebay: FakeEbay, cfg: Config, ages: dict[str, float | None]) -> None:
    """Put entries of the given ages (hours; None: no entry) in the cache, as earlier builds would have."""
    live = catalog(ebay, cache_dir)
    cache = ResponseCache(cache_dir)
    for need in live.needs(cfg):
        age = ages.get(need.request.category)
        if age is not None:
            page = search_page(need.request.category, 3, 3, 0)
            cache.put(need.key, NOW - timedelta(hours=age), page, need.identity)


def test_budget_of_10_for_30_categories_goes_to_uncached_then_stalest(ebay: FakeEbay, tmp_path: Path) -> None:
    slugs = [f"cat-{i:02d}" for i in range(30)]
    cfg = config(tmp_path, slugs, calls_per_build=10)
    ages: dict[str, float | None] = {slug: 7 + i for i, slug in enumerate(slugs)}  # all stale: 7 h to 36 h
    for slug in ("cat-03", "cat-11", "cat-20", "cat-28"):
        ages[slug] = None  # never fetched
    cache_dir = tmp_path / ".cache"
    _seed(cache_dir, ebay, cfg, ages)

    plan = catalog(ebay, cache_dir).plan(cfg, NOW)
    assert len(plan.calls) == 10 and ebay.searches == []  # planning makes no calls

    result = catalog(ebay, cache_dir).load(cfg, NOW)
    called = sorted(c.reference for c in ebay.searches)
    expected = sorted(
        ["cat-03", "cat-11", "cat-20", "cat-28", "cat-29", "cat-27", "cat-26", "cat-25", "cat-24", "cat-23"]
    )
    assert called == expected
    assert Ledger(cache_dir).count(TODAY) == 10
    assert result.problems == {}
    stale = {slug for slug, data in result.categories.items() if data.stale_reason}
    assert stale == set(slugs) - set(expected)
    assert "per-build limit 10" in (result.categories["cat-00"].stale_reason or "")
    assert result.categories["cat-00"].fetched_at == NOW - timedelta(hours=7)
    stale_note = next(n for n in result.notes if n.startswith("stale, served from the cache"))
    assert "cat-00 (7.0 h old)" in stale_note and "cat-22 (29.0 h old)" in stale_note


def test_retries_count_against_the_budget(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, ["first", "second"], calls_per_build=3, concurrency=1)
    cache_dir = tmp_path / ".cache"
    _seed(cache_dir, ebay, cfg, {"second": 10})  # "first" is uncached, so it goes first
    ebay.search_scripts["first"] = [Response("busy", status=503), Response("busy", status=503)]
    sleeps: list[float] = []
    result = catalog(ebay, cache_dir, sleeps).load(cfg, NOW)
    assert len(ebay.searches) == 3 and len(sleeps) == 2
    assert [c.reference for c in ebay.searches] == ["first"] * 3
    assert result.categories["first"].stale_reason is None
    assert "per-build limit of 3 calls is spent" in (result.categories["second"].stale_reason or "")
    assert "(2 of them retries)" in result.notes[0]
    assert Ledger(cache_dir).count(TODAY) == 3


def test_daily_quota_in_the_ledger_stops_calls_until_pacific_midnight(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, ["cameras"], daily_quota=3)
    cache_dir = tmp_path / ".cache"
    _seed(cache_dir, ebay, cfg, {"cameras": 8})
    ledger = Ledger(cache_dir)
    for _ in range(3):
        ledger.record(NOW - timedelta(hours=4), "browse", "an earlier build")
    result = catalog(ebay, cache_dir).load(cfg, NOW)
    assert ebay.searches == [] and result.categories["cameras"].stale_reason
    assert "0 of 3 calls left today (resets 2024-05-02 00:00 PDT)" in result.notes[0]
    after_reset = NOW.replace(hour=7) + timedelta(days=1)  # 00:00 PDT
    result = catalog(ebay, cache_dir).load(cfg, after_reset)
    assert len(ebay.searches) == 1 and result.categories["cameras"].stale_reason is None


def test_budget_never_exceeded_across_builds_with_failures(ebay: FakeEbay, tmp_path: Path) -> None:
    slugs = [f"c{i}" for i in range(8)]
    cfg = config(tmp_path, slugs, calls_per_build=5, daily_quota=12, retries=3)
    cache_dir = tmp_path / ".cache"
    ebay.search_script = [Response("busy", status=500)] * 7  # plenty of retries to eat the budget
    for hour in range(4):
        catalog(ebay, cache_dir).load(
            cfg, NOW + timedelta(hours=6 * hour) if hour < 2 else NOW + timedelta(hours=7 + hour)
        )
    assert len(ebay.searches) == 12  # 5 + 5 + 2: the daily quota, never more
    assert Ledger(cache_dir).count(TODAY) == 12


# --- eBay's bad days -----------------------------------------------------------------------------------------


def _two_categories_one_cached(ebay: FakeEbay, tmp_path: Path) -> tuple[Config, Path]:
    cfg = config(tmp_path, ["cached", "uncached"], retries=1)
    cache_dir = tmp_path / ".cache"
    _seed(cache_dir, ebay, cfg, {"cached": 9})
    return cfg, cache_dir


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Response("down", status=503), "eBay answered HTTP 503 SERVICE UNAVAILABLE after 2 tries"),
        (ebay_error(429, 2001, "Too many requests"), "eBay answered HTTP 429 TOO MANY REQUESTS"),
        (Response('{"itemSummaries": [{"itemId": ', content_type="application/json"), "malformed JSON"),
        (slow(0.5, Response("{}", content_type="application/json")), "did not answer within 0.2 s"),
    ],
    ids=["5xx", "quota-429", "garbage-json", "timeout"],
)
def test_bad_day_serves_the_cache_and_reports(ebay: FakeEbay, tmp_path: Path, answer: Response, reason: str) -> None:
    cfg, cache_dir = _two_categories_one_cached(ebay, tmp_path)
    cfg = config(tmp_path, ["cached", "uncached"], retries=1, timeout_seconds=0.2)
    ebay.search_script = [answer] * 4
    result = catalog(ebay, cache_dir).load(cfg, NOW)
    cached = result.categories["cached"]
    assert cached.fetched_at == NOW - timedelta(hours=9)
    assert reason in (cached.stale_reason or "")
    assert reason in result.problems["uncached"] and "nothing cached" in result.problems["uncached"]
    assert any(n.startswith("stale, served from the cache") and "cached (9.0 h old)" in n for n in result.notes)


def test_quota_exhausted_stops_this_build_and_the_next(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, ["a", "b", "c"], retries=0, concurrency=1)
    cache_dir = tmp_path / ".cache"
    _seed(cache_dir, ebay, cfg, {"a": 8, "b": 9, "c": 10})
    ebay.search_script = [ebay_error(429, 2001, "Too many requests")]
    result = catalog(ebay, cache_dir).load(cfg, NOW)
    assert len(ebay.searches) == 1  # the others were not even tried
    assert all(d.stale_reason for d in result.categories.values())
    catalog(ebay, cache_dir).load(cfg, NOW + timedelta(hours=1))
    assert len(ebay.searches) == 1  # the ledger remembers until the Pacific midnight
    catalog(ebay, cache_dir).load(cfg, NOW + timedelta(hours=19))
    assert len(ebay.searches) == 4


def test_token_endpoint_down_serves_the_cache(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg, cache_dir = _two_categories_one_cached(ebay, tmp_path)
    ebay.token_script = [Response("down", status=502)] * 10
    result = catalog(ebay, cache_dir).load(cfg, NOW)
    assert ebay.searches == [] and len(ebay.token_requests) == 2  # 1 + 1 retry, shared by all calls
    assert "token endpoint is unavailable" in (result.categories["cached"].stale_reason or "")
    assert "uncached" in result.problems
    assert Ledger(cache_dir).count(TODAY) == 0  # no Browse call went out


def test_rejected_query_is_a_usage_error_naming_category_and_cause(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, ["cameras", "lenses"])
    ebay.search_scripts["cameras"] = [ebay_error(400, 12012, "a price filter needs priceCurrency")]
    with pytest.raises(UsageError) as caught:
        catalog(ebay, tmp_path / ".cache").load(cfg, NOW)
    assert isinstance(caught.value, EbayRejectedError)
    assert caught.value.lines() == ["category 'cameras': eBay error 12012: a price filter needs priceCurrency"]
    assert caught.value.exit_code == 2


def test_invalid_credentials_are_a_usage_error_without_secrets(ebay: FakeEbay, tmp_path: Path) -> None:
    ebay.token_script = [
        Response('{"error":"invalid_client","error_description":"client authentication failed"}', status=401)
    ] * 5
    with pytest.raises(UsageError) as caught:
        catalog(ebay, tmp_path / ".cache").load(config(tmp_path, ["a", "b", "c"]), NOW)
    assert "invalid_client" in str(caught.value) and CLIENT_SECRET not in str(caught.value)
    assert len(ebay.token_requests) == 1


def test_corrupt_cache_entry_is_refetched_and_reported_once(
    ebay: FakeEbay, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cfg = config(tmp_path, ["cameras", "lenses"])
    cache_dir = tmp_path / ".cache"
    live = catalog(ebay, cache_dir)
    live.load(cfg, NOW)
    for path in ResponseCache(cache_dir).files():
        path.write_text('{"version": 1, "fetched_at": "2024-05-01T12:00:00+00:00", "respo')
    result = live.load(cfg, NOW + timedelta(minutes=5))
    assert len(ebay.searches) == 4 and result.problems == {}
    notes = [n for n in result.notes if "unreadable" in n]
    assert len(notes) == 1 and notes[0].startswith("2 eBay cache entries were unreadable and treated as missing")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING and "unreadable" in r.message]) == 1
    assert live.load(cfg, NOW + timedelta(minutes=10)).notes[-1].startswith("eBay cache: 2 entries")


def test_paging_stops_at_the_last_page_and_remembers_it(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = with_site(site_config(tmp_path, [category("cameras", items=450)]), rebuild_every_hours=1)
    ebay.totals["cameras"] = 250
    live = catalog(ebay, tmp_path / ".cache")
    result = live.load(cfg, NOW)
    assert [c.params["offset"] for c in ebay.searches] == ["0", "200"]  # offset 400 is past the end
    assert all(c.params["limit"] == "200" for c in ebay.searches)
    assert len(result.categories["cameras"].items) == 250
    live.load(cfg, NOW + timedelta(hours=1))
    assert len(ebay.searches) == 2  # all three pages are fresh in the cache


def test_plan_describe_makes_no_calls(ebay: FakeEbay, tmp_path: Path) -> None:
    cfg = config(tmp_path, ["cameras", "lenses"], calls_per_build=1)
    lines = catalog(ebay, tmp_path / ".cache").plan(cfg, NOW).describe()
    assert ebay.searches == [] and ebay.token_requests == []
    assert lines[0].startswith("eBay Browse API (production at http://127.0.0.1:")
    assert "  to call: 1 of the 2 not fresh; budget 1" in lines[2]
    assert "missing lenses (offset 0)" in "\n".join(lines)


def test_secrets_and_tokens_never_reach_logs_or_notes(
    ebay: FakeEbay, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ebay.search_script = [Response("oops", status=500)]
    live = catalog(ebay, tmp_path / ".cache")
    result = live.load(config(tmp_path, ["cameras"]), NOW)
    shown = (
        caplog.text
        + "\n".join(result.notes)
        + repr(live)
        + (tmp_path / ".cache").joinpath("ebay", "ledger.jsonl").read_text()
    )
    for secret in (CLIENT_SECRET, CLIENT_ID, *ebay.issued):
        assert secret not in shown
    for path in ResponseCache(tmp_path / ".cache").files():
        assert CLIENT_SECRET not in path.read_text() and ebay.issued[0] not in path.read_text()


def test_remote_rate_limits(ebay: FakeEbay, tmp_path: Path) -> None:
    (limit,) = catalog(ebay, tmp_path / ".cache").remote_rate_limits(config(tmp_path, ["a"]), NOW)
    assert limit.remaining == 3766
    assert Ledger(tmp_path / ".cache").count(TODAY) == 0


# --- the commands -------------------------------------------------------------------------------------------


def _site_folder(root: Path) -> None:
    (root / "content" / "categories").mkdir(parents=True)
    (root / "site.yaml").write_text("title: Test deals\nbase_url: https://deals.example.com\n")
    (root / "content" / "categories" / "cameras.yaml").write_text("title: Cameras\nq: camera\nitems: 3\n")


def test_budget_and_cache_commands(
    ebay: FakeEbay, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from builder.cli import main
    from builder.config import load_config

    _site_folder(tmp_path)
    for name, value in ebay.environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EBAY_CAMPAIGN_ID", raising=False)
    cfg = load_config(tmp_path)
    live = LiveCatalog(CREDS, tmp_path / ".cache", environ=ebay.environ)
    now = datetime.now(UTC)  # the commands read the real clock
    live.load(cfg, now)
    cache = ResponseCache(tmp_path / ".cache")
    cache.put("0" * 64, now, {"total": 0}, {})  # an entry no category uses

    assert main(["budget", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "eBay Browse calls today" in out and "the quota resets at" in out
    assert "a full refresh per cycle: 1 call(s) per scheduled run, every 6 h = 4 per day" in out

    assert main(["cache", "info", "--root", str(tmp_path)]) == 0
    assert "1 of the 1 requests the content needs are cached; 1 entries are unused" in capsys.readouterr().out

    assert main(["cache", "prune", "--root", str(tmp_path)]) == 0
    assert "deleted 1 cached eBay answer(s)" in capsys.readouterr().out
    assert [p.stem for p in cache.files()] == [next(iter(live.request_keys(cfg)))]

    assert main(["cache", "prune", "--older-than", "0", "--root", str(tmp_path)]) == 0
    assert list(cache.files()) == []

    monkeypatch.setenv("EBAY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("EBAY_CLIENT_SECRET", CLIENT_SECRET)
    assert main(["budget", "--remote", "--root", str(tmp_path)]) == 0
    assert "eBay (Analytics API): buy.browse: 3,766 of 5,000 remaining" in capsys.readouterr().out

    monkeypatch.delenv("EBAY_CLIENT_SECRET")
    assert main(["budget", "--remote", "--root", str(tmp_path)]) == 2
    assert "EBAY_CLIENT_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize("hours", ["nan", "inf", "1e300", "-1"])
def test_prune_refuses_hours_timedelta_cannot_hold(hours: str, capsys: pytest.CaptureFixture[str]) -> None:
    from builder.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["cache", "prune", "--older-than", hours])
    assert exited.value.code == 2 and "hours" in capsys.readouterr().err


def test_numbers_beyond_64_bits_from_ebay_are_cached_and_read_back_alike(ebay: FakeEbay, tmp_path: Path) -> None:
    page = search_page("cameras", 2, 2, 0)
    page["itemSummaries"][0]["bidCount"] = 2**70  # nothing eBay sends today; it must not break the cache
    body = json.dumps(page)
    ebay.search_script = [Response(body, status=200, content_type="application/json")]
    cfg = with_site(config(tmp_path, ["cameras"]), rebuild_every_hours=1)
    fresh = catalog(ebay, tmp_path / ".cache").load(cfg, NOW)
    again = catalog(ebay, tmp_path / ".cache").load(cfg, NOW)  # from the cache: no second call
    assert fresh.problems == {} and len(ebay.searches) == 1
    assert fresh.categories["cameras"].items == again.categories["cameras"].items
    assert fresh.categories["cameras"].items[0]["bidCount"] == float(2**70)
