"""EPN tracking links: prefer eBay's own `itemAffiliateWebUrl`, build the link ourselves only where it is missing."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..config import SiteConfig
from ..errors import UsageError
from ..marketplaces import Marketplace, is_ebay_host

log = logging.getLogger(__name__)

CAMPAIGN_ENV = "EBAY_CAMPAIGN_ID"
EPN_CLICK_PARAMS = ("mkevt", "mkcid", "mkrid", "campid", "toolid", "customid")
TOOL_ID = "10001"  # EPN's generic tool id for links a publisher builds itself
MAX_CUSTOM_ID = 256


def campaign_id(site: SiteConfig, environ: Mapping[str, str] | None = None) -> str:
    """The EPN campaign id in force: EBAY_CAMPAIGN_ID from the environment, else site.yaml's; "" means untracked."""
    env = os.environ if environ is None else environ
    value = env.get(CAMPAIGN_ENV, "").strip()
    if value and not (value.isascii() and value.isdigit() and len(value) == 10):
        raise UsageError(f"{CAMPAIGN_ENV} must be your 10-digit EPN campaign id (digits only)")
    return value or site.campaign_id


def is_safe_ebay_url(url: str) -> bool:
    """An https URL on one of eBay's own hosts; anything else (javascript:, http:, look-alike hosts) is refused."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme == "https" and bool(parts.hostname) and is_ebay_host(parts.hostname or "") and not parts.username
    )


def tracked_url(
    item_web_url: str, affiliate_url: str | None, market: Marketplace, campaign: str, custom_id: str
) -> str:
    """The link a product page sends visitors to.

    eBay's `itemAffiliateWebUrl` is what EPN pays on, so it wins when present and safe. Otherwise the EPN parameters
    are added to `itemWebUrl`; without a campaign id the plain item URL is returned (correct, untracked).
    """
    if affiliate_url and is_safe_ebay_url(affiliate_url) and "campid=" in affiliate_url:
        return affiliate_url
    if not campaign:
        return item_web_url
    return add_epn_params(item_web_url, market, campaign, custom_id)


def add_epn_params(url: str, market: Marketplace, campaign: str, custom_id: str) -> str:
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in EPN_CLICK_PARAMS]
    epn = [
        ("mkevt", "1"),
        ("mkcid", "1"),
        ("mkrid", market.rotation_id),
        ("campid", campaign),
        ("toolid", TOOL_ID),
    ]
    if custom_id:
        epn.append(("customid", custom_id[:MAX_CUSTOM_ID]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept + epn), ""))


def with_custom_id(url: str, custom_id: str) -> str:
    """A tracked link with its `customid` replaced (a guide names itself and the block, so EPN reports credit the
    guide); every other parameter, eBay's own included, is kept. An untracked link (no campid) is left as it is."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k == "campid" for k, _ in query):
        return url
    kept = [(k, v) for k, v in query if k != "customid"]
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urlencode([*kept, ("customid", custom_id[:MAX_CUSTOM_ID])]), "")
    )
