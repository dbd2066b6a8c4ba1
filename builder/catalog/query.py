"""From a category's YAML to the Browse search requests it needs (params, paging), shared by planning and calling."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import BUYING_OPTIONS, CONDITION_IDS, MAX_SEARCH_RESULTS, SORTS, CategoryConfig, SiteConfig

MAX_LIMIT = 200  # the most items one search call returns


@dataclass(frozen=True)
class SearchRequest:
    """One call to `item_summary/search`: the category it serves and its query parameters, in a stable order.

    With `item_id`, one call to `item/{item_id}` instead (a listing asked for by id; `params` are its query
    parameters): the plan, the budget and the cache treat both kinds alike.
    """

    category: str
    params: tuple[tuple[str, str], ...]
    item_id: str | None = None
    """The RESTful item id (`v1|<legacy id>|0`) of a getItem call; None for a search."""

    @property
    def offset(self) -> int:
        return int(dict(self.params).get("offset", "0"))

    def describe(self) -> str:
        if self.item_id is not None:
            compact = ("fieldgroups", "COMPACT") in self.params
            return f"item {self.item_id.split('|')[1]} (by id{', price check' if compact else ''})"
        return f"{self.category} (offset {self.offset})"


ITEM_REFERENCE_PREFIX = "item-"


def item_request(legacy_id: str, *, compact: bool = False) -> SearchRequest:
    """The getItem call for one listing by its legacy id. In full, for what a product box shows (title, photo,
    seller, aspects); `compact`: `fieldgroups=COMPACT`, eBay's cheap check of what changes (price, availability,
    end date, affiliate link), to bring an older full answer up to date."""
    params = (("fieldgroups", "COMPACT"),) if compact else ()
    return SearchRequest(f"{ITEM_REFERENCE_PREFIX}{legacy_id}", params, item_id=f"v1|{legacy_id}|0")


def search_filter(category: CategoryConfig, site: SiteConfig) -> str:
    """The Browse `filter` parameter for a category: price range, conditions, buying options, shipping, sellers."""
    parts: list[str] = []
    if category.min_price is not None or category.max_price is not None:
        low = "" if category.min_price is None else f"{category.min_price:f}"  # plain digits, never 1E+2
        high = "" if category.max_price is None else f"{category.max_price:f}"
        parts.append(f"price:[{low}..{high}]")
        parts.append(f"priceCurrency:{category.currency or site.market.currency}")
    if category.conditions:
        ids = sorted({i for name in category.conditions for i in CONDITION_IDS[name]})
        parts.append("conditionIds:{" + "|".join(str(i) for i in ids) + "}")
    options = sorted({BUYING_OPTIONS[o] for o in category.buying_options})
    parts.append("buyingOptions:{" + "|".join(options) + "}")
    if category.free_shipping:
        parts.append("maxDeliveryCost:0")
    if category.exclude_sellers:
        parts.append("excludeSellers:{" + "|".join(category.exclude_sellers) + "}")
    if site.editions:
        parts.append(f"deliveryCountry:{site.market.country}")  # an edition lists only what ships to its country
    return ",".join(parts)


def search_requests(category: CategoryConfig, site: SiteConfig) -> list[SearchRequest]:
    """Every call the category needs, and no more items than it asks for: pages of 200, then a last page just large
    enough for the rest (450 items: 200, 200 and 50). eBay wants each offset to be a multiple of its limit, so the
    last page's limit is the smallest one that divides its offset and covers the rest; the build then keeps exactly
    `items`."""
    wanted = min(category.items, MAX_SEARCH_RESULTS)
    base: list[tuple[str, str]] = []
    if category.q:
        base.append(("q", category.q))
    if category.category_id:
        base.append(("category_ids", category.category_id))
    base.append(("filter", search_filter(category, site)))
    sort = SORTS[category.sort]
    if sort:
        base.append(("sort", sort))
    requests: list[SearchRequest] = []
    offset = 0
    while offset < wanted:
        rest = wanted - offset
        limit = MAX_LIMIT if rest >= MAX_LIMIT else last_page_limit(offset, rest)
        requests.append(SearchRequest(category.slug, (*base, ("limit", str(limit)), ("offset", str(offset)))))
        offset += limit
    return requests


def last_page_limit(offset: int, rest: int) -> int:
    """The smallest limit of at least `rest` that `offset` is a multiple of (eBay error 12515 otherwise)."""
    if offset == 0:
        return rest
    return next(limit for limit in range(rest, MAX_LIMIT + 1) if offset % limit == 0)
