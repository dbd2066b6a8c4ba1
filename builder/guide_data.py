"""Where a guide's listings come from: its blocks as requests that join the build's call plan, and the answers,
once loaded, as the listings each block shows.

The catalog sources need to learn nothing about guides. A guide's search is handed to them as one more category
(`guide--<guide>--<block>`, never shown as one), and a listing asked for by id as one more `Config.lookups` entry;
so the searches and look-ups of guides go through the same cache, budget, stalest-first plan and `--plan` output
as the categories'. A search that asks what a category already asks (same query and filters, no more listings) is
answered by that category's data: no request of its own, nothing charged twice. Identical searches in two guides
are one request.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .catalog.links import campaign_id, with_custom_id
from .catalog.normalize import Normalizer, Product, clean_text
from .catalog.query import MAX_LIMIT, search_requests
from .catalog.source import CatalogResult
from .config import CategoryConfig, Config, SiteConfig
from .content import Site
from .guides import Block, Comparison, Guide, ProductBox, SearchFields
from .report import BuildReport

GUIDE_SLUG_PREFIX = "guide--"
MIN_FETCH = 10  # a best match needs a few spares: the first listing may be excluded by a keyword or have ended
MAX_SHOWN = 5
NO_MATCH_WARNING = 'guide blocks have no listing to show right now (readers see "no listings match right now")'


@dataclass(frozen=True)
class Want:
    """What one block (or one comparison column) shows, and where its data comes from."""

    guide: Guide
    block: Block
    column: int | None  # 0-based column of a comparison
    kind: Literal["item", "category", "search"]
    key: str  # legacy item id, category slug, or the slug its search's data comes under
    count: int
    search: CategoryConfig | None = None  # the block's own search (its excluded keywords apply to shared data too)

    @property
    def pick_key(self) -> str:
        return pick_key(self.guide, self.block, self.column)

    @property
    def custom_id(self) -> str:
        """EPN's customid: names the guide and the block, so sales in EPN reports are credited to the guide."""
        return f"guide-{self.guide.slug}-{self.block.id}"


@dataclass
class Pick:
    """The listings one block (or column) shows; `empty` says why there are none."""

    products: list[Product] = field(default_factory=list)
    aspects: dict[str, str] = field(default_factory=dict)  # item specifics of a listing asked for by id
    empty: str | None = None


@dataclass
class GuideData:
    config: Config
    """The site's config plus the guides' searches (as categories) and look-ups: what the catalog source loads."""
    wants: list[Want]
    shared: list[str] = field(default_factory=list)
    """Notes for `--plan`: the guide searches a category's request answers."""

    @property
    def guide_slugs(self) -> set[str]:
        return {c.slug for c in self.config.categories if c.slug.startswith(GUIDE_SLUG_PREFIX)}


def pick_key(guide: Guide, block: Block, column: int | None = None) -> str:
    return f"{guide.slug}/{block.id}" + (f"/{column + 1}" if column is not None else "")


def prepare(site: Site) -> GuideData:
    """The requests the guides add to the build (see the module docstring)."""
    config = site.config
    if not site.guides:
        return GuideData(config, [])
    # Later entries win: of categories asking the same, the one fetching the most listings answers guides.
    by_signature = {_signature(c, config.site): c for c in sorted(config.categories, key=lambda c: c.items)}
    searches: dict[tuple[Any, ...], CategoryConfig] = {}
    lookups: dict[str, None] = {}
    wants: list[Want] = []
    shared: list[str] = []
    for guide in site.guides:
        for block in guide.blocks:
            spec = block.spec
            if isinstance(spec, Comparison):
                parts: list[tuple[int | None, SearchFields, str | None, str | None, int]] = [
                    (i, c, c.item, c.category, 1) for i, c in enumerate(spec.columns)
                ]
            elif isinstance(spec, ProductBox):
                parts = [(None, spec, spec.item, spec.category, 1)]
            else:
                parts = [(None, spec, None, spec.category, spec.items)]
            for column, fields, item, category, count in parts:
                if item is not None:
                    legacy = item.split("|")[1] if item.startswith("v1|") else item
                    lookups[legacy] = None
                    wants.append(Want(guide, block, column, "item", legacy, count))
                elif category is not None:
                    wants.append(Want(guide, block, column, "category", category, count))
                else:
                    name = f"{GUIDE_SLUG_PREFIX}{guide.slug}--{block.id}" + (
                        f"-{column + 1}" if column is not None else ""
                    )
                    fetch = min(max(count * 2, MIN_FETCH), MAX_LIMIT)
                    search = fields.as_category(name, f"{guide.source}:{block.line}", fetch)
                    signature = _signature(search, config.site)
                    owner = by_signature.get(signature)
                    if owner is not None and owner.items >= count:
                        shared.append(
                            f"  {guide.source}:{block.line} ({block.id}) asks what category {owner.slug} asks:"
                            " answered by its request, no call of its own"
                        )
                        wants.append(Want(guide, block, column, "search", owner.slug, count, search))
                        continue
                    known = searches.get(signature)
                    if known is None or known.items < fetch:
                        searches[signature] = search  # the one asking for the most listings is fetched
                    wants.append(Want(guide, block, column, "search", "", count, search))
    extra = {c.slug: c for c in searches.values()}
    data_config = config.model_copy(
        update={"categories": [*config.categories, *extra.values()], "lookups": tuple(sorted(lookups))}
    )
    wants = [
        dataclasses.replace(w, key=searches[_signature(w.search, config.site)].slug)
        if w.kind == "search" and not w.key and w.search is not None
        else w
        for w in wants
    ]
    return GuideData(data_config, wants, shared)


