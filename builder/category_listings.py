"""The listings of each category as JSON (/<slug>/listings.json), for the sort and filter chips of its pages.

Why a file per category rather than pre-rendered sorted pages: measured on the 10,000-item bench
(bench/sort_filter_bench.py, BENCHMARKS.md), four sort orders as pages would add as many pages as the category
has list pages for every order (and filters would multiply them again), while this file costs one small write per
category and is downloaded only when a visitor uses a chip. Each entry carries the card exactly as the pages show
it (the theme's `card` macro, rendered once per product anyway), so the chips show the theme's cards, and the keys
to sort and filter by.

Freshness: an entry's price (its sort key) is left out when it is already stale at build time; filters.js treats a
price older than max_age on the visitor's clock as unknown too, and hides it in the card as the pages do.
"""

from __future__ import annotations

from .render import PageJob, Planner

LISTINGS_NAME = "listings.json"


class CategoryListings:
    def jobs(self, planner: Planner) -> list[PageJob]:
        jobs = []
        for category in planner.build.site.categories:
            products = planner.catalog.by_category.get(category.slug, [])
            jobs.append(
                PageJob(
                    f"{category.slug}/{LISTINGS_NAME}",
                    "listings.json",
                    {"canonical": None, "cards": [planner.card(p) for p in products]},
                    f"the listings of {category.source or category.slug}",
                    [planner.key(p) for p in products],
                )
            )
        return jobs
