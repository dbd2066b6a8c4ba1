"""The live catalog: the Browse API through the on-disk cache and the call budget.

`LiveCatalog.load` plans (fresh entries are free; the budget goes to the uncached, then the stalest), makes
the planned calls concurrently, caches every good answer, and serves the last good data, marked stale with a
reason, wherever eBay fails or the budget ends. A category with no data at all lands in
`CatalogResult.problems`; a query eBay rejects (400) or credentials it refuses raise a UsageError naming the
cause.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ..config import Config
from ..errors import BuildError, UsageError
from ..progress import Progress, phase
from .breaker import CircuitBreaker
from .browse import (
    BrowseClient,
    EbayRejected,
    EbayUnavailable,
    Endpoints,
    ItemGone,
    RateLimit,
    Sleep,
    endpoints_for,
)
from .budget import (
    QUOTA_EXHAUSTED,
    TOKEN,
    BudgetExhausted,
    CallBudget,
    Ledger,
    pacific_day,
    quota_exhausted_words,
    status,
)
from .cache import CacheEntry, ResponseCache, request_key
from .credentials import Credentials
from .links import campaign_id
from .lock import cache_lock
from .plan import Need, Plan, PlannedRequest, call_order, format_age, format_time, make_plan
from .query import SearchRequest, item_request, search_requests
from .schedule import coverage, horizon
from .source import CatalogResult, CategoryData, ItemData

log = logging.getLogger(__name__)

T = TypeVar("T")
PAST_LAST_PAGE = "past the last page"
CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a cache entry may be dated before it counts as missing (clocks of CI machines differ)."""
ITEM_GONE = "item gone"  # the cached answer of a getItem that eBay answered 404 (ended or no such listing)
DETAILS_MAX_AGE = timedelta(days=7)
"""How long a full getItem answer (title, photos, aspects: what rarely changes) is kept and only its price and
availability refreshed with `fieldgroups=COMPACT`; older, the full answer is asked again."""


@dataclass
class _Page:
    response: dict[str, Any]
    fetched_at: datetime
    stale_reason: str | None = None


class _Recorder:
    """Charges each Browse attempt to the budget (before it is sent) and writes token grants to the ledger."""

    def __init__(self, budget: CallBudget, clock: Callable[[], datetime]) -> None:
        self.budget = budget
        self.clock = clock

    def before_browse_call(self, what: str, attempt: int) -> None:
        self.budget.charge(self.clock(), what, attempt)

    def before_token_call(self, attempt: int) -> None:
        self.budget.ledger.record(self.clock(), TOKEN, "oauth token", attempt)


