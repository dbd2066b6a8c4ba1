"""Regenerate the bundled demo catalog, builder/demo_catalog/<slug>.json, exactly.

    python bench/make_demo_catalog.py [OUT]

The demo site "Gear Scout" has six categories (content/categories/*.yaml); each gets about 30 listings of real
products at plausible prices, with the awkward cases the build must handle: auctions (film cameras only, as in their
YAML), discounts, missing images, sellers without a name, long Unicode and hostile titles, three listings shared by
two categories, one ended listing, one adult-only listing and one http:// URL. Listings are "fetched" at DEMO_NOW;
auctions end one to four years later so that the demo keeps them for a long time.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    from bench.gen_catalog import KINDS, CategoryProfile, Tuning, generate_catalog
except ImportError:  # run as a script: bench/ is on sys.path, the repository root may not be
    from gen_catalog import KINDS, CategoryProfile, Tuning, generate_catalog  # type: ignore[no-redef]

DEMO_NOW = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)
DEMO_SEED = 2026
ITEMS_PER_CATEGORY = 30
SLUGS = [
    "mirrorless-cameras",
    "camera-lenses",
    "film-cameras",
    "headphones",
    "portable-speakers",
    "mechanical-keyboards",
]
OUT = Path(__file__).resolve().parent.parent / "builder" / "demo_catalog"

PROFILES: dict[str, CategoryProfile] = {slug: KINDS[slug] for slug in SLUGS}
PROFILES["film-cameras"] = replace(KINDS["film-cameras"], auctions=True, auction_share=0.35)
# A lens search returns camera-with-kit-lens listings, a speaker search the odd headphone bundle.
for _a, _b in (("mirrorless-cameras", "camera-lenses"), ("headphones", "portable-speakers")):
    PROFILES[_a] = replace(PROFILES[_a], shares_with=(_b,))
    PROFILES[_b] = replace(PROFILES[_b], shares_with=(_a,))

TUNING = Tuning(
    unicode_rate=0.08,
    shared=3,
    ended=1,
    adult=1,
    http_url=1,
    foreign_url=0,
    hostile=2,
    auction_end_days=(365.0, 4 * 365.0),
    creation_days=(3.0, 42.0),
    ended_days=(2.0, 10.0),
)


def make_demo_catalog(out_dir: Path = OUT) -> list[str]:
    return generate_catalog(
        out_dir,
        ITEMS_PER_CATEGORY * len(SLUGS),
        len(SLUGS),
        DEMO_SEED,
        now=DEMO_NOW,
        slugs=SLUGS,
        profiles=PROFILES,
        tuning=TUNING,
        indent=2,
    )


def odd_cases(out_dir: Path, slugs: list[str], now: datetime = DEMO_NOW) -> Counter[str]:
    """Count the awkward cases in a generated catalog (for the summary line and for checking)."""
    counts: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for slug in slugs:
        data: dict[str, Any] = json.loads((out_dir / f"{slug}.json").read_text(encoding="utf-8"))
        for item in data["itemSummaries"]:
            seen[item["legacyItemId"]] += 1
            counts["items"] += 1
            counts["no image"] += "image" not in item
            counts["no seller name"] += "username" not in item.get("seller", {})
            counts["no affiliate URL"] += "itemAffiliateWebUrl" not in item
            counts["discounted"] += "marketingPrice" in item
            counts["auctions"] += "AUCTION" in item["buyingOptions"]
            counts["non-ASCII titles"] += any(ord(ch) > 127 for ch in item["title"])
            counts["hostile titles"] += "<" in item["title"]
            counts["adult only"] += bool(item["adultOnly"])
            counts["http URL"] += item["itemWebUrl"].startswith("http://")
            end = item.get("itemEndDate")
            counts["ended"] += end is not None and datetime.fromisoformat(end.replace("Z", "+00:00")) <= now
    counts["shared"] = sum(1 for n in seen.values() if n > 1)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate builder/demo_catalog/*.json.")
    parser.add_argument("out", type=Path, nargs="?", default=OUT)
    args = parser.parse_args(argv)
    slugs = make_demo_catalog(args.out)
    counts = odd_cases(args.out, slugs)
    print(f"{len(slugs)} categories -> {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
