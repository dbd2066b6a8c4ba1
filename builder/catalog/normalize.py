"""Browse item summaries (untrusted JSON) to Products the templates can show.

Everything eBay sends is treated as untrusted: any field may be missing or of the wrong type, titles may carry
markup, URLs may point anywhere. Prices are Decimals, never floats. An item that must not or cannot be shown is
dropped with a reason the build summary counts (ended, adult only, not an https eBay URL, no price, ...).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from ..config import CategoryConfig
from ..marketplaces import Marketplace
from .links import is_safe_ebay_url, tracked_url, with_custom_id

MAX_TITLE = 200  # eBay titles are at most 80 characters; anything longer is cut, not trusted
IMAGE_HOSTS = ("i.ebayimg.com",)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_LEGACY_ID = re.compile(r"[0-9]{6,19}")
MAX_AMOUNT = Decimal("1e12")  # no eBay price or count comes near this; anything larger is garbage


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str


@dataclass(slots=True)
class Product:
    item_id: str  # eBay's legacy item id (digits)
    title: str
    slug: str  # the product page is /p/<slug>/
    url: str  # tracked eBay link
    price: Money
    fetched_at: datetime
    original_price: Money | None = None
    discount_percent: int | None = None
    image_url: str | None = None
    condition: str | None = None
    condition_id: int | None = None  # eBay's conditionId (1000 new, 3000 used, ...): the one to trust
    shipping: Money | None = None  # amount 0 means free shipping; None means unknown
    seller: str | None = None
    seller_feedback_percent: Decimal | None = None
    seller_feedback_score: int | None = None
    is_auction: bool = False
    is_fixed_price: bool = True
    accepts_offers: bool = False
    bid_count: int | None = None
    ends_at: datetime | None = None
    listed_at: datetime | None = None
    country: str | None = None
    categories: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/p/{self.slug}/"

    @property
    def free_shipping(self) -> bool:
        return self.shipping is not None and self.shipping.amount == 0

    def fingerprint(self) -> str:
        """A digest of everything a page shows about this product (for incremental builds)."""
        fields = (
            self.item_id,
            self.title,
            self.url,
            self.price,
            self.fetched_at,
            self.original_price,
            self.discount_percent,
            self.image_url,
            self.condition,
            self.condition_id,
            self.shipping,
            self.seller,
            self.seller_feedback_percent,
            self.seller_feedback_score,
            self.is_auction,
            self.is_fixed_price,
            self.accepts_offers,
            self.bid_count,
            self.ends_at,
            self.listed_at,
            self.country,
            self.categories,
        )
        return hashlib.blake2b(repr(fields).encode(), digest_size=12).hexdigest()


@dataclass
class Dropped:
    """Counts of items left out, by reason, with a few examples for the summary."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(example)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Normalizer:
    """Turns item summaries into Products for one build (one marketplace, one campaign, one clock)."""

    def __init__(
        self, market: Marketplace, campaign: str, now: datetime, lang: str = "en", custom_prefix: str = ""
    ) -> None:
        self.market = market
        self.campaign = campaign
        self.custom_prefix = custom_prefix  # an edition's links name it in their customid (editions.py)
        self.now = now
        # English sites keep the slugs their URLs were published with (see product_slug); others transliterate.
        self.transliterate = not lang.lower().startswith("en")
        self.dropped = Dropped()

    def products(self, category: CategoryConfig, items: Iterable[Any], fetched_at: datetime) -> list[Product]:
        excluded = [word.casefold() for word in category.exclude_keywords]
        products: list[Product] = []
        for raw in items:
            product = self.product(raw, category.slug, fetched_at)
            if product is None:
                continue
            if excluded and any(word in product.title.casefold() for word in excluded):
                self.dropped.add("title has an excluded keyword", product.item_id)
                continue
            products.append(product)
        return products

    def product(self, raw: Any, category_slug: str, fetched_at: datetime) -> Product | None:
        """One Product, or None (counted in `dropped`) when the item must not or cannot be shown."""
        if not isinstance(raw, Mapping):
            self.dropped.add("not an item object", type(raw).__name__)
            return None
        item_id = _legacy_id(raw)
        title = clean_text(raw.get("title"))
        label = item_id or "(no id)"
        if not item_id or not title:
            self.dropped.add("no item id or title", label)
            return None
        if raw.get("adultOnly") is True:
            self.dropped.add("adult only", label)
            return None
        ends_at = parse_time(raw.get("itemEndDate"))
        if ends_at is not None and ends_at <= self.now:
            self.dropped.add("listing has ended", label)
            return None
        web_url = raw.get("itemWebUrl")
        if not isinstance(web_url, str) or not is_safe_ebay_url(web_url):
            self.dropped.add("not an https eBay URL", label)
            return None
        buying = {str(b) for b in raw.get("buyingOptions") or () if isinstance(b, str)}
        is_auction = "AUCTION" in buying
        price = money(raw.get("currentBidPrice")) if is_auction else None
        price = price or money(raw.get("price"))
        if price is None:
            self.dropped.add("no price", label)
            return None
        affiliate = raw.get("itemAffiliateWebUrl")
        custom_id = self.custom_prefix + category_slug
        url = tracked_url(
            web_url, affiliate if isinstance(affiliate, str) else None, self.market, self.campaign, custom_id
        )
        if self.custom_prefix:
            url = with_custom_id(url, custom_id)  # eBay's own link names the category only
        marketing = _mapping(raw.get("marketingPrice"))
        original = money(marketing.get("originalPrice"))
        discount = _int(marketing.get("discountPercentage"))
        if original is None or original.amount <= price.amount or original.currency != price.currency:
            original, discount = None, None
        seller = _mapping(raw.get("seller"))
        location = _mapping(raw.get("itemLocation"))
        return Product(
            item_id=item_id,
            title=title,
            slug=product_slug(title, item_id, self.transliterate),
            url=url,
            price=price,
            fetched_at=fetched_at,
            original_price=original,
            discount_percent=discount if discount and 0 < discount < 100 else None,
            image_url=best_image(raw),
            condition=clean_text(raw.get("condition"), 60),
            condition_id=_int(raw.get("conditionId")),
            shipping=_shipping(raw.get("shippingOptions")),
            seller=clean_text(seller.get("username"), 64),
            seller_feedback_percent=_decimal(seller.get("feedbackPercentage")),
            seller_feedback_score=_int(seller.get("feedbackScore")),
            is_auction=is_auction,
            is_fixed_price="FIXED_PRICE" in buying or not buying,
            accepts_offers="BEST_OFFER" in buying,
            bid_count=_int(raw.get("bidCount")) if is_auction else None,
            ends_at=ends_at if is_auction else None,
            listed_at=parse_time(raw.get("itemCreationDate")),
            country=clean_text(location.get("country"), 2),
            categories=[category_slug],
        )