class LiveCatalog:
    """The eBay Browse API as a CatalogSource (see module docstring)."""

    is_demo = False

    def __init__(
        self,
        credentials: Credentials,
        cache_dir: Path,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        environ: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.cache_dir = Path(cache_dir)
        self.description = "eBay Browse API"
        self._transport = transport
        self._sleep = sleep
        self._environ: Mapping[str, str] = dict(os.environ if environ is None else environ)
        self._monotonic = monotonic
        self.future: list[CacheEntry] = []
        """Cache entries dated after the time of the last `needs(..., now)` (counted as missing)."""
        self.refresh_ahead = True
        """Refresh what would expire before the next scheduled build (schedule.py); False: only what has expired."""
        self.details: dict[str, CacheEntry] = {}

    def __repr__(self) -> str:
        return f"LiveCatalog(cache_dir={str(self.cache_dir)!r})"

    # --- planning (no calls) ---

    def endpoints(self, config: Config) -> Endpoints:
        return endpoints_for(config.site.api.environment, self._environ)

    def needs(self, config: Config, cache: ResponseCache | None = None, now: datetime | None = None) -> list[Need]:
        """Every request the content needs, with its cache key and whatever the cache holds for it.

        With `now`, an entry dated after it counts as missing (a clock that was wrong when it was written, or is
        wrong now): it must not pass as fresh, nor show a "Price as of" in the future. `self.future` lists them.

        A listing by id whose full answer is cached and younger than DETAILS_MAX_AGE needs only a COMPACT call
        (given `now`); `self.details` keeps the full answers such calls bring up to date."""
        cache = cache or ResponseCache(self.cache_dir)
        self.future = []
        endpoints = self.endpoints(config)
        site = config.site
        campaign = campaign_id(site, self._environ)
        needs: list[Need] = []
        for category in config.categories:
            freshness = timedelta(hours=config.freshness_hours(category))
            for request in search_requests(category, site):
                identity = request_identity(request, endpoints, site.market.id, site.market.locale, campaign)
                key = request_key(identity)
                entry = cache.get(key)
                if entry is not None and now is not None and entry.fetched_at > now + CLOCK_SKEW:
                    self.future.append(entry)
                    entry = None
                needs.append(Need(request, key, identity, entry, freshness))
        freshness = timedelta(hours=site.freshness_hours)
        self.details = {}
        for legacy_id in config.lookups:
            request = item_request(legacy_id)
            identity = request_identity(request, endpoints, site.market.id, site.market.locale, campaign)
            key = request_key(identity)
            full = cache.get(key)
            if (
                now is not None
                and full is not None
                and full.response.get("affsite") != ITEM_GONE
                and freshness <= full.age(now) < DETAILS_MAX_AGE
            ):
                self.details[legacy_id] = full
                request = item_request(legacy_id, compact=True)
                identity = request_identity(request, endpoints, site.market.id, site.market.locale, campaign)
                key = request_key(identity)
                full = cache.get(key)
            needs.append(Need(request, key, identity, full, freshness))
        return needs

    def plan(self, config: Config, now: datetime) -> Plan:
        """What a build would do now; reads the cache and the ledger, makes no calls."""
        cache = ResponseCache(self.cache_dir)
        ledger = Ledger(self.cache_dir)
        return self._plan(config, now, cache, ledger)

    def _plan(self, config: Config, now: datetime, cache: ResponseCache, ledger: Ledger) -> Plan:
        api = config.site.api
        budget_status = status(ledger, api.calls_per_build, api.daily_quota, now)
        needs = self.needs(config, cache, now)
        allowance = budget_status.allowance
        planned = make_plan(needs, allowance, now, horizon(config) if self.refresh_ahead else timedelta(0))
        plan = Plan(now, self._describe(config), planned, budget_status, allowance)
        plan.notes.extend(coverage(config).describe())
        if budget_status.exhausted_by_ebay:
            plan.notes.append(quota_exhausted_words(ledger, now))
        if self.future:
            plan.notes.append(_future_note(self.future, now))
        if cache.corrupt:
            plan.notes.append(_corrupt_note(cache, self.cache_dir))
        return plan

    def _describe(self, config: Config) -> str:
        endpoints = self.endpoints(config)
        overridden = " at " + endpoints.api_base if endpoints.api_base not in _DEFAULT_API_BASES else ""
        return f"eBay Browse API ({endpoints.environment}{overridden})"

    def request_keys(self, config: Config) -> set[str]:
        """The cache keys the current content uses (what `cache prune` keeps)."""
        keys = {need.key for need in self.needs(config, _NoCache(self.cache_dir))}
        endpoints = self.endpoints(config)
        site = config.site
        campaign = campaign_id(site, self._environ)
        for legacy_id in config.lookups:  # the price checks of listings by id, besides their full answers
            compact = item_request(legacy_id, compact=True)
            keys.add(request_key(request_identity(compact, endpoints, site.market.id, site.market.locale, campaign)))
        return keys

    # --- the build ---

    def load(self, config: Config, now: datetime) -> CatalogResult:
        with cache_lock(self.cache_dir):  # the ledger's counts hold only while no other process spends calls
            return self._load(config, now)

    def _load(self, config: Config, now: datetime) -> CatalogResult:
        self.description = self._describe(config)
        check_writable(self.cache_dir)
        cache = ResponseCache(self.cache_dir)
        ledger = Ledger(self.cache_dir)
        try:
            ledger.compact(now)
        except OSError as exc:
            raise BuildError(f"the eBay call ledger {ledger.path} cannot be rewritten: {exc.strerror}") from None
        plan = self._plan(config, now, cache, ledger)
        if self.future:
            log.warning("%s", _future_note(self.future, now))
        api = config.site.api
        budget = CallBudget(ledger, api.calls_per_build, api.daily_quota)
        started = self._monotonic()

        def clock() -> datetime:
            return now + timedelta(seconds=max(self._monotonic() - started, 0.0))

        pages: dict[str, _Page] = {}
        failures: dict[str, str] = {}
        retried = 0
        alerts: list[str] = []
        if plan.calls:
            client = BrowseClient(
                self.credentials,
                self.endpoints(config),
                marketplace_id=config.site.market.id,
                accept_language=config.site.market.locale,
                campaign_id=campaign_id(config.site, self._environ),
                timeout_seconds=api.timeout_seconds,
                retries=api.retries,
                concurrency=api.concurrency,
                transport=self._transport,
                sleep=self._sleep,
                recorder=_Recorder(budget, clock),
                breaker=CircuitBreaker(api.breaker_failures),
            )
            fetcher = _Fetcher(client, cache, budget, clock, pages, failures, api.fetch_deadline_seconds)
            with phase(f"fetching {len(plan.calls)} eBay request(s)", total=len(plan.calls)) as progress:
                fetcher.progress = progress
                retried = _run_sync(lambda: fetcher.run(plan))
            alerts = fetcher.alerts()
        elif budget.status(now).exhausted_by_ebay and plan.of("stale") + plan.of("missing"):
            alerts.append(quota_exhausted_words(ledger, now))
        result = self._assemble(config, plan, cache, budget, pages, failures, retried, clock())
        result.alerts[:0] = alerts or result.refresh_failed  # one cause said once, else each failed refresh
        result.notes.extend(result.refresh_failed)
        if self.future:
            result.notes.append(_future_note(self.future, now))
        return result

    def _assemble(
        self,
        config: Config,
        plan: Plan,
        cache: ResponseCache,
        budget: CallBudget,
        fetched: dict[str, _Page],
        failures: dict[str, str],
        retried: int,
        end: datetime,
    ) -> CatalogResult:
        now = plan.now
        result = CatalogResult(categories={})
        by_category: dict[str, list[PlannedRequest]] = defaultdict(list)
        for planned in plan.requests:
            by_category[planned.request.category].append(planned)
        stale_by_reason: dict[str, list[str]] = defaultdict(list)
        for category in config.categories:  # (the listings asked for by id are assembled after the categories)
            pages: list[_Page] = []
            gaps: list[tuple[SearchRequest, str]] = []
            for planned in by_category[category.slug]:
                page = self._page_for(planned, fetched, failures, budget, now)
                if isinstance(page, str):
                    gaps.append((planned.request, page))
                else:
                    pages.append(page)
            if not pages or (gaps and gaps[0][0].offset == 0):
                reason = gaps[0][1] if gaps else "no requests"
                result.problems[category.slug] = f"no eBay data and nothing cached: {reason}"
                continue
            incomplete = None
            if gaps:
                request, reason = gaps[0]
                incomplete = f"listings from offset {request.offset} are missing and not cached ({reason})"
                result.notes.append(f"{category.slug}: {incomplete}")
            reasons = sorted({p.stale_reason for p in pages if p.stale_reason})
            data = CategoryData(
                slug=category.slug,
                items=_merge_items(pages)[: category.items],  # the last page may hold more than asked for
                fetched_at=min(p.fetched_at for p in pages),
                stale_reason="; ".join(reasons) if reasons else None,
                incomplete=incomplete,
            )
            result.categories[category.slug] = data
            if data.stale_reason:
                stale_by_reason[data.stale_reason].append(f"{category.slug} ({format_age(now - data.fetched_at)} old)")

        for legacy_id in config.lookups:
            planned_item = by_category.get(item_request(legacy_id).category)
            if not planned_item:
                continue
            page = self._page_for(planned_item[0], fetched, failures, budget, now)
            details = self.details.get(legacy_id)
            if isinstance(page, str) and details is not None:  # no price check: the full answer, marked stale
                page = _Page(details.response, details.fetched_at, page)
            if isinstance(page, str):
                result.items[legacy_id] = ItemData(None, now, gone=f"no eBay data and nothing cached: {page}")
                continue
            gone = page.response.get("affsite") == ITEM_GONE
            response = page.response if details is None or gone else {**details.response, **page.response}
            result.items[legacy_id] = ItemData(
                None if gone else response,
                page.fetched_at,
                page.stale_reason,
                gone=str(page.response.get("reason") or "eBay says the listing has ended") if gone else None,
            )

        calls = budget.made
        api = config.site.api
        today = budget.status(end)
        result.notes.insert(
            0,
            f"{plan.source}: {calls} call(s) made"
            + (f" ({retried} of them retries)" if retried else "")
            + f", {len(plan.of('fresh'))} request(s) fresh in the cache; "
            f"{today.remaining_today:,} of {api.daily_quota:,} calls left today "
            f"(resets {today.reset_at.strftime('%Y-%m-%d %H:%M %Z')})",
        )
        failed_in_date: dict[str, list[str]] = defaultdict(list)
        for planned in plan.calls:
            need = planned.need
            if need.key not in fetched and need.entry is not None and need.is_fresh(now):
                why = failures.get(need.key, "the call was not made")
                failed_in_date[why].append(planned.request.category)
        for why, slugs in sorted(failed_in_date.items()):
            result.refresh_failed.append(
                f"not refreshed, served from the cache until its prices expire: {', '.join(sorted(set(slugs)))}: {why}"
            )
        waiting = sorted(
            {p.request.category for p in plan.of("stale") if p.need.is_fresh(now) and p.need.key not in fetched}
        )
        if waiting:
            result.notes.append(
                f"not refreshed this run (the call budget does not reach them), prices shown until their limit: "
                f"{', '.join(waiting)}"
            )
        for reason, slugs in sorted(stale_by_reason.items()):
            result.notes.append(f"stale, served from the cache ({reason}): {', '.join(slugs)}")
        if cache.corrupt:
            note = _corrupt_note(cache, self.cache_dir)
            log.warning("%s", note)
            result.notes.append(note)
        stats = cache.stats()
        result.notes.append(f"eBay cache: {stats.describe()} in {self.cache_dir}")
        return result

    def _page_for(
        self,
        planned: PlannedRequest,
        fetched: dict[str, _Page],
        failures: dict[str, str],
        budget: CallBudget,
        plan_now: datetime,
    ) -> _Page | str:
        """The data for one request, or why there is none."""
        need = planned.need
        if planned.action == "fresh":
            assert need.entry is not None
            return _Page(need.entry.response, need.entry.fetched_at)
        if need.key in fetched:
            return fetched[need.key]
        if planned.action == "call":
            reason = failures.get(need.key, "the call was not made")
        elif budget.ledger.exhausted_on(pacific_day(plan_now)):
            reason = quota_exhausted_words(budget.ledger, plan_now)
        else:
            reason = f"the call budget ({budget_words(budget)}) does not reach it"
        if need.entry is None:
            return reason
        if need.is_fresh(plan_now):
            # Not refreshed, but young enough to show its price now; the page's own limit hides it in time.
            return _Page(need.entry.response, need.entry.fetched_at)
        return _Page(need.entry.response, need.entry.fetched_at, reason)

    # --- Analytics ---

    def remote_rate_limits(self, config: Config, now: datetime) -> list[RateLimit]:
        """eBay's own count of the Browse quota (Analytics API); the token grant goes in the ledger."""
        ledger = Ledger(self.cache_dir)
        api = config.site.api
        budget = CallBudget(ledger, api.calls_per_build, api.daily_quota)
        started = self._monotonic()

        def clock() -> datetime:
            return now + timedelta(seconds=max(self._monotonic() - started, 0.0))

        async def read() -> list[RateLimit]:
            async with BrowseClient(
                self.credentials,
                self.endpoints(config),
                marketplace_id=config.site.market.id,
                accept_language=config.site.market.locale,
                timeout_seconds=api.timeout_seconds,
                retries=api.retries,
                transport=self._transport,
                sleep=self._sleep,
                recorder=_Recorder(budget, clock),
            ) as client:
                return await client.rate_limits()

        try:
            return _run_sync(read)
        except EbayUnavailable as exc:
            raise UsageError(f"could not read the quota from eBay: {exc.reason}") from None
        except EbayRejected as exc:
            raise UsageError(f"eBay refused the quota read: {exc}") from None


class _Fetcher:
    """Makes the planned calls: categories concurrently, and within a category the first page, then the rest of its
    pages at once (all bounded by the client's concurrency), within the fetch phase's deadline."""

    def __init__(
        self,
        client: BrowseClient,
        cache: ResponseCache,
        budget: CallBudget,
        clock: Callable[[], datetime],
        pages: dict[str, _Page],
        failures: dict[str, str],
        deadline_seconds: float = 300.0,
    ) -> None:
        self.client = client
        self.cache = cache
        self.budget = budget
        self.clock = clock
        self.pages = pages
        self.failures = failures
        self.deadline_seconds = deadline_seconds
        self.rejected: list[str] = []
        self.rejected_slugs: set[str] = set()
        self.progress: Progress | None = None
        self.deadline_passed = False
        self.quota_reason: str | None = None

    async def run(self, plan: Plan) -> int:
        order = call_order(plan.requests)
        by_category: dict[str, list[PlannedRequest]] = defaultdict(list)
        for planned in plan.requests:
            by_category[planned.request.category].append(planned)
        categories = list(dict.fromkeys(p.request.category for p in order))
        async with self.client:
            tasks = [asyncio.ensure_future(self._category(slug, by_category[slug])) for slug in categories]
            done, pending = await asyncio.wait(tasks, timeout=self.deadline_seconds) if tasks else (set(), set())
            if pending:
                self.deadline_passed = True
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                why = f"the fetch phase passed its deadline of {self.deadline_seconds:g} s (api.fetch_deadline_seconds)"
                for planned in order:
                    if planned.need.key not in self.pages:
                        self.failures.setdefault(planned.need.key, why)
        outcomes = [task.exception() for task in done]  # every one retrieved, so asyncio does not log them
        for outcome in outcomes:
            if isinstance(outcome, UsageError):
                raise outcome  # invalid credentials: nothing else is worth saying
        for outcome in outcomes:
            if outcome is not None:
                raise outcome
        if self.rejected:
            raise EbayRejectedError(self.rejected)
        return self.client.retried

    def alerts(self) -> list[str]:
        """What the owner must hear of once, however many requests it touched."""
        out: list[str] = []
        if self.quota_reason:
            out.append(f"eBay: {self.quota_reason}; the build served the cache")
        elif self.client.breaker.open:
            out.append(f"eBay: {self.client.breaker.reason}; the build served the cache")
        if self.deadline_passed:
            out.append(
                f"eBay was too slow: the fetch phase passed its deadline of {self.deadline_seconds:g} s "
                "(api.fetch_deadline_seconds); the rest was served from the cache"
            )
        return out

    async def _category(self, slug: str, planned: list[PlannedRequest]) -> None:
        ordered = sorted(planned, key=lambda p: p.request.offset)
        first, rest = ordered[0], ordered[1:]
        known: dict[str, Any] | None = None  # the first page's answer, when known to be current
        if first.action == "fresh":
            assert first.need.entry is not None
            known = first.need.entry.response
        elif first.action == "call":
            known = await self._fetch(slug, first)
        if slug in self.rejected_slugs:
            return
        calls = []
        for item in rest:
            if item.action != "call":
                continue
            if known is not None and _past_the_end(known, item.request.offset):
                # The first page says the results end before this one: no call, an empty page as current as that one.
                empty = {"itemSummaries": [], "total": known.get("total", 0), "affsite": PAST_LAST_PAGE}
                await self._store(item.need, empty)
                continue
            calls.append(self._fetch(slug, item))
        await asyncio.gather(*calls)

    async def _fetch(self, slug: str, item: PlannedRequest) -> dict[str, Any] | None:
        need = item.need
        try:
            if item.request.item_id is not None:  # a guide's listing by id (getItem)
                response = await self._item(item.request, slug)
            else:
                response = await self.client.search(
                    item.request.params, what=item.request.describe(), reference_id=slug
                )
        except BudgetExhausted as exc:
            self.failures[need.key] = str(exc)
            return None
        except EbayUnavailable as exc:
            self.failures[need.key] = exc.reason
            self._note_quota(exc, item.request)
            return None
        except EbayRejected as exc:
            who = f"category '{slug}'" if item.request.item_id is None else item.request.describe()
            self.rejected.append(f"{who}: {exc}")
            self.rejected_slugs.add(slug)
            self.failures[need.key] = f"eBay rejected the query: {exc}"
            return None
        finally:
            if self.progress is not None:
                self.progress.advance()
        await self._store(need, response)
        return response

    async def _item(self, request: SearchRequest, reference: str) -> dict[str, Any]:
        """A getItem call; eBay's "no such listing" is an answer to cache (so it is not asked again until it is
        stale), not a failure."""
        assert request.item_id is not None
        try:
            return await self.client.item(
                request.item_id,
                what=request.describe(),
                reference_id=reference,
                fieldgroups=dict(request.params).get("fieldgroups"),
            )
        except ItemGone as exc:
            return {"affsite": ITEM_GONE, "reason": f"eBay says the listing has ended or does not exist ({exc})"}

    def _note_quota(self, exc: EbayUnavailable, request: SearchRequest) -> None:
        """eBay says the day's quota is gone: the ledger remembers it, so no build calls before the reset."""
        if not exc.quota_exhausted:
            return
        self.quota_reason = exc.reason
        at = self.clock()
        if not self.budget.ledger.exhausted_on(pacific_day(at)):
            self.budget.ledger.record(at, QUOTA_EXHAUSTED, request.describe())

    async def _store(self, need: Need, response: dict[str, Any]) -> None:
        fetched_at = self.clock()
        request = {**need.identity, "category": need.request.category}
        try:  # in a thread: the write fsyncs, and the event loop has other calls to run meanwhile
            await asyncio.to_thread(self.cache.put, need.key, fetched_at, response, request)
        except OSError as exc:
            log.warning("could not write the eBay cache entry for %s: %s", need.request.describe(), exc.strerror)
        self.pages[need.key] = _Page(response, fetched_at)


def _past_the_end(first: dict[str, Any], offset: int) -> bool:
    """The first page of a result set shows that `offset` lies beyond its last item."""
    if not first.get("next"):
        return True
    total = first.get("total")
    return isinstance(total, int) and not isinstance(total, bool) and offset >= total


class EbayRejectedError(UsageError):
    """eBay refused one or more queries (HTTP 400): the category files must change."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        super().__init__(lines[0] if len(lines) == 1 else f"eBay rejected {len(lines)} queries")

    def lines(self) -> list[str]:
        return list(self._lines)


def request_identity(
    request: SearchRequest, endpoints: Endpoints, marketplace: str, language: str, campaign: str
) -> dict[str, Any]:
    """What makes one request distinct: its cache key is the hash of this."""
    return {
        "method": "GET",
        "url": endpoints.search_url if request.item_id is None else endpoints.item_url(request.item_id),
        "params": sorted([list(p) for p in request.params]),
        "marketplace": marketplace,
        "accept_language": language,
        "campaign": campaign,
        "reference": request.category,
    }


def budget_words(budget: CallBudget) -> str:
    return f"per-build limit {budget.per_build}, daily quota {budget.daily_quota}"


def _merge_items(pages: list[_Page]) -> list[dict[str, Any]]:
    """Item summaries of all pages in order; an item that moved between pages fetched apart is kept once."""
    seen: set[str] = set()
    items: list[dict[str, Any]] = []
    for page in pages:
        summaries = page.response.get("itemSummaries") or []
        for item in summaries if isinstance(summaries, list) else []:
            if not isinstance(item, dict):
                continue
            item_id = item.get("itemId")
            if isinstance(item_id, str):
                if item_id in seen:
                    continue
                seen.add(item_id)
            items.append(item)
    return items


def _corrupt_note(cache: ResponseCache, root: Path) -> str:
    shown = []
    for path, why in cache.corrupt[:3]:
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = str(path)
        shown.append(f"{name}: {why}")
    more = f" and {len(cache.corrupt) - 3} more" if len(cache.corrupt) > 3 else ""
    return (
        f"{len(cache.corrupt)} eBay cache {'entry was' if len(cache.corrupt) == 1 else 'entries were'} "
        "unreadable "
        f"and treated as missing ({'; '.join(shown)}{more})"
    )


def _future_note(entries: list[CacheEntry], now: datetime) -> str:
    latest = max(entry.fetched_at for entry in entries)
    return (
        f"{len(entries)} eBay cache {'entry is' if len(entries) == 1 else 'entries are'} dated in the future (up to "
        f"{format_time(latest)}, it is {format_time(now)} now) and counted as missing: was the clock wrong when they "
        "were written, or is it wrong now?"
    )


def check_writable(cache_dir: Path) -> None:
    """The call ledger and the cache must be writable before any call is made: a call the ledger cannot record must
    not go out, and an answer that cannot be cached is paid for again next time. A clear error naming the path."""
    ledger = Ledger.path_in(cache_dir)
    entries = ResponseCache(cache_dir).entries_dir
    try:
        entries.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=entries, prefix=".writable.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise BuildError(
            f"the eBay cache {entries} cannot be written ({exc.strerror}): fix its permissions or set "
            "site.yaml cache_dir (or --cache-dir) to a writable folder; nothing was fetched"
        ) from None
    try:
        fd = os.open(ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.close(fd)
    except OSError as exc:
        raise BuildError(
            f"the eBay call ledger {ledger} cannot be written ({exc.strerror}): it must be a writable file (move "
            "away whatever is there); nothing was fetched"
        ) from None


class _NoCache(ResponseCache):
    """A cache that never reads (for computing keys without touching the entries)."""

    def get(self, key: str) -> None:
        return None


_DEFAULT_API_BASES = {"https://api.ebay.com", "https://api.sandbox.ebay.com"}


def _run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from synchronous code, even when the caller runs an event loop."""

    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


__all__ = ["EbayRejectedError", "LiveCatalog", "format_time"]