def _signature(category: CategoryConfig, site: SiteConfig) -> tuple[Any, ...]:
    """A search's parameters without its paging: equal signatures ask eBay the same thing."""
    first = search_requests(category, site)[0]
    return tuple(p for p in first.params if p[0] not in ("limit", "offset"))


def take_problems(data: GuideData, result: CatalogResult, now: datetime, report: BuildReport) -> None:
    """A guide's search without data is a warning and an empty block, never a failed build: the guide is the
    editor's text first, and its listings come and go."""
    missing = [f"{slug}: {result.problems.pop(slug)}" for slug in sorted(data.guide_slugs & set(result.problems))]
    if missing:  # their blocks then show the graceful state; as for those, `--strict` still publishes
        report.notes.append(f"warning: guide searches have no data: {'; '.join(missing)}")
    for slug in data.guide_slugs & set(result.empty):
        result.empty.pop(slug)


def resolve(
    site: Site,
    data: GuideData,
    result: CatalogResult,
    by_category: dict[str, list[Product]],
    now: datetime,
    report: BuildReport,
    custom_prefix: str = "",
) -> dict[str, Pick]:
    """The listings of every block, by `pick_key`, with links that name the guide and block (after
    `custom_prefix`: an edition's key, `de-`)."""
    config = site.config
    normalizer = Normalizer(config.site.market, campaign_id(config.site), now)
    picks: dict[str, Pick] = {}
    empty: list[str] = []
    for want in data.wants:
        pick = _pick(want, result, by_category, normalizer, now)
        pick.products = [
            dataclasses.replace(p, url=with_custom_id(p.url, custom_prefix + want.custom_id)) for p in pick.products
        ]
        if not pick.products:
            pick.empty = pick.empty or "no listing matches right now"
            empty.append(f"{want.guide.source}:{want.block.line} {want.block.id} ({pick.empty})")
        picks[want.pick_key] = pick
    if empty:
        # A warning line for the editor (the build output and the preview's terminal show it), but not one that
        # stops `--strict`: listings end every day, and the reader sees the graceful state, never a broken box.
        shown = ", ".join(empty[:MAX_SHOWN]) + (
            f" (and {len(empty) - MAX_SHOWN} more)" if len(empty) > MAX_SHOWN else ""
        )
        report.notes.append(f"warning: {len(empty)} × {NO_MATCH_WARNING}: {shown}")
    return picks


def _pick(
    want: Want,
    result: CatalogResult,
    by_category: dict[str, list[Product]],
    normalizer: Normalizer,
    now: datetime,
) -> Pick:
    if want.kind == "category":
        return Pick(list(by_category.get(want.key, [])[: want.count]))
    if want.kind == "search":
        category_data = result.categories.get(want.key)
        if category_data is None:
            return Pick(empty="no data for its search")
        assert want.search is not None
        products = normalizer.products(want.search, category_data.items, category_data.fetched_at)
        return Pick(products[: want.count], empty=None if products else "its search finds nothing")
    item = result.items.get(want.key)
    if item is None or item.item is None:
        return Pick(empty=item.gone if item is not None and item.gone else "the listing has ended")
    raw = item.item
    if _out_of_stock(raw):
        return Pick(empty="the listing is sold out")
    if isinstance(raw.get("image"), dict):
        # getItem's `image` is the main photo at full size; its additionalImages are other views (in a search
        # summary, where `image` is a thumbnail, the normalizer rightly prefers a larger picture).
        raw = {k: v for k, v in raw.items() if k not in ("additionalImages", "thumbnailImages")}
    product = normalizer.product(raw, f"{GUIDE_SLUG_PREFIX}{want.guide.slug}", item.fetched_at)
    if product is None:
        return Pick(empty="the listing has ended")
    return Pick([product], aspects=_aspects(raw))


def _out_of_stock(raw: dict[str, Any]) -> bool:
    availability = raw.get("estimatedAvailabilities")
    if not isinstance(availability, list) or not availability:
        return False
    statuses = {a.get("estimatedAvailabilityStatus") for a in availability if isinstance(a, dict)}
    return statuses == {"OUT_OF_STOCK"}


def _aspects(raw: dict[str, Any]) -> dict[str, str]:
    """getItem's `localizedAspects` (name -> value), cleaned like any text from eBay; `brand` as Brand too."""
    found: dict[str, str] = {}
    aspects = raw.get("localizedAspects")
    for aspect in aspects if isinstance(aspects, list) else []:
        if not isinstance(aspect, dict):
            continue
        name, value = clean_text(aspect.get("name"), 60), clean_text(aspect.get("value"), 120)
        if name and value and name.casefold() not in {k.casefold() for k in found}:
            found[name] = value
    brand = clean_text(raw.get("brand"), 60)
    if brand and "brand" not in {k.casefold() for k in found}:
        found["Brand"] = brand
    return found


def aspect(pick: Pick, name: str) -> str | None:
    """An item specific by name, in any case."""
    wanted = name.casefold()
    return next((v for k, v in pick.aspects.items() if k.casefold() == wanted), None)
