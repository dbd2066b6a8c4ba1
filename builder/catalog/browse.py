"""The eBay Browse API client (httpx, async): OAuth application token, search, the Analytics rate-limit read.

Every call has a timeout; 429, 5xx, timeouts, connection errors and malformed JSON are retried with
exponential backoff and jitter (honouring `Retry-After`), other 4xx are not. eBay's error bodies become
messages that say what to fix. Each attempt is announced to a `CallRecorder` *before* it is sent, which is
where the budget says no. The client knows nothing of caches or categories: `live.py` puts those together.

Base URLs: production or sandbox by setting; `AFFSITE_EBAY_AUTH_URL` and `AFFSITE_EBAY_API_URL` override them
(scheme://host[:port][/prefix]; the standard paths are appended), so a fake eBay can stand in for the real
one.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote

import httpx
import orjson

from .. import clock
from ..errors import UsageError
from .breaker import CircuitBreaker
from .budget import BudgetExhausted
from .credentials import Credentials

log = logging.getLogger(__name__)

AUTH_URL_ENV = "AFFSITE_EBAY_AUTH_URL"
API_URL_ENV = "AFFSITE_EBAY_API_URL"
BASE_URLS = {
    "production": ("https://api.ebay.com", "https://api.ebay.com"),
    "sandbox": ("https://api.sandbox.ebay.com", "https://api.sandbox.ebay.com"),
}
TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 (a path)
SEARCH_PATH = "/buy/browse/v1/item_summary/search"
ITEM_PATH = "/buy/browse/v1/item/"
ITEM_GONE_ERROR_IDS = (11001, 11004)  # item not found; item not available any more
RATE_LIMIT_PATH = "/developer/analytics/v1_beta/rate_limit/"
SCOPE = "https://api.ebay.com/oauth/api_scope"  # the same scope URL in sandbox

QUOTA_ERROR_ID = 2001
TOKEN_MARGIN_SECONDS = 300.0  # fetch a new token this long before the current one expires
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0  # a longer Retry-After is not waited for: the build serves cached data instead

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None] | None]


@dataclass(frozen=True)
class Endpoints:
    environment: str
    auth_base: str
    api_base: str

    @property
    def token_url(self) -> str:
        return self.auth_base + TOKEN_PATH

    @property
    def search_url(self) -> str:
        return self.api_base + SEARCH_PATH

    def item_url(self, item_id: str) -> str:
        """`item/{item_id}`; the pipes of a RESTful id are escaped as eBay's own `itemHref` does."""
        return self.api_base + ITEM_PATH + quote(item_id, safe="")

    @property
    def rate_limit_url(self) -> str:
        return self.api_base + RATE_LIMIT_PATH


def endpoints_for(environment: Literal["production", "sandbox"], environ: Mapping[str, str] | None = None) -> Endpoints:
    env = os.environ if environ is None else environ
    auth_default, api_default = BASE_URLS[environment]
    auth = _base_url(env.get(AUTH_URL_ENV, "").strip() or auth_default, AUTH_URL_ENV)
    api = _base_url(env.get(API_URL_ENV, "").strip() or api_default, API_URL_ENV)
    return Endpoints(environment, auth, api)


def _base_url(value: str, name: str) -> str:
    url = httpx.URL(value)
    if url.scheme not in ("http", "https") or not url.host or url.query or url.fragment:
        raise UsageError(f"{name} must be a base URL such as https://api.ebay.com (got {value!r})")
    return value.rstrip("/")


# --- errors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EbayErrorDetail:
    error_id: int | None
    message: str

    def __str__(self) -> str:
        return f"eBay error {self.error_id}: {self.message}" if self.error_id is not None else self.message


