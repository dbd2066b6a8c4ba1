"""What a second edition costs a build: the bench site (bench/build_bench.py) built from scratch as one edition, then
with a second one (`de`, EBAY_DE, at /de/) whose catalog is as big as the first, and the demo site with and without
its German edition.

    uv run --locked python -m bench.editions_bench [--items 10000]

Each build runs in a process of its own, from scratch (no output, no state), best of two. A second edition is the
whole site again for another marketplace, so about twice the pages: the figure to watch is the time per page, which
should stay the same (the editions share one process, one theme and one publish). Figures go in BENCHMARKS.md
("Editions") by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from bench.build_bench import affsite_full_build, make_catalog, make_site
from bench.guides_bench import copy_demo_site, demo_build

GERMAN_EDITION = "editions:\n  us:\n    marketplace: EBAY_US\n  de:\n    marketplace: EBAY_DE\n    path: /de/\n"


def add_german_catalog(catalog: Path, slugs: list[str]) -> None:
    """eBay.de's answers for every category: the same listings under other item ids, in euros."""
    german = catalog / "EBAY_DE"
    german.mkdir(exist_ok=True)
    for slug in slugs:
        document = json.loads((catalog / f"{slug}.json").read_bytes())
        for item in document.get("itemSummaries", []):
            old = str(item["legacyItemId"])
            new = str(int(old) + 7_000_000_000)
            item["legacyItemId"], item["itemId"] = new, f"v1|{new}|0"
            for key in ("itemWebUrl", "itemAffiliateWebUrl"):
                if isinstance(item.get(key), str):
                    item[key] = item[key].replace(old, new).replace("www.ebay.com", "www.ebay.de")
            for key in ("price", "currentBidPrice"):
                if isinstance(item.get(key), dict):
                    item[key]["currency"] = "EUR"
        (german / f"{slug}.json").write_text(json.dumps(document), encoding="utf-8")


def pages_of(root: Path) -> int:
    return sum(1 for _ in (root / "output").rglob("*.html"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="affsite-editions-bench-") as tmp:
        work = Path(tmp)
        demo = copy_demo_site(work / "demo")
        two = demo_build(demo)
        two_pages = pages_of(demo)
        settings = (demo / "site.yaml").read_text(encoding="utf-8")
        (demo / "site.yaml").write_text(settings[: settings.index("\n# Editions:") + 1], encoding="utf-8")
        for path in (demo / "content" / "categories").glob("*.yaml"):
            text = path.read_text(encoding="utf-8")
            path.write_text(text[: text.index("# The German edition")], encoding="utf-8")
        one = demo_build(demo)
        one_pages = pages_of(demo)
        print(
            f"demo site, full build: {one:.2f} s for {one_pages} pages (one edition), {two:.2f} s for {two_pages} (two)"
        )

        catalog = work / "catalog"
        slugs = make_catalog(catalog, args.items)
        root = work / "site"
        make_site(root, slugs, math.ceil(args.items / len(slugs)))
        single = min((affsite_full_build("one edition", root, catalog) for _ in range(2)), key=lambda r: r.seconds)
        single_pages = pages_of(root)
        add_german_catalog(catalog, slugs)
        with (root / "site.yaml").open("a", encoding="utf-8") as handle:
            handle.write(GERMAN_EDITION)
        double = min((affsite_full_build("two editions", root, catalog) for _ in range(2)), key=lambda r: r.seconds)
        double_pages = pages_of(root)
        for label, run, pages in (("one edition", single, single_pages), ("two editions", double, double_pages)):
            per_page = run.seconds / pages * 1000 if pages else math.nan
            print(
                f"{args.items:,} items a marketplace, {label}: {run.seconds:.2f} s, {pages:,} pages "
                f"({per_page:.2f} ms a page), peak memory {run.peak_mib:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
