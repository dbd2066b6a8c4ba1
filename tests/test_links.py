"""EPN tracked links: eBay's affiliate URL first, else EPN parameters on the item URL; never a non-eBay target."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import NOW, item

from builder.catalog.links import TOOL_ID, add_epn_params, campaign_id, is_safe_ebay_url, tracked_url
from builder.catalog.normalize import Normalizer
from builder.config import SiteConfig
from builder.marketplaces import MARKETPLACES, is_ebay_host

CAMPAIGN = "5338111111"
US = MARKETPLACES["EBAY_US"]


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def site(campaign: str = "") -> SiteConfig:
    return SiteConfig(title="Shop", base_url="https://shop.example.org", campaign_id=campaign)  # type: ignore[arg-type]


@pytest.mark.parametrize("market_id", sorted(MARKETPLACES))
def test_every_marketplace_rotation_id_in_a_built_link(market_id: str) -> None:
    market = MARKETPLACES[market_id]
    web = f"https://{market.domain}/itm/123456789012"
    assert is_safe_ebay_url(web), market.domain
    url = tracked_url(web, None, market, CAMPAIGN, "cameras")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", market.domain, "/itm/123456789012")
    assert query(url) == {
        "mkevt": ["1"],
        "mkcid": ["1"],
        "mkrid": [market.rotation_id],
        "campid": [CAMPAIGN],
        "toolid": [TOOL_ID],
        "customid": ["cameras"],
    }


def test_rotation_ids_are_distinct() -> None:
    ids = [m.rotation_id for m in MARKETPLACES.values()]
    assert len(set(ids)) == len(ids)


def test_normalized_product_link_uses_the_marketplace() -> None:
    n = Normalizer(MARKETPLACES["EBAY_GB"], CAMPAIGN, NOW)
    p = n.product(item(1, itemWebUrl="https://www.ebay.co.uk/itm/100000000001"), "lenses", NOW)
    assert p is not None
    assert query(p.url)["mkrid"] == ["710-53481-19255-0"] and query(p.url)["customid"] == ["lenses"]


def test_affiliate_url_from_ebay_is_preferred() -> None:
    affiliate = "https://www.ebay.com/itm/123456789012?mkevt=1&mkcid=1&mkrid=711-53200-19255-0&campid=5338999999"
    assert tracked_url("https://www.ebay.com/itm/123456789012", affiliate, US, CAMPAIGN, "c") == affiliate
    n = Normalizer(US, CAMPAIGN, NOW)
    p = n.product(item(1, itemAffiliateWebUrl=affiliate), "c", NOW)
    assert p is not None and p.url == affiliate


@pytest.mark.parametrize(
    "affiliate",
    [
        "https://www.ebay.com.evil.io/itm/1?campid=5338111111",
        "javascript:alert(1)//campid=1",
        "http://www.ebay.com/itm/1?campid=5338111111",
        "https://www.ebay.com/itm/123456789012",  # no campaign: not a tracked link
    ],
)
def test_unsafe_or_untracked_affiliate_url_is_ignored(affiliate: str) -> None:
    url = tracked_url("https://www.ebay.com/itm/123456789012", affiliate, US, CAMPAIGN, "c")
    assert url.startswith("https://www.ebay.com/itm/123456789012?")
    assert query(url)["campid"] == [CAMPAIGN]


def test_no_campaign_gives_the_plain_item_url() -> None:
    web = "https://www.ebay.com/itm/123456789012?var=1"
    assert tracked_url(web, None, US, "", "c") == web


def test_existing_query_kept_and_old_epn_params_replaced() -> None:
    url = add_epn_params("https://www.ebay.com/itm/1?var=5&campid=999&mkrid=x#frag", US, CAMPAIGN, "c")
    q = query(url)
    assert q["var"] == ["5"] and q["campid"] == [CAMPAIGN] and q["mkrid"] == [US.rotation_id]
    assert "#" not in url


def test_custom_id_is_optional_and_capped() -> None:
    assert "customid" not in query(add_epn_params("https://www.ebay.com/itm/1", US, CAMPAIGN, ""))
    long = add_epn_params("https://www.ebay.com/itm/1", US, CAMPAIGN, "x" * 300)
    assert query(long)["customid"] == ["x" * 256]


def test_campaign_from_environment_wins_over_site_yaml() -> None:
    assert campaign_id(site("5338111111"), {}) == "5338111111"
    assert campaign_id(site("5338111111"), {"EBAY_CAMPAIGN_ID": "5338222222"}) == "5338222222"
    assert campaign_id(site("5338111111"), {"EBAY_CAMPAIGN_ID": "  "}) == "5338111111"
    assert campaign_id(site(), {}) == ""


def test_campaign_reads_the_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert campaign_id(site("5338111111")) == "5338111111"
    monkeypatch.setenv("EBAY_CAMPAIGN_ID", " 5338333333 ")
    assert campaign_id(site("5338111111")) == "5338333333"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ebay.com/itm/1",
        "https://WWW.EBAY.COM/itm/1",
        "https://www.ebay.co.uk/itm/1",
        "https://www.ebay.com.au/itm/1",
        "https://www.benl.ebay.be/itm/1",
        "https://ebay.com/itm/1",
        "https://www.ebay.com./itm/1",
    ],
)
def test_ebay_urls_accepted(url: str) -> None:
    assert is_safe_ebay_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ebay.com.evil.io/itm/1",
        "https://ebay.evil.io/itm/1",
        "https://www.notebay.com/itm/1",
        "https://www.ebay-deals.com/itm/1",
        "javascript:alert(1)",
        "JavaScript://www.ebay.com/%0aalert(1)",
        "http://www.ebay.com/itm/1",
        "ftp://www.ebay.com/itm/1",
        "https://www.ebay.com@evil.io/itm/1",
        "https://user:pw@www.ebay.com/itm/1",
        "https:///itm/1",
        "//www.ebay.com/itm/1",
        "https://[::1/itm",
        "data:text/html,<script>",
    ],
)
def test_non_ebay_urls_refused(url: str) -> None:
    assert not is_safe_ebay_url(url)


@pytest.mark.parametrize("host", ["www.ebay.uk.com", "www.ebay.de.com", "ebay.it.com"])
def test_look_alike_hosts_under_public_registries_refused(host: str) -> None:
    assert not is_ebay_host(host)