class EbayUnavailable(Exception):
    """eBay could not answer usefully right now (429, 5xx, timeout, garbage, token endpoint down): the build
    serves cached data. `str()` says what happened, for the stale notes."""

    def __init__(self, reason: str, *, quota_exhausted: bool = False, halts: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.quota_exhausted = quota_exhausted
        self.halts = halts
        """No further call this build can succeed (token endpoint down, quota exhausted): stop calling."""


class EbayRejected(Exception):
    """eBay refused the request itself (400 and other 4xx): retrying cannot help; the query or setup must
    change."""

    def __init__(self, status: int, details: Sequence[EbayErrorDetail]) -> None:
        self.status = status
        self.details = list(details)
        text = "; ".join(str(d) for d in self.details) or f"HTTP {status}"
        super().__init__(text)


class ItemGone(Exception):
    """getItem answered that the listing does not exist or is no longer available (404, errorId 11001/11004): a
    definite answer, cached like any other, not a failure."""


class InvalidCredentials(UsageError):
    """The token endpoint refused the keyset (401/400 invalid_client) or a fresh token was refused."""


class CallRecorder(Protocol):
    def before_browse_call(self, what: str, attempt: int) -> None:
        """Called before each Browse attempt is sent; raise (BudgetExhausted) to stop it."""

    def before_token_call(self, attempt: int) -> None:
        """Called before each OAuth grant request."""


class _NoRecorder:
    def before_browse_call(self, what: str, attempt: int) -> None:
        return None

    def before_token_call(self, attempt: int) -> None:
        return None


def error_details(response: httpx.Response) -> list[EbayErrorDetail]:
    """eBay's `errors[]` (errorId, message) or OAuth's `error`/`error_description`; empty if none."""
    try:
        body = orjson.loads(response.content)  # as the cache will read it back: same numbers either way
    except orjson.JSONDecodeError:  # also bad UTF-8 and nesting too deep
        return []
    if not isinstance(body, dict):
        return []
    details: list[EbayErrorDetail] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for error in errors:
            if not isinstance(error, dict):
                continue
            error_id = _error_id(error.get("errorId"))
            message = str(error.get("message") or error.get("longMessage") or "no message")
            details.append(EbayErrorDetail(error_id, _clip(message)))
    elif isinstance(body.get("error"), str):
        description = body.get("error_description")
        text = body["error"] + (f": {description}" if isinstance(description, str) and description else "")
        details.append(EbayErrorDetail(None, _clip(text)))
    return details


def _error_id(raw: object) -> int | None:
    """eBay's errorId as an int; None for anything else (eBay garbage must not crash the build)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    text = str(raw)
    # isdigit() also accepts digits int() refuses ("²"), and int() refuses more than 4,300 digits
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _status_text(response: httpx.Response) -> str:
    details = error_details(response)
    head = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    return f"{head} ({'; '.join(str(d) for d in details)})" if details else head


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or clock.now())).total_seconds(), 0.0)


# --- the client --------------------------------------------------------------------------------------


class _Retry(Exception):
    def __init__(
        self, reason: str, retry_after: float | None = None, quota: bool = False, kind: str = "garbage"
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.quota = quota
        self.kind = kind
        """For the circuit breaker: "timeout", "5xx", "429", "connection" or "garbage"."""


class _TokenRefused(Exception):
    pass


@dataclass(frozen=True)
class RateLimit:
    """One line of the Analytics API's rate-limit answer."""

    resource: str
    limit: int | None
    remaining: int | None
    reset: str | None
    time_window_seconds: int | None

    def describe(self) -> str:
        limit = "?" if self.limit is None else f"{self.limit:,}"
        remaining = "?" if self.remaining is None else f"{self.remaining:,}"
        reset = f", resets {self.reset}" if self.reset else ""
        return f"{self.resource}: {remaining} of {limit} remaining{reset}"


class BrowseClient:
    """One build's connection to eBay. Use as `async with BrowseClient(...) as client:`."""

    def __init__(
        self,
        credentials: Credentials,
        endpoints: Endpoints,
        *,
        marketplace_id: str,
        accept_language: str,
        campaign_id: str = "",
        timeout_seconds: float = 15.0,
        retries: int = 3,
        concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        jitter: Callable[[float, float], float] = random.uniform,
        recorder: CallRecorder | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.marketplace_id = marketplace_id
        self.accept_language = accept_language
        self.campaign_id = campaign_id
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self._credentials = credentials
        self._sleep: Sleep = sleep or asyncio.sleep
        self._monotonic = monotonic
        self._jitter = jitter
        self._recorder: CallRecorder = recorder or _NoRecorder()
        self.breaker = breaker or CircuitBreaker()
        self._probe_taken = False
        self._probe_answered = asyncio.Event()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"Accept-Encoding": "gzip", "Accept": "application/json", "User-Agent": "affsite"},
            follow_redirects=False,
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        self._halted: EbayUnavailable | InvalidCredentials | None = None
        """Set when no further call can succeed (token endpoint down, quota exhausted, keyset refused)."""
        self.retried = 0
        """Browse search attempts beyond the first, across all calls (for the build summary; token grants are not
        Browse calls and are not counted)."""

    async def __aenter__(self) -> BrowseClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"BrowseClient({self.endpoints.environment}, {self.endpoints.api_base})"

    # --- OAuth ---

    async def token(self) -> str:
        """The application token, reused until shortly before it expires; one grant request at a time."""
        async with self._token_lock:
            if self._token is not None and self._monotonic() < self._token_expires:
                return self._token
            if self._halted is not None:
                raise self._halted
            try:
                token, lifetime = await self._grant()
            except EbayUnavailable as exc:
                self._halted = EbayUnavailable(exc.reason, halts=True)
                raise self._halted from None
            except InvalidCredentials as exc:
                self._halted = exc  # every further call would be refused the same way
                raise
            margin = min(TOKEN_MARGIN_SECONDS, lifetime / 10)
            self._token = token
            self._token_expires = self._monotonic() + lifetime - margin
            return token

    def _forget_token(self, token: str) -> None:
        if self._token == token:
            self._token = None

    async def _grant(self) -> tuple[str, float]:
        def accept(response: httpx.Response) -> tuple[str, float]:
            if response.status_code == 200:
                body = _json_object(response, "eBay's token endpoint")
                token = body.get("access_token")
                expires_in = body.get("expires_in")
                if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
                    raise _Retry("eBay's token endpoint answered without an access_token")
                return token, float(expires_in)
            if response.status_code in (400, 401):
                details = "; ".join(str(d) for d in error_details(response)) or f"HTTP {response.status_code}"
                raise InvalidCredentials(
                    f"eBay refused the application keyset ({details}): check that EBAY_CLIENT_ID and "
                    f"EBAY_CLIENT_SECRET are your application's {self.endpoints.environment} keyset "
                    "(site.yaml api.environment)"
                )
            raise self._classify(response, "eBay's token endpoint")

        async def send() -> httpx.Response:
            return await self._http.post(
                self.endpoints.token_url,
                data={"grant_type": "client_credentials", "scope": SCOPE},
                headers={"Authorization": self._credentials.basic_auth_header()},
            )

        try:
            return await self._with_retries(
                "the OAuth token",
                send,
                accept,
                before=lambda attempt: self._recorder.before_token_call(attempt),
                bounded=False,
            )
        except EbayUnavailable as exc:
            raise EbayUnavailable(f"eBay's token endpoint is unavailable: {exc.reason}", halts=True) from None

    # --- Browse search ---

    async def search(self, params: Sequence[tuple[str, str]], *, what: str, reference_id: str) -> dict[str, Any]:
        """One `item_summary/search` call (with its retries); the answer's JSON object."""
        if self._halted is not None:
            raise self._halted
        headers = {
            "X-EBAY-C-MARKETPLACE-ID": self.marketplace_id,
            "Accept-Language": self.accept_language,
            "X-EBAY-C-ENDUSERCTX": enduser_context(self.campaign_id, reference_id),
        }
        current: dict[str, str] = {}

        async def prepare() -> None:
            current["token"] = await self.token()

        async def send() -> httpx.Response:
            return await self._http.get(
                self.endpoints.search_url,
                params=list(params),
                headers={**headers, "Authorization": f"Bearer {current['token']}"},
            )

        def accept(response: httpx.Response) -> dict[str, Any]:
            if response.status_code == 200:
                body = _json_object(response, "eBay")
                summaries = body.get("itemSummaries", [])
                if not isinstance(summaries, list):
                    raise _Retry("eBay answered with itemSummaries that is not a list")
                return body
            if response.status_code == 401:
                self._forget_token(current.get("token", ""))
                raise _TokenRefused(_status_text(response))
            raise self._classify(response, "eBay")

        try:
            return await self._with_retries(
                what,
                send,
                accept,
                before=lambda attempt: self._recorder.before_browse_call(what, attempt),
                prepare=prepare,
                probe=True,
            )
        except EbayUnavailable as exc:
            if exc.halts:
                self._halted = exc
            raise

    # --- Browse getItem ---

    async def item(
        self, item_id: str, *, what: str, reference_id: str, fieldgroups: str | None = None
    ) -> dict[str, Any]:
        """One `item/{item_id}` call (with its retries); the item's JSON object. ItemGone when eBay says the
        listing is not (or no longer) there."""
        if self._halted is not None:
            raise self._halted
        headers = {
            "X-EBAY-C-MARKETPLACE-ID": self.marketplace_id,
            "Accept-Language": self.accept_language,
            "X-EBAY-C-ENDUSERCTX": enduser_context(self.campaign_id, reference_id),
        }
        params = {"fieldgroups": fieldgroups} if fieldgroups else None
        current: dict[str, str] = {}

        async def prepare() -> None:
            current["token"] = await self.token()

        async def send() -> httpx.Response:
            return await self._http.get(
                self.endpoints.item_url(item_id),
                params=params,
                headers={**headers, "Authorization": f"Bearer {current['token']}"},
            )

        def accept(response: httpx.Response) -> dict[str, Any]:
            if response.status_code == 200:
                return _json_object(response, "eBay")
            if response.status_code == 404 and any(d.error_id in ITEM_GONE_ERROR_IDS for d in error_details(response)):
                raise ItemGone(_status_text(response))
            if response.status_code == 401:
                self._forget_token(current.get("token", ""))
                raise _TokenRefused(_status_text(response))
            raise self._classify(response, "eBay")

        try:
            return await self._with_retries(
                what,
                send,
                accept,
                before=lambda attempt: self._recorder.before_browse_call(what, attempt),
                prepare=prepare,
            )
        except EbayUnavailable as exc:
            if exc.halts:
                self._halted = exc
            raise

    # --- Analytics ---

    async def rate_limits(self) -> list[RateLimit]:
        """The Browse quota as eBay counts it (Analytics API `rate_limit`); not charged to the budget."""

        current: dict[str, str] = {}

        async def prepare() -> None:
            current["token"] = await self.token()

        async def send() -> httpx.Response:
            return await self._http.get(
                self.endpoints.rate_limit_url,
                params={"api_context": "buy", "api_name": "browse"},
                headers={"Authorization": f"Bearer {current['token']}"},
            )

        def accept(response: httpx.Response) -> list[RateLimit]:
            if response.status_code == 204:
                return []
            if response.status_code == 200:
                return parse_rate_limits(_json_object(response, "eBay's Analytics API"))
            raise self._classify(response, "eBay's Analytics API")

        return await self._with_retries("the rate limits", send, accept, before=lambda attempt: None, prepare=prepare)

    # --- the retry loop ---

    def _classify(self, response: httpx.Response, who: str) -> Exception:
        status = response.status_code
        if status == 429 or status >= 500:
            details = error_details(response)
            quota = status == 429 and any(d.error_id == QUOTA_ERROR_ID for d in details)
            kind = "429" if status == 429 else "5xx"
            return _Retry(f"{who} answered {_status_text(response)}", retry_after_seconds(response), quota, kind)
        return EbayRejected(status, error_details(response) or [EbayErrorDetail(None, _status_text(response))])

    async def _with_retries(
        self,
        what: str,
        send: Callable[[], Awaitable[httpx.Response]],
        accept: Callable[[httpx.Response], T],
        *,
        before: Callable[[int], None],
        prepare: Callable[[], Awaitable[None]] | None = None,
        bounded: bool = True,
        probe: bool = False,
    ) -> T:
        """Send until accepted, retrying what can be retried.

        A bounded call holds its concurrency slot through its retries and backoff, so a call keeps its place
        in the queue (the budget goes where the plan put it) and a struggling eBay sees fewer calls at once.
        `prepare` (getting the token, which is not bounded) runs before `before` (the budget charge), so a
        call is charged only when it is about to go out.

        With `probe`, the build's first attempt goes out alone and the others wait for its answer: when eBay says
        the day's quota is gone (429, errorId 2001), that one call is the only one sent.
        """
        if not bounded:
            return await self._attempts(what, send, accept, before, prepare, probe)
        async with self._semaphore:
            return await self._attempts(what, send, accept, before, prepare, probe)

    async def _attempts(
        self,
        what: str,
        send: Callable[[], Awaitable[httpx.Response]],
        accept: Callable[[httpx.Response], T],
        before: Callable[[int], None],
        prepare: Callable[[], Awaitable[None]] | None,
        probe: bool = False,
    ) -> T:
        attempt = 0
        failures = 0
        refreshed = False
        last_failure = ""
        while True:
            attempt += 1
            probing = False
            if probe and not self._probe_answered.is_set():
                if self._probe_taken:
                    await self._probe_answered.wait()
                else:
                    self._probe_taken = probing = True
            try:
                if self._halted is not None:
                    raise self._halted
                if prepare is not None:
                    await prepare()
                try:
                    before(attempt)
                except BudgetExhausted as exc:
                    if not last_failure:
                        raise
                    # The budget ran out between retries: the cause is eBay's failure, not the budget.
                    raise EbayUnavailable(f"{last_failure} ({exc}, so it was not tried again)") from None
                if probe and attempt > 1:
                    self.retried += 1
                try:
                    response = await send()
                except httpx.TimeoutException:
                    raise _Retry(f"eBay did not answer within {self.timeout_seconds:g} s", kind="timeout") from None
                except httpx.TransportError as exc:
                    raise _Retry(f"could not reach eBay ({type(exc).__name__})", kind="connection") from None
                result = accept(response)
                if probe:
                    self.breaker.success()
                return result
            except _TokenRefused as exc:
                if refreshed:
                    raise InvalidCredentials(
                        f"eBay refused a freshly issued application token for {what} ({exc}): check that "
                        "the keyset may use the Browse API"
                    ) from None
                refreshed = True  # one fresh token and one retry, no backoff
                log.debug("eBay refused the application token for %s; getting a new one", what)
                continue
            except _Retry as exc:
                if probing:
                    self._probe_answered.set()  # the others need not wait through this call's backoff
                failures += 1
                tries = f"{failures} {'try' if failures == 1 else 'tries'}"
                if exc.quota:
                    # The day's quota is gone: no retry, and no other call of this build can succeed.
                    self._halted = EbayUnavailable(
                        f"{exc.reason}: eBay says today's call quota is used up; no call until it resets",
                        quota_exhausted=True,
                        halts=True,
                    )
                    raise self._halted from None
                last_failure = f"{exc.reason} after {tries}"
                if probe and self.breaker.failure(exc.kind, what, exc.reason):
                    self._halted = EbayUnavailable(self.breaker.reason or exc.reason, halts=True)
                    log.warning("eBay: %s", self.breaker.reason)
                    raise self._halted from None
                if failures > self.retries:
                    raise EbayUnavailable(
                        f"{exc.reason} after {tries}", quota_exhausted=exc.quota, halts=exc.quota
                    ) from None
                if exc.retry_after is not None and exc.retry_after > MAX_RETRY_AFTER_SECONDS:
                    raise EbayUnavailable(
                        f"{exc.reason}; eBay asked to wait {exc.retry_after:.0f} s",
                        quota_exhausted=exc.quota,
                        halts=exc.quota,
                    ) from None
                delay = self._backoff(failures, exc.retry_after)
                log.debug("%s: %s; retrying in %.1f s", what, exc.reason, delay)
                slept = self._sleep(delay)
                if inspect.isawaitable(slept):
                    await slept
                if self._halted is not None:
                    raise self._halted from None
            finally:
                if probing:
                    self._probe_answered.set()

    def _backoff(self, failures: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling: float = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (failures - 1))
        return ceiling / 2 + float(self._jitter(0.0, ceiling / 2))


def enduser_context(campaign_id: str, reference_id: str) -> str:
    parts = []
    if campaign_id:
        parts.append(f"affiliateCampaignId={campaign_id}")
    parts.append(f"affiliateReferenceId={reference_id}")
    return ",".join(parts)


def _json_object(response: httpx.Response, who: str) -> dict[str, Any]:
    try:
        body = orjson.loads(response.content)  # as the cache will read it back: same numbers either way
    except orjson.JSONDecodeError:  # also bad UTF-8 and nesting too deep
        raise _Retry(f"{who} answered with malformed JSON") from None
    if not isinstance(body, dict):
        raise _Retry(f"{who} answered with JSON that is not an object")
    return body


def parse_rate_limits(body: Mapping[str, Any]) -> list[RateLimit]:
    limits: list[RateLimit] = []
    for rate_limit in body.get("rateLimits") or []:
        if not isinstance(rate_limit, dict):
            continue
        for resource in rate_limit.get("resources") or []:
            if not isinstance(resource, dict):
                continue
            for rate in resource.get("rates") or []:
                if not isinstance(rate, dict):
                    continue
                limits.append(
                    RateLimit(
                        resource=str(resource.get("name") or rate_limit.get("apiName") or "?"),
                        limit=_int_or_none(rate.get("limit")),
                        remaining=_int_or_none(rate.get("remaining")),
                        reset=str(rate["reset"]) if rate.get("reset") else None,
                        time_window_seconds=_int_or_none(rate.get("timeWindow")),
                    )
                )
    return limits


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
