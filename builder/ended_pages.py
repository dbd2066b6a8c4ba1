"""The "ended" page type: what a listing's page shows for a while after the listing left the site (see ended.py).

No price, no buy button, `noindex` (so it is also left out of the sitemap), and the current listings of the same
category, so that a visitor who arrives from an old link or a search result still finds something to look at.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ended import Ledger, ended_listings, listing_digest
from .i18n import gettext as _
from .render import PageJob, Planner

RELATED = 4


@dataclass(frozen=True)
class EndedPages:
    ledger: Ledger
    days: int

    def jobs(self, planner: Planner) -> list[PageJob]:
        jobs = []
        for item_id, listing in ended_listings(self.ledger, planner.build.now, self.days):
            category = planner.by_slug.get(listing.category)
            current = planner.catalog.by_category.get(listing.category, [])[:RELATED] if category else []
            # The listing's own photo is eBay content it no longer shows; share a current listing's instead.
            image = next((p.image_url for p in current if p.image_url), planner.default_image)
            trail = [(category.title, f"/{category.slug}/")] if category else []
            jobs.append(
                PageJob(
                    listing.path.lstrip("/") + "index.html",
                    "ended.html",
                    {
                        "ended": listing,
                        "category": category,
                        "related": [planner.card(p) for p in current],
                        "canonical": listing.path,
                        "noindex": True,
                        "title": _("Ended: %(title)s") % {"title": listing.title},
                        "description": _("This eBay listing has ended: %(title)s.") % {"title": listing.title},
                        "og_image": image,
                        "structured_data": [planner.breadcrumbs(*trail, (listing.title, listing.path))],
                    },
                    f"ended eBay item {item_id}",
                    [listing_digest(item_id, listing), image] + [planner.key(p) for p in current],
                )
            )
        return jobs
