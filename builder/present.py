"""Listing data as a shopper reads it: eBay's raw fields turned into the words the pages show.

eBay answers with codes and bare grades ("CN", "Very Good", feedbackPercentage "0.0" for a seller with no rated
sales in a year); a page that prints them as they come reads like a database dump. Each function here takes the raw
field(s) and returns the text to show, or None when there is nothing worth showing, so the templates only decide
where a text goes. Relative times ("ends in 3 h", "checked 2 h ago") are not here: a static page cannot know when it
is read, so the pages carry the exact time and site.js words it relative to the reader's clock.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_percent

from .catalog.normalize import Product
from .formatting import babel_locale, format_number
from .i18n import N_, ngettext
from .i18n import gettext as _

# eBay's graded used conditions, which its answers often give without saying "used" ("Good", "Very Good").
# N_ marks them for the catalog (pybabel's default keyword) without translating: they are matched in English.
_USED_GRADES = {
    2750: N_("Like New"),
    2990: N_("Excellent"),
    3010: N_("Fair"),
    4000: N_("Very Good"),
    5000: N_("Good"),
    6000: N_("Acceptable"),
}
_USED_WORDS = {grade.lower(): grade for grade in _USED_GRADES.values()}
_DASH = "\u2013"


@cache
def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def country_name(code: str | None, lang: str = "en") -> str | None:
    """ "CN" -> "China" in the page's language (CLDR names); an unknown code is shown as it is."""
    if not code:
        return None
    locale = _locale(lang) or _locale("en")
    name = locale.territories.get(code.upper()) if locale is not None else None
    return name or code


def condition_label(text: str | None, condition_id: int | None = None) -> str | None:
    """ "Good" -> "Used – Good", "Very Good - Refurbished" -> "Very Good – Refurbished", "Used" stays "Used".

    A bare grade is a used item's grade (by eBay's conditionId when there is one, else by the words); eBay's
    hyphen between the parts of a condition becomes an en dash, as in print.
    """
    if not text:
        return None
    text = " ".join(text.split())
    lowered = text.lower()
    grade = _USED_GRADES.get(condition_id) if condition_id is not None else None
    if grade is None and lowered in _USED_WORDS:
        grade = _USED_WORDS[lowered]
    if grade is not None and lowered == grade.lower():
        # Translators: a used item's condition, %(grade)s one of eBay's grades ("Used – Very Good").
        return _("Used – %(grade)s") % {"grade": _(grade)}
    return text.replace(" - ", f" {_DASH} ")


def seller_rating(percent: Decimal | None, score: int | None, lang: str = "en") -> str | None:
    """The seller's feedback as a shopper reads it, or None when it says nothing.

    eBay gives feedbackPercentage 0.0 to a seller with no rated sales in the last twelve months, which is no rating
    at all, not a bad one: then only the number of ratings is shown ("3 ratings"), and nothing for a seller with none.
    """
    if not score:
        return None
    ratings = ngettext("%(num)s rating", "%(num)s ratings", score) % {"num": format_number(score, lang)}
    if percent is None or percent <= 0:
        return ratings
    # One decimal at most, as eBay shows it ("99.5%", "100%"), in the page's language ("99,5 %").
    share = percent.quantize(Decimal("0.1")) / 100
    shown = format_percent(share, locale=babel_locale(lang), decimal_quantization=False)
    # Translators: the seller's eBay feedback, "99.5% positive · 1,018 ratings".
    return _("%(percent)s positive · %(ratings)s") % {"percent": shown, "ratings": ratings}


def price_label(product: Product) -> str | None:
    """What the price is: an auction's "Current bid", or "Starting bid" while nobody has bid (as eBay says); when
    eBay did not give the number of bids, "Current bid", which is true either way."""
    if not product.is_auction:
        return None
    return _("Starting bid") if product.bid_count == 0 else _("Current bid")


def bids(product: Product) -> str | None:
    """ "No bids yet", "1 bid", "12 bids" for an auction; None otherwise or when eBay did not say."""
    if not product.is_auction or product.bid_count is None:
        return None
    if product.bid_count == 0:
        return _("No bids yet")
    return ngettext("%(num)d bid", "%(num)d bids", product.bid_count) % {"num": product.bid_count}


def buy_text(product: Product) -> str:
    """The product page's button says what happens on eBay."""
    if product.is_auction and product.is_fixed_price:
        return _("Bid or Buy It Now on eBay")
    if product.is_auction:
        return _("Bid on eBay")
    return _("Buy It Now on eBay")


def format_text(product: Product) -> str:
    """ "Buy It Now", "Auction", "Auction or Buy It Now", with "accepts offers" when the seller does."""
    text = _("Buy It Now")
    if product.is_auction:
        text = _("Auction or Buy It Now") if product.is_fixed_price else _("Auction")
    if product.accepts_offers:
        # Translators: %(format)s is "Buy It Now", "Auction" or "Auction or Buy It Now".
        return _("%(format)s · accepts offers") % {"format": text}
    return text
