"""The guide page types: one page per guide at /guides/<slug>/, and the guides list at /guides/ (newest first,
paginated). The blocks' listings were chosen by guide_data.py; this module only lays them out.

A guide page's inputs are its file (text, front matter, blocks), what each block shows (every listing's data and
whether its price is fresh) and whether each listing has a product page here: so a guide re-renders when its text,
its data or its template changes, and only then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .catalog.normalize import Product
from .guide_data import Pick, aspect, pick_key
from .guides import Block, Comparison, DealGrid, Guide, ProductBox, summary_digest
from .i18n import N_
from .i18n import gettext as _
from .render import Card, PageJob, Planner, paged, product_json_ld

PER_PAGE = 12
# The comparison table's row names, marked for the catalog (N_) and translated when a page is planned.
ROW_LABELS = {
    "price": N_("Price"),
    "condition": N_("Condition"),
    "shipping": N_("Shipping"),
    "seller_rating": N_("Seller rating"),
    "format": N_("Format"),
    "ends": N_("Ends"),
}


@dataclass
class Column:
    label: str
    card: Card | None
    page: str | None  # the listing's product page on this site, if it has one
    aspects: dict[str, str | None]
    empty: str | None


@dataclass
class BlockView:
    """What a block template needs: the editor's spec and the listings, as cards with their freshness."""

    kind: str
    id: str
    spec: Any
    cards: list[Card] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)  # item id -> product page, where there is one
    columns: list[Column] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (row name, label) of a comparison
    empty: str | None = None


@dataclass(frozen=True)
class GuidePages:
    guides: list[Guide]

    def jobs(self, planner: Planner) -> list[PageJob]:
        if not self.guides:
            return []
        jobs = [self._guide(guide, planner) for guide in self.guides]
        jobs.extend(self._index(planner))
        return jobs

    # --- one guide ---

    def _guide(self, guide: Guide, planner: Planner) -> PageJob:
        build = planner.build
        site = build.site.config.site
        limit = timedelta(hours=site.freshness_hours)
        inputs: list[str] = [guide.digest]
        views: dict[int, BlockView] = {}
        shown: list[Card] = []

        def card(product: Product) -> Card:
            stale = build.now - product.fetched_at > limit
            inputs.append(product.fingerprint() + ("s" if stale else "f"))
            inputs.append("page" if product.item_id in planner.catalog.products else "-")
            made = Card(product, stale, int(limit.total_seconds()), f"guide:{guide.slug}")
            shown.append(made)
            return made

        for block in guide.blocks:
            views[block.number] = self._block(guide, block, planner, card, inputs)
        segments = [views[s.number] if isinstance(s, Block) else s for s in guide.segments]
        image = build.assets.get(guide.meta.image.src, "") if guide.meta.image else ""
        og_image = site.root_url + image if image else next((c.p.image_url for c in shown if c.p.image_url), "")
        categories = [planner.by_slug[s] for s in guide.meta.categories if s in planner.by_slug]
        inputs.append(og_image or "")
        return PageJob(
            guide.path.lstrip("/") + "index.html",
            "guide.html",
            {
                "guide": guide,
                "segments": segments,
                "hero": image,
                "guide_categories": categories,
                "canonical": guide.path,
                "title": guide.meta.title,
                "description": guide.meta.description,
                "og_image": og_image,
                "lastmod": guide.meta.modified,
                "structured_data": [
                    article_json_ld(guide, planner, og_image),
                    *([products_json_ld(guide, shown, planner)] if shown else []),
                    planner.breadcrumbs((_("Guides"), "/guides/"), (guide.meta.title, guide.path)),
                ],
            },
            guide.source,
            inputs,
        )

    def _block(self, guide: Guide, block: Block, planner: Planner, card: Any, inputs: list[str]) -> BlockView:
        picks = planner.catalog.picks
        spec = block.spec
        view = BlockView(block.kind, block.id, spec)
        products = planner.catalog.products
        if isinstance(spec, ProductBox | DealGrid):
            pick = picks.get(pick_key(guide, block), Pick(empty="no data"))
            view.cards = [card(p) for p in pick.products]
            view.empty = None if view.cards else pick.empty
        elif isinstance(spec, Comparison):
            view.rows = [(name, _(ROW_LABELS[name])) for name in spec.rows]
            for i, column in enumerate(spec.columns):
                pick = picks.get(pick_key(guide, block, i), Pick(empty="no data"))
                made = card(pick.products[0]) if pick.products else None
                values = {name: aspect(pick, name) for name in spec.aspects}
                inputs.append(repr(sorted(values.items())))
                label = column.label or (made.p.title if made else _("No listing"))
                view.columns.append(Column(label, made, None, values, pick.empty if made is None else None))
        for c in [*view.cards, *(col.card for col in view.columns if col.card)]:
            if c.p.item_id in products:
                view.pages[c.p.item_id] = products[c.p.item_id].path
        for col in view.columns:
            col.page = view.pages.get(col.card.p.item_id) if col.card else None
        return view

    # --- the list of guides ---

    def _index(self, planner: Planner) -> list[PageJob]:
        guides = self.guides
        count = max(1, math.ceil(len(guides) / PER_PAGE))
        jobs = []
        for number in range(1, count + 1):
            chunk = guides[(number - 1) * PER_PAGE : number * PER_PAGE]
            path = "/guides/" if number == 1 else f"/guides/page/{number}/"
            pagination = {
                "number": number,
                "count": count,
                "prev": None if number == 1 else ("/guides/" if number == 2 else f"/guides/page/{number - 1}/"),
                "next": None if number == count else f"/guides/page/{number + 1}/",
            }
            title, description = _("Buying guides"), _("How to choose, with the listings on eBay that fit.")
            trail = [(_("Guides"), "/guides/")]
            if number > 1:
                title, description, crumb = paged(title, description, number, count)
                trail.append((crumb, path))
            image = next((g.meta.image.src for g in chunk if g.meta.image), None)
            og_image = planner.config.site.root_url + planner.build.assets[image] if image else planner.default_image
            jobs.append(
                PageJob(
                    path.lstrip("/") + "index.html",
                    "guides.html",
                    {
                        "guides": chunk,
                        "pagination": pagination,
                        "canonical": path,
                        "title": title,
                        "description": description,
                        "og_image": og_image,
                        "lastmod": max(g.meta.modified for g in chunk),
                        "structured_data": [planner.breadcrumbs(*trail)],
                    },
                    "the guides list",
                    [summary_digest(chunk), og_image],
                )
            )
        return jobs


