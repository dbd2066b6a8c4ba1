"""The Browse client against a fake eBay: OAuth reuse and refresh, headers, retries, errors, concurrency."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from ebay_fake import CAMPAIGN, CLIENT_ID, CLIENT_SECRET, FakeEbay, ebay_error, fake_ebay, slow
from werkzeug import Response

from builder.catalog.browse import (
    BrowseClient,
    EbayRejected,
    EbayUnavailable,
    InvalidCredentials,
    endpoints_for,
    retry_after_seconds,
)
from builder.catalog.credentials import Credentials, credentials_from_env
from builder.errors import UsageError
from builder.secret import Secret

PARAMS = (("q", "camera"), ("filter", "buyingOptions:{FIXED_PRICE}"), ("limit", "3"), ("offset", "0"))
CREDS = Credentials(Secret(CLIENT_ID), Secret(CLIENT_SECRET))


@pytest.fixture
def ebay() -> Iterator[FakeEbay]:
    with fake_ebay() as fake:
        yield fake


class Recorder:
    def __init__(self, browse_limit: int | None = None) -> None:
        self.browse: list[tuple[str, int]] = []
        self.tokens: list[int] = []
        self.browse_limit = browse_limit

    def before_browse_call(self, what: str, attempt: int) -> None:
        if self.browse_limit is not None and len(self.browse) >= self.browse_limit:
            raise RuntimeError("budget spent")
        self.browse.append((what, attempt))

    def before_token_call(self, attempt: int) -> None:
        self.tokens.append(attempt)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_client(ebay: FakeEbay, **options: object) -> tuple[BrowseClient, list[float], Recorder]:
    sleeps: list[float] = []
    recorder = Recorder()
    settings: dict[str, object] = {
        "marketplace_id": "EBAY_US",
        "accept_language": "en-US",
        "campaign_id": CAMPAIGN,
        "retries": 3,
        "timeout_seconds": 5.0,
        "sleep": sleeps.append,
        "jitter": lambda low, high: high,
        "recorder": recorder,
    }
    settings.update(options)
    client = BrowseClient(CREDS, endpoints_for("production", ebay.environ), **settings)  # type: ignore[arg-type]
    return client, sleeps, recorder


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _searches(client: BrowseClient, count: int, reference: str = "cameras") -> list[dict[str, object]]:
    async with client:
        return [await client.search(PARAMS, what=f"call {i}", reference_id=reference) for i in range(count)]


# --- OAuth --------------------------------------------------------------------------------------------


def test_one_token_is_reused_across_calls(ebay: FakeEbay) -> None:
    client, _, recorder = make_client(ebay)
    answers = run(_searches(client, 3))
    assert len(answers) == 3  # type: ignore[arg-type]
    assert len(ebay.token_requests) == 1 and recorder.tokens == [1]
    grant = ebay.token_requests[0]
    assert grant["grant_type"] == "client_credentials"
    assert grant["scope"] == "https://api.ebay.com/oauth/api_scope"
    assert grant["authorization"] == CREDS.basic_auth_header()
    assert {call.headers["Authorization"] for call in ebay.searches} == {f"Bearer {ebay.issued[0]}"}


def test_token_is_renewed_shortly_before_it_expires(ebay: FakeEbay) -> None:
    clock = Clock()
    client, _, _ = make_client(ebay, monotonic=clock)

    async def scenario() -> None:
        async with client:
            await client.search(PARAMS, what="a", reference_id="x")
            clock.now += 7200 - 400  # still more than the 5-minute margin left
            await client.search(PARAMS, what="b", reference_id="x")
            assert len(ebay.issued) == 1
            clock.now += 200  # now inside the margin
            await client.search(PARAMS, what="c", reference_id="x")

    run(scenario())
    assert len(ebay.issued) == 2
    assert ebay.searches[-1].headers["Authorization"] == f"Bearer {ebay.issued[1]}"


def test_expired_token_is_refreshed_once_and_the_call_retried(ebay: FakeEbay) -> None:
    client, sleeps, recorder = make_client(ebay)

    async def scenario() -> dict[str, object]:
        async with client:
            await client.search(PARAMS, what="first", reference_id="x")
            ebay.revoked.add(ebay.issued[0])  # eBay now says 401 errorId 1001 for it
            return await client.search(PARAMS, what="second", reference_id="x")

    answer = run(scenario())
    assert isinstance(answer, dict) and answer["total"] == 3
    assert len(ebay.issued) == 2
    assert len(ebay.searches) == 3
    assert sleeps == []  # a refresh is not a backoff
    assert recorder.browse == [("first", 1), ("second", 1), ("second", 2)]  # the retry is charged too


def test_a_fresh_token_refused_again_is_a_credentials_error(ebay: FakeEbay) -> None:
    ebay.search_script = [ebay_error(401, 1001, "Invalid access token")] * 2
    client, _, _ = make_client(ebay)
    with pytest.raises(InvalidCredentials) as caught:
        run(_searches(client, 1))
    assert len(ebay.issued) == 2 and len(ebay.searches) == 2  # exactly one refresh, one retry
    assert CLIENT_SECRET not in str(caught.value)


def test_invalid_client_is_a_usage_error_without_the_secret(ebay: FakeEbay) -> None:
    ebay.token_script = [
        Response(
            '{"error":"invalid_client","error_description":"client authentication failed"}',
            status=401,
            content_type="application/json",
        )
    ]
    client, _, _ = make_client(ebay)
    with pytest.raises(UsageError) as caught:
        run(_searches(client, 1))
    message = str(caught.value)
    assert "invalid_client: client authentication failed" in message
    assert "EBAY_CLIENT_ID" in message and CLIENT_SECRET not in message and CLIENT_ID not in message
    assert ebay.searches == [] and len(ebay.token_requests) == 1  # not retried


def test_token_endpoint_down_stops_all_calls_after_its_retries(ebay: FakeEbay) -> None:
    ebay.token_script = [Response("upstream down", status=503)] * 10
    client, sleeps, recorder = make_client(ebay, retries=2)

    async def scenario() -> list[str]:
        reasons = []
        async with client:
            for i in range(3):
                with pytest.raises(EbayUnavailable) as caught:
                    await client.search(PARAMS, what=f"c{i}", reference_id="x")
                reasons.append(caught.value.reason)
        return reasons

    reasons = run(scenario())
    assert len(ebay.token_requests) == 3  # 1 + 2 retries, then no more
    assert ebay.searches == [] and recorder.browse == []
    assert len(sleeps) == 2
    assert all("token endpoint is unavailable" in r and "HTTP 503" in r for r in reasons)  # type: ignore[union-attr]


# --- the search call --------------------------------------------------------------------------------


def test_search_sends_marketplace_language_gzip_and_affiliate_context(ebay: FakeEbay) -> None:
    ebay.gzip_answers = True
    client, _, _ = make_client(ebay)
    (answer,) = run(_searches(client, 1, reference="cameras"))  # type: ignore[misc]
    assert [i["itemId"] for i in answer["itemSummaries"]] == [i["itemId"] for i in answer["itemSummaries"]][:3]
    call = ebay.searches[0]
    assert call.params == {"q": "camera", "filter": "buyingOptions:{FIXED_PRICE}", "limit": "3", "offset": "0"}
    assert call.headers["X-Ebay-C-Marketplace-Id"] == "EBAY_US"
    assert call.headers["Accept-Language"] == "en-US"
    assert "gzip" in call.headers["Accept-Encoding"]
    assert call.headers["X-Ebay-C-Enduserctx"] == f"affiliateCampaignId={CAMPAIGN},affiliateReferenceId=cameras"


def test_without_campaign_the_context_has_only_the_reference(ebay: FakeEbay) -> None:
    client, _, _ = make_client(ebay, campaign_id="")
    run(_searches(client, 1, reference="lenses"))
    assert ebay.searches[0].headers["X-Ebay-C-Enduserctx"] == "affiliateReferenceId=lenses"


def test_429_with_retry_after_waits_as_told(ebay: FakeEbay) -> None:
    ebay.search_script = [ebay_error(429, 2000, "Too many requests per second", {"Retry-After": "7"})]
    client, sleeps, recorder = make_client(ebay)
    run(_searches(client, 1))
    assert sleeps == [7.0]
    assert len(ebay.searches) == 2 and [a for _, a in recorder.browse] == [1, 2]


def test_429_without_retry_after_backs_off_exponentially_with_jitter(ebay: FakeEbay) -> None:
    ebay.search_script = [ebay_error(429, 2000, "Too many requests per second")] * 3
    client, sleeps, _ = make_client(ebay, jitter=lambda low, high: low)
    run(_searches(client, 1))
    assert sleeps == [0.5, 1.0, 2.0]  # half the exponential step, plus jitter (0 here)
    client, sleeps, _ = make_client(ebay, jitter=lambda low, high: high)
    ebay.search_script = [ebay_error(429, 2000, "Too many requests per second")] * 2
    run(_searches(client, 1))
    assert sleeps == [1.0, 2.0]


def test_500_then_success(ebay: FakeEbay) -> None:
    ebay.search_script = [ebay_error(500, 12000, "There was a problem with an eBay internal system")]
    client, sleeps, _ = make_client(ebay)
    (answer,) = run(_searches(client, 1))  # type: ignore[misc]
    assert answer["total"] == 3 and len(ebay.searches) == 2 and len(sleeps) == 1
    assert client.retried == 1


def test_persistent_5xx_gives_up_after_the_retries(ebay: FakeEbay) -> None:
    ebay.search_script = [Response("bad gateway", status=502)] * 10
    client, sleeps, _ = make_client(ebay, retries=3)
    with pytest.raises(EbayUnavailable) as caught:
        run(_searches(client, 1))
    assert len(ebay.searches) == 4 and len(sleeps) == 3
    assert caught.value.reason == "eBay answered HTTP 502 BAD GATEWAY after 4 tries"


def test_a_very_long_retry_after_is_not_waited_for(ebay: FakeEbay) -> None:
    ebay.search_script = [ebay_error(429, 2000, "Too many requests per second", {"Retry-After": "3600"})]
    client, sleeps, _ = make_client(ebay)
    with pytest.raises(EbayUnavailable) as caught:
        run(_searches(client, 1))
    assert sleeps == [] and "asked to wait 3600 s" in caught.value.reason


def test_timeout_is_retried_then_reported(ebay: FakeEbay) -> None:
    ebay.search_script = [slow(0.6, Response("{}", content_type="application/json"))] * 2
    client, sleeps, _ = make_client(ebay, timeout_seconds=0.2, retries=1)
    with pytest.raises(EbayUnavailable) as caught:
        run(_searches(client, 1))
    assert caught.value.reason == "eBay did not answer within 0.2 s after 2 tries"
    assert len(sleeps) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    client = BrowseClient(
        CREDS,
        endpoints_for("production", {"AFFSITE_EBAY_AUTH_URL": "http://127.0.0.1:9", "AFFSITE_EBAY_API_URL": ""}),
        marketplace_id="EBAY_US",
        accept_language="en-US",
        retries=1,
        sleep=lambda s: None,
    )
    with pytest.raises(EbayUnavailable) as caught:
        run(_searches(client, 1))
    assert "could not reach eBay (ConnectError)" in caught.value.reason


def test_malformed_json_is_retried_then_reported(ebay: FakeEbay) -> None:
    ebay.search_script = [Response('{"itemSummaries": [', content_type="application/json")] * 3
    client, _, _ = make_client(ebay, retries=2)
    with pytest.raises(EbayUnavailable) as caught:
        run(_searches(client, 1))
    assert caught.value.reason == "eBay answered with malformed JSON after 3 tries"


def test_malformed_json_once_then_good(ebay: FakeEbay) -> None:
    ebay.search_script = [Response("<html>oops</html>", content_type="text/html")]
    client, _, _ = make_client(ebay)
    (answer,) = run(_searches(client, 1))  # type: ignore[misc]
    assert answer["total"] == 3


def test_error_body_becomes_a_message_and_is_not_retried(ebay: FakeEbay) -> None:
    ebay.search_script = [ebay_error(400, 12012, "a price filter needs priceCurrency")]
    client, sleeps, _ = make_client(ebay)
    with pytest.raises(EbayRejected) as caught:
        run(_searches(client, 1))
    assert str(caught.value) == "eBay error 12012: a price filter needs priceCurrency"
    assert len(ebay.searches) == 1 and sleeps == []


def test_garbage_error_ids_and_deeply_nested_json_are_reported_not_crashes(ebay: FakeEbay) -> None:
    deep = Response("[" * 100_000, content_type="application/json")
    ebay.search_script = [
        Response('{"errors": [{"errorId": "\u00b2", "message": "odd"}]}', status=500, content_type="application/json"),
        Response('{"errors": [{"errorId": "' + "9" * 5000 + '"}]}', status=500, content_type="application/json"),
        deep,
        deep,
    ]
    client, _, _ = make_client(ebay, retries=3)
    with pytest.raises(EbayUnavailable) as caught:
        run(_searches(client, 1))
    assert caught.value.reason == "eBay answered with malformed JSON after 4 tries"
    ebay.search_script = [Response('{"errors": [{"errorId": "\u00b2", "message": "odd"}]}', status=400)]
    client, _, _ = make_client(ebay)
    with pytest.raises(EbayRejected) as rejected:
        run(_searches(client, 1))
    assert str(rejected.value) == "odd"


def test_error_without_a_body_names_the_status(ebay: FakeEbay) -> None:
    ebay.search_script = [Response("", status=404)]
    client, _, _ = make_client(ebay)
    with pytest.raises(EbayRejected) as caught:
        run(_searches(client, 1))
    assert str(caught.value) == "HTTP 404 NOT FOUND"


def test_the_recorder_is_asked_before_each_call_and_can_stop_it(ebay: FakeEbay) -> None:
    client, _, recorder = make_client(ebay)
    recorder.browse_limit = 1
    with pytest.raises(RuntimeError):
        run(_searches(client, 2))
    assert len(ebay.searches) == 1  # the refused call never reached eBay


def test_calls_run_concurrently_up_to_the_bound(ebay: FakeEbay) -> None:
    ebay.delay = 0.2
    client, _, _ = make_client(ebay, concurrency=4)

    async def scenario() -> None:
        async with client:
            await asyncio.gather(*(client.search(PARAMS, what=str(i), reference_id="x") for i in range(8)))

    started = time.perf_counter()
    run(scenario())
    elapsed = time.perf_counter() - started
    assert ebay.max_in_flight == 4
    assert elapsed < 8 * 0.2 * 0.75  # far from the sequential 1.6 s


def test_rate_limits_from_the_analytics_api(ebay: FakeEbay) -> None:
    client, _, recorder = make_client(ebay)

    async def scenario() -> object:
        async with client:
            return await client.rate_limits()

    (limit,) = run(scenario())  # type: ignore[misc]
    assert (limit.limit, limit.remaining, limit.time_window_seconds) == (5000, 3766, 86400)
    assert limit.describe() == "buy.browse: 3,766 of 5,000 remaining, resets 2024-05-02T07:00:00.000Z"
    assert recorder.browse == []  # not charged to the Browse budget


def test_rate_limits_204_is_empty() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 7200})
        return httpx.Response(204)

    client = BrowseClient(
        CREDS,
        endpoints_for("sandbox", {}),
        marketplace_id="EBAY_US",
        accept_language="en-US",
        transport=httpx.MockTransport(handler),
    )

    async def scenario() -> object:
        async with client:
            return await client.rate_limits()

    assert run(scenario()) == []


def test_retry_after_as_http_date() -> None:
    from datetime import UTC, datetime

    response = httpx.Response(429, headers={"Retry-After": "Wed, 01 May 2024 12:00:30 GMT"})
    assert retry_after_seconds(response, datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) == 30.0
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after_seconds(httpx.Response(429, headers=[(b"Retry-After", b"\xb2")])) is None


# --- endpoints and credentials ----------------------------------------------------------------------------------


def test_endpoints_default_and_overridden() -> None:
    production = endpoints_for("production", {})
    assert production.token_url == "https://api.ebay.com/identity/v1/oauth2/token"
    assert production.search_url == "https://api.ebay.com/buy/browse/v1/item_summary/search"
    sandbox = endpoints_for("sandbox", {})
    assert sandbox.token_url == "https://api.sandbox.ebay.com/identity/v1/oauth2/token"
    fake = endpoints_for(
        "production", {"AFFSITE_EBAY_AUTH_URL": "http://127.0.0.1:8001/", "AFFSITE_EBAY_API_URL": "http://h:9/x"}
    )
    assert fake.token_url == "http://127.0.0.1:8001/identity/v1/oauth2/token"
    assert fake.rate_limit_url == "http://h:9/x/developer/analytics/v1_beta/rate_limit/"
    with pytest.raises(UsageError, match="AFFSITE_EBAY_API_URL must be a base URL"):
        endpoints_for("production", {"AFFSITE_EBAY_API_URL": "ftp://example.com"})


def test_credentials_from_env() -> None:
    assert credentials_from_env({}) is None
    assert credentials_from_env({"EBAY_CLIENT_ID": " ", "EBAY_CLIENT_SECRET": ""}) is None
    with pytest.raises(UsageError, match="EBAY_CLIENT_ID is set but EBAY_CLIENT_SECRET is not"):
        credentials_from_env({"EBAY_CLIENT_ID": "abc"})
    with pytest.raises(UsageError, match="EBAY_CLIENT_SECRET is set but EBAY_CLIENT_ID is not"):
        credentials_from_env({"EBAY_CLIENT_SECRET": "abc"})
    creds = credentials_from_env({"EBAY_CLIENT_ID": CLIENT_ID, "EBAY_CLIENT_SECRET": CLIENT_SECRET})
    assert creds is not None and creds.client_secret.reveal() == CLIENT_SECRET


def test_secrets_never_show(caplog: pytest.LogCaptureFixture) -> None:
    creds = Credentials(Secret(CLIENT_ID), Secret(CLIENT_SECRET))
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("creds %s %r %s", creds, creds, creds.client_secret)
    shown = f"{creds} {creds!r} {creds.client_secret} {creds.client_id:>5}" + caplog.text
    assert CLIENT_SECRET not in shown and CLIENT_ID not in shown
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(creds.client_secret)


def test_client_logs_never_carry_secrets_or_tokens(ebay: FakeEbay, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ebay.search_script = [Response("oops", status=500)]
    client, _, _ = make_client(ebay)
    run(_searches(client, 2))
    assert CLIENT_SECRET not in caplog.text and CLIENT_ID not in caplog.text
    assert ebay.issued[0] not in caplog.text
    assert CLIENT_SECRET not in repr(client)
