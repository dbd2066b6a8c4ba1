"""A fake eBay for the live-data tests: the OAuth token endpoint, Browse search, Browse getItem
(`item/{item_id}`) and the Analytics rate-limit read, played by pytest-httpserver on 127.0.0.1. Answers are generated from a seed (shaped like real Browse
responses) unless a test scripts what comes next (errors, delays, garbage).

Import it from test modules (`from ebay_fake import ...`); it is not a conftest plugin.
"""

from __future__ import annotations

import atexit
import gzip
import itertools
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from builder.config import ApiSettings, CategoryConfig, Config, SiteConfig
from builder.marketplaces import MARKETPLACES

CLIENT_ID = "affsite-test-PRD-0123456789-abcdef"
CLIENT_SECRET = "PRD-s3cr3t-value-never-printed"
CAMPAIGN = "5338123456"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 05:00 PDT; the quota resets at 07:00 UTC

Scripted = Response | Callable[[Request], Response]


def answer(scripted: Scripted, request: Request) -> Response:
    return scripted if isinstance(scripted, Response) else scripted(request)


def ebay_error(status: int, error_id: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"errorId": error_id, "domain": "API_BROWSE", "category": "REQUEST", "message": message}]}
    return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")


def item(category: str, n: int, marketplace: str = "EBAY_US") -> dict[str, Any]:
    """A listing as the marketplace answers it: its site, currency and EPN rotation id (other ids per marketplace)."""
    market = MARKETPLACES[marketplace]
    seed = category if marketplace == "EBAY_US" else f"{category}@{marketplace}"
    legacy = str(100000000000 + zlib.crc32(seed.encode()) % 10**9 * 100 + n)
    price = Decimal(10) + Decimal(n) + Decimal("0.99")
    return {
        "itemId": f"v1|{legacy}|0",
        "legacyItemId": legacy,
        "title": f"{category.title()} listing {n}",
        "price": {"value": f"{price:.2f}", "currency": market.currency},
        "image": {"imageUrl": f"https://i.ebayimg.com/thumbs/images/g/{legacy}/s-l225.jpg"},
        "condition": "New",
        "conditionId": "1000",
        "seller": {"username": f"seller{n}", "feedbackPercentage": "99.5", "feedbackScore": 1200 + n},
        "buyingOptions": ["FIXED_PRICE"],
        "itemWebUrl": f"https://{market.domain}/itm/{legacy}",
        "itemAffiliateWebUrl": f"https://{market.domain}/itm/{legacy}?mkevt=1&mkcid=1&mkrid={market.rotation_id}"
        f"&campid={CAMPAIGN}&customid={category}&toolid=10049",
        "itemLocation": {"country": market.country},
        "adultOnly": False,
    }


def search_page(category: str, total: int, limit: int, offset: int, marketplace: str = "EBAY_US") -> dict[str, Any]:
    items = [item(category, n, marketplace) for n in range(offset, min(offset + limit, total))]
    page: dict[str, Any] = {
        "href": f"https://api.ebay.com/buy/browse/v1/item_summary/search?limit={limit}&offset={offset}",
        "total": total,
        "limit": limit,
        "offset": offset,
    }
    if items:
        page["itemSummaries"] = items
    if offset + limit < total:
        page["next"] = f"https://api.ebay.com/buy/browse/v1/item_summary/search?limit={limit}&offset={offset + limit}"
    return page


def get_item(legacy: str) -> dict[str, Any]:
    """A getItem answer: the summary fields plus what only getItem has (aspects, availability)."""
    data = item(f"item {legacy}", 1)
    data.update(
        itemId=f"v1|{legacy}|0",
        legacyItemId=legacy,
        title=f"Listed item {legacy}",
        itemWebUrl=f"https://www.ebay.com/itm/{legacy}",
        brand="Fakebrand",
        localizedAspects=[{"type": "STRING", "name": "Model", "value": f"Model {legacy[-3:]}"}],
        estimatedAvailabilities=[{"estimatedAvailabilityStatus": "IN_STOCK", "estimatedAvailableQuantity": 3}],
    )
    data.pop("itemAffiliateWebUrl")
    return data


