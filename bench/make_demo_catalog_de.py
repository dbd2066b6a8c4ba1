"""Regenerate the demo catalog's eBay.de responses, builder/demo_catalog/EBAY_DE/<slug>.json, from the EBAY_US ones.

    python bench/make_demo_catalog_de.py

The demo site's second edition (`de`, at /de/) lists what eBay.de would answer: a few listings per category, priced
in euros, on www.ebay.de with eBay.de's EPN rotation id, located in Germany. They are derived from the first
listings of each US response (other item ids, so that the editions' product pages differ, as on eBay), so the two
editions stay alike without a second generator. A category without a file here gets an empty page in the demo.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parent.parent / "builder" / "demo_catalog"
OUT = DEMO / "EBAY_DE"
SLUGS = (
    "mirrorless-cameras",
    "camera-lenses",
    "film-cameras",
    "headphones",
    "portable-speakers",
    "mechanical-keyboards",
)
PER_CATEGORY = 8
EUR_PER_USD = Decimal("0.92")
ROTATION_DE = "707-53477-19255-0"


def german(item: dict[str, Any], slug: str) -> dict[str, Any]:
    legacy = str(int(item["legacyItemId"]) + 7_000_000_000)  # another listing: item ids differ per marketplace
    out = json.loads(json.dumps(item))
    out["itemId"] = f"v1|{legacy}|0"
    out["legacyItemId"] = legacy
    out["itemHref"] = f"https://api.ebay.com/buy/browse/v1/item/v1%7C{legacy}%7C0"
    out["itemWebUrl"] = f"https://www.ebay.de/itm/{legacy}"
    out["itemAffiliateWebUrl"] = (
        f"https://www.ebay.de/itm/{legacy}?mkevt=1&mkcid=1&mkrid={ROTATION_DE}&campid=5338000000"
        f"&customid={slug}&toolid=10049"
    )
    out["itemLocation"] = {"country": "DE", "postalCode": "10***"}
    out["listingMarketplaceId"] = "EBAY_DE"
    for key in ("price", "currentBidPrice"):
        if key in out:
            out[key] = euros(out[key])
    for option in out.get("shippingOptions", []):
        if "shippingCost" in option:
            option["shippingCost"] = euros(option["shippingCost"])
    marketing = out.get("marketingPrice")
    if isinstance(marketing, dict) and "originalPrice" in marketing:
        marketing["originalPrice"] = euros(marketing["originalPrice"])
    return out


def euros(money: dict[str, str]) -> dict[str, str]:
    value = (Decimal(money["value"]) * EUR_PER_USD).quantize(Decimal("0.01"))
    return {"value": f"{value}", "currency": "EUR"}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for slug in SLUGS:
        source = json.loads((DEMO / f"{slug}.json").read_text(encoding="utf-8"))
        wanted = [i for i in source["itemSummaries"] if i.get("itemWebUrl", "").startswith("https://")]
        items = [german(i, slug) for i in wanted if not i.get("adultOnly")][:PER_CATEGORY]
        response = {"href": source.get("href", ""), "total": len(items), "limit": 200, "offset": 0}
        response["itemSummaries"] = items
        text = json.dumps(response, ensure_ascii=False, indent=1) + "\n"
        (OUT / f"{slug}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
