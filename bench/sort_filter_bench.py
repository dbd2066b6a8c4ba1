"""Sort and filter on category pages: pre-rendered sorted pages, or one JSON of each category's listings?

    python bench/sort_filter_bench.py              # 10,000 items over 50 categories (the build bench's catalog)
    python bench/sort_filter_bench.py --items 1000

Both options measured on the same catalog in one process, rendered with the real theme and written to a scratch
folder (so build time includes the writes):
  A. pre-rendered variants: every category's list pages again for each of the four sort orders (price up, price
     down, ending soonest, newest), as /<slug>/sort/<order>/[page/N/] with rel=nofollow links and a canonical to
     the main page. Filters are not even included: each combination of chips would be another set of pages.
  B. what affsite does (category_listings.py): one /<slug>/listings.json per category, fetched by filters.js only
     when a visitor uses a chip.
For each: files, time to render and write them, bytes (raw and gzipped), and what a category page itself gains.
Prints a table for BENCHMARKS.md (## Sort and filter chips).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.build_bench import BUILD_AT, CATEGORIES, make_catalog, make_site  # noqa: E402

SORTS = {
    "price-asc": (lambda p: (p.price.amount, p.item_id), False),
    "price-desc": (lambda p: (p.price.amount, p.item_id), True),
    "ending": (lambda p: (p.ends_at is None, p.ends_at or BUILD_AT, p.item_id), False),
    "newest": (lambda p: ((p.listed_at or p.fetched_at), p.item_id), True),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args(argv)

    from builder.catalog.files import DirectoryCatalog
    from builder.category_listings import CategoryListings
    from builder.content import load_site
    from builder.generate import normalize_catalog
    from builder.render import BuildContext, Planner, Renderer, make_environment
    from builder.report import BuildReport
    from builder.themes import Theme

    work = Path(tempfile.mkdtemp(prefix="affsite-sortbench-"))
    try:
        slugs = make_catalog(work / "catalog", args.items)
        make_site(work / "site", slugs, -(-args.items // CATEGORIES))
        site = load_site(work / "site")
        result = DirectoryCatalog(work / "catalog").load(site.config, BUILD_AT)
        catalog = normalize_catalog(site, result, BUILD_AT, BuildReport())
        theme = Theme.of_site(work / "site")
        assets = {name: f"/assets/{name}" for name in theme.assets()}
        build = BuildContext(site=site, now=BUILD_AT, demo=False, assets=assets)
        renderer = Renderer(make_environment(theme), build, theme)
        planner = Planner(build, catalog)

        def measure(jobs: list) -> tuple[int, float, int, int]:  # type: ignore[type-arg]
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            started = time.perf_counter()
            raw = packed = 0
            for job in jobs:
                data = renderer.render(job)
                path = out / job.path
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                raw += len(data)
                packed += len(gzip.compress(data, 6))
            return len(jobs), time.perf_counter() - started, raw, packed

        main_pages = [j for c in site.categories for j in planner.category_pages(c, catalog.by_category[c.slug])]
        base = measure(main_pages)
        variants = []
        for category in site.categories:
            products = catalog.by_category[category.slug]
            for order, (key, reverse) in SORTS.items():
                for job in planner.category_pages(category, sorted(products, key=key, reverse=reverse)):
                    job.path = job.path.replace(f"{category.slug}/", f"{category.slug}/sort/{order}/", 1)
                    job.context = {**job.context, "noindex": True}
                    variants.append(job)
        a = measure(variants)
        b = measure(CategoryListings().jobs(planner))
        script = (REPO / "builder/theme/assets/filters.js").read_bytes()
        chips = b'<div class="sort-filter" data-listings="/camera-lenses-1/listings.json"></div>\n'
        chips += b'<script src="/assets/filters.0123456789.js" defer></script>\n'
        links = b"".join(
            f'<a rel="nofollow" href="/camera-lenses-1/sort/{o}/">{o}</a> '.encode() for o in SORTS
        )
        per_category = len(site.categories)
        avg_page = base[2] / base[0]

        def row(label: str, m: tuple[int, float, int, int], note: str) -> str:
            return (
                f"| {label} | {m[0]:,} | {m[1]:.2f} | {m[2] / 1e6:.1f} MB / {m[3] / 1e6:.2f} MB | "
                f"{m[3] / per_category / 1e3:.1f} KB | {note} |"
            )

        lines = [
            f"{args.items:,} items, {per_category} categories, {base[0]:,} category list pages "
            f"(avg {avg_page / 1e3:.1f} KB each, {base[1]:.2f} s to render and write them all)",
            "",
            "| option | files | render + write s | bytes raw / gzip | gzip per category | what a category page gains |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
            row("A. pre-rendered sorted pages (4 orders, no filters)", a,
                f"{len(links)} B of sort links; each order is a page load"),
            row("B. listings.json per category (chosen)", b,
                f"{len(chips)} B of markup; filters.js {len(gzip.compress(script, 6)):,} B gzipped, once, "
                "cached; the JSON only when a chip is used"),
        ]
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