def article_json_ld(guide: Guide, planner: Planner, image: str) -> dict[str, Any]:
    """schema.org Article: the headline, its author and dates, and the site as publisher."""
    site = planner.config.site
    root = site.root_url
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": guide.meta.title,
        "author": {"@type": "Person", "name": guide.meta.author},
        "datePublished": guide.meta.published.isoformat(),
        "dateModified": guide.meta.modified.isoformat(),
        "mainEntityOfPage": root + guide.path,
        "publisher": {"@type": "Organization", "name": site.title, "url": f"{root}/"},
        "inLanguage": site.lang,
    }
    if guide.meta.description:
        data["description"] = guide.meta.description
    if image:
        data["image"] = image
    return data


def products_json_ld(guide: Guide, cards: list[Card], planner: Planner) -> dict[str, Any]:
    """The listings the guide shows, as an ItemList of Products (an Offer only while its price is shown)."""
    root = planner.config.site.root_url
    seen: dict[str, Card] = {}
    for c in cards:
        seen.setdefault(c.p.item_id, c)
    elements = []
    for position, c in enumerate(seen.values(), start=1):
        product = product_json_ld(
            c.p, root, with_offer=not c.stale, valid_until=c.p.fetched_at + timedelta(seconds=c.max_age)
        )
        if c.p.item_id not in planner.catalog.products:
            product["url"] = root + guide.path  # no product page of its own: the guide is where it is shown
        elements.append({"@type": "ListItem", "position": position, "item": product})
    return {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "name": _("Listings in %(guide)s") % {"guide": guide.meta.title},
        "itemListElement": elements,
    }