def clean_text(value: Any, limit: int = MAX_TITLE) -> str | None:
    """Untrusted text made printable: control and bidi characters removed, whitespace folded, length capped.

    Escaping for HTML is the templates' job (autoescape); this only keeps text from breaking layouts or logs.
    """
    if not isinstance(value, str):
        return None
    text = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", value)).split())
    return text[:limit] or None


def product_slug(title: str, item_id: str, transliterate: bool = True) -> str:
    """A URL slug from the title (ASCII, at most 60 characters) and the item id, which keeps it unique.

    Letters of any script are transliterated (python-slugify with text-unidecode): "Słuchawki Łódź" ->
    `sluchawki-lodz`, "Объектив Гелиос 44-2" -> `obiektiv-gelios-44-2`. Anything that is not a letter, digit or
    accent (emoji, symbols, dashes) separates words, as before.

    `transliterate=False` is the rule English sites were published with, kept so that their URLs never change:
    accents fall away (é -> e) and any other non-ASCII letter separates words ("Größe" -> `gro-e`, CJK dropped).
    tests/test_normalize.py pins every demo listing's slug under it.
    """
    if transliterate:
        from slugify import slugify  # imported on first use: a rebuild with nothing to do never makes a slug

        spaced = "".join(
            c if unicodedata.category(c)[0] in "LNM" else " " for c in unicodedata.normalize("NFKC", title)
        )
        words = slugify(spaced, max_length=60, word_boundary=False, replacements=_TRANSLITERATE)
    else:
        decomposed = unicodedata.normalize("NFKD", title)
        ascii_title = "".join(c if c.isascii() else "" if unicodedata.combining(c) else "-" for c in decomposed)
        words = _SLUG_DROP.sub("-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    return f"{words}-{item_id}" if words else item_id


_SLUG_DROP = re.compile(r"[^a-z0-9]+")
# Where text-unidecode's transliteration is not what a reader expects. The Russian hard sign has no sound of its
# own; text-unidecode drops it ("obektiv"), readers write "obiektiv" (as Polish does for the same word).
_TRANSLITERATE = [["ъ", "i"], ["Ъ", "I"]]


def money(value: Any) -> Money | None:
    if not isinstance(value, Mapping):
        return None
    amount = _decimal(value.get("value"))
    currency = value.get("currency")
    if amount is None or amount < 0 or not (isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency)):
        return None
    return Money(amount.quantize(Decimal("0.01")), currency)


def best_image(raw: Mapping[str, Any]) -> str | None:
    """The larger thumbnail when there is one, else the 225 px image; only https URLs on eBay's image host."""
    candidates: list[Any] = []
    for key in ("thumbnailImages", "additionalImages"):
        images = raw.get(key)
        if isinstance(images, list):
            candidates.extend(img.get("imageUrl") for img in images[:1] if isinstance(img, Mapping))
    image = raw.get("image")
    if isinstance(image, Mapping):
        candidates.append(image.get("imageUrl"))
    for url in candidates:
        if isinstance(url, str) and _is_image_url(url):
            return url
    return None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _is_image_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and parts.hostname in IMAGE_HOSTS and '"' not in url


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _legacy_id(raw: Mapping[str, Any]) -> str | None:
    legacy = raw.get("legacyItemId")
    if isinstance(legacy, str) and _LEGACY_ID.fullmatch(legacy):
        return legacy
    item_id = raw.get("itemId")
    if isinstance(item_id, str):
        parts = item_id.split("|")
        if len(parts) == 3 and _LEGACY_ID.fullmatch(parts[1]):
            return parts[1]
    return None


def _shipping(options: Any) -> Money | None:
    if not isinstance(options, list):
        return None
    costs = [m for o in options if isinstance(o, Mapping) and (m := money(o.get("shippingCost"))) is not None]
    return min(costs, key=lambda m: m.amount) if costs else None


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    # Bounded: "1e30" or "1e999999999" must not crash quantize() or build a million-digit int.
    return number if number.is_finite() and abs(number) < MAX_AMOUNT else None


def _int(value: Any) -> int | None:
    number = _decimal(value)
    if number is None:
        return None
    try:
        return int(number)
    except (ValueError, OverflowError):
        return None