@dataclass
class SearchCall:
    params: dict[str, str]
    headers: dict[str, str]

    @property
    def reference(self) -> str:
        context = self.headers.get("X-Ebay-C-Enduserctx", "")
        for part in context.split(","):
            name, _, value = part.partition("=")
            if name == "affiliateReferenceId":
                return value
        return ""


@dataclass
class FakeEbay:
    server: HTTPServer
    expires_in: int = 7200
    totals: dict[str, int] = field(default_factory=dict)
    """Items per category (affiliateReferenceId); 3 when not set."""
    search_script: list[Scripted] = field(default_factory=list)
    """Answers for the next searches, in order, before generated ones."""
    search_scripts: dict[str, list[Scripted]] = field(default_factory=dict)
    """Per-category scripted answers (by affiliateReferenceId)."""
    token_script: list[Scripted] = field(default_factory=list)
    outage: Scripted | None = None
    """The answer to every search while set (eBay down), after the scripted ones."""
    failing: dict[str, Scripted] = field(default_factory=dict)
    """The answer to every search of these categories (by affiliateReferenceId) while set."""
    gzip_answers: bool = False
    searches: list[SearchCall] = field(default_factory=list)
    item_calls: list[str] = field(default_factory=list)
    """The item ids of getItem calls, in order."""
    gone_items: set[str] = field(default_factory=set)
    """Legacy ids getItem answers 404 (errorId 11001, item not found) for."""
    item_prices: dict[str, str] = field(default_factory=dict)
    """getItem prices by legacy id (default: the generated one)."""
    item_fieldgroups: list[str] = field(default_factory=list)
    """The `fieldgroups` of each getItem call ("" when not given)."""
    token_requests: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    in_flight: int = 0
    max_in_flight: int = 0
    delay: float = 0.0
    prefix: str = ""
    """A path prefix of this fake's own, so a late request from an earlier test cannot reach it."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url_for(self.prefix or "/").rstrip("/")

    @property
    def environ(self) -> dict[str, str]:
        return {"AFFSITE_EBAY_AUTH_URL": self.url, "AFFSITE_EBAY_API_URL": self.url}

    def install(self) -> None:
        base = self.prefix
        self.server.expect_request(f"{base}/identity/v1/oauth2/token", method="POST").respond_with_handler(self._token)
        self.server.expect_request(f"{base}/buy/browse/v1/item_summary/search", method="GET").respond_with_handler(
            self._search
        )
        self.server.expect_request(
            re.compile(re.escape(f"{base}/buy/browse/v1/item/") + ".+"), method="GET"
        ).respond_with_handler(self._item)
        self.server.expect_request(f"{base}/developer/analytics/v1_beta/rate_limit/").respond_with_handler(self._rates)

    def searches_for(self, category: str) -> list[SearchCall]:
        return [call for call in self.searches if call.reference == category]

    def _token(self, request: Request) -> Response:
        with self._lock:
            self.token_requests.append(
                {"authorization": request.headers.get("Authorization", ""), **request.form.to_dict()}
            )
            scripted = self.token_script.pop(0) if self.token_script else None
        if scripted is not None:
            return answer(scripted, request)
        with self._lock:
            token = f"v^1.1#test-token-{len(self.issued) + 1}"
            self.issued.append(token)
        body = {"access_token": token, "expires_in": self.expires_in, "token_type": "Application Access Token"}
        return Response(json.dumps(body), content_type="application/json")

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        return header.startswith("Bearer ") and token in self.issued and token not in self.revoked

    def _search(self, request: Request) -> Response:
        params = {k: v[0] for k, v in parse_qs(request.query_string.decode(), keep_blank_values=True).items()}
        call = SearchCall(params, dict(request.headers))
        with self._lock:
            self.searches.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            per_category = self.search_scripts.get(call.reference)
            scripted = (
                per_category.pop(0) if per_category else self.search_script.pop(0) if self.search_script else None
            )
            if scripted is None:
                scripted = self.failing.get(call.reference, self.outage)
        try:
            if self.delay:
                time.sleep(self.delay)
            if scripted is not None:
                return answer(scripted, request)
            if not self._authorized(request):
                return ebay_error(401, 1001, "Invalid access token")
            total = self.totals.get(call.reference, 3)
            marketplace = call.headers.get("X-Ebay-C-Marketplace-Id", "EBAY_US")
            page = search_page(call.reference, total, int(params["limit"]), int(params["offset"]), marketplace)
            body = json.dumps(page)
            if self.gzip_answers:
                return Response(
                    gzip.compress(body.encode()),
                    content_type="application/json",
                    headers={"Content-Encoding": "gzip"},
                )
            return Response(body, content_type="application/json")
        finally:
            with self._lock:
                self.in_flight -= 1

    def _item(self, request: Request) -> Response:
        item_id = unquote(request.path.rsplit("/", 1)[1])
        fieldgroups = request.args.get("fieldgroups", "")
        with self._lock:
            self.item_calls.append(item_id)
            self.item_fieldgroups.append(fieldgroups)
        if not self._authorized(request):
            return ebay_error(401, 1001, "Invalid access token")
        legacy = item_id.split("|")[1] if "|" in item_id else item_id
        if legacy in self.gone_items:
            return ebay_error(404, 11001, "The specified item Id was not found.")
        body = get_item(legacy)
        if legacy in self.item_prices:
            body["price"] = {"value": self.item_prices[legacy], "currency": "USD"}
        if fieldgroups == "COMPACT":  # only what changes: eBay's cheap price and availability check
            keep = ("itemId", "legacyItemId", "price", "estimatedAvailabilities", "itemEndDate", "itemAffiliateWebUrl")
            body = {k: v for k, v in body.items() if k in keep}
        return Response(json.dumps(body), content_type="application/json")

    def _rates(self, request: Request) -> Response:
        if not self._authorized(request):
            return ebay_error(401, 1001, "Invalid access token")
        body = {
            "rateLimits": [
                {
                    "apiContext": "buy",
                    "apiName": "browse",
                    "apiVersion": "v1",
                    "resources": [
                        {
                            "name": "buy.browse",
                            "rates": [
                                {
                                    "count": 1234,
                                    "limit": 5000,
                                    "remaining": 3766,
                                    "reset": "2024-05-02T07:00:00.000Z",
                                    "timeWindow": 86400,
                                }
                            ],
                        }
                    ],
                }
            ]
        }
        return Response(json.dumps(body), content_type="application/json")


_server: HTTPServer | None = None
_instances = itertools.count(1)


def _shared_server() -> HTTPServer:
    """One threaded server per test process (stopping one takes half a second), reset for every test."""
    global _server
    if _server is None or not _server.is_running():
        _server = HTTPServer(host="127.0.0.1", threaded=True)
        _server.start()
        atexit.register(_server.stop)
    return _server


@contextmanager
def fake_ebay() -> Iterator[FakeEbay]:
    server = _shared_server()
    server.clear()
    try:
        fake = FakeEbay(server, prefix=f"/fake{next(_instances)}")
        fake.install()
        yield fake
        errors = list(server.handler_errors)
        assert not errors, f"the fake eBay failed: {errors!r}"
    finally:
        server.clear()


def slow(seconds: float, then: Scripted) -> Callable[[Request], Response]:
    def delayed(request: Request) -> Response:
        time.sleep(seconds)
        return answer(then, request)

    return delayed


def site_config(root: Path, categories: list[CategoryConfig], **api: Any) -> Config:
    settings = {"retries": 2, "timeout_seconds": 5.0, **api}
    site = SiteConfig(
        title="Test deals",
        base_url="https://deals.example.com",  # type: ignore[arg-type]
        campaign_id=CAMPAIGN,
        api=ApiSettings(**settings),
    )
    return Config(root=root, site=site, categories=categories)


def category(slug: str, **fields: Any) -> CategoryConfig:
    values: dict[str, Any] = {"slug": slug, "title": slug.title(), "q": slug.replace("-", " "), "items": 3}
    values.update(fields)
    return CategoryConfig(**values)
