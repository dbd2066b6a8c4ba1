"""The texts the theme's scripts show (site.js, filters.js, search.js), in the site's language; and those of
editions.js's offer of another edition, in that edition's language (`edition_hint`).

base.html puts them in every page as one JSON object (`<script type="application/json" id="affsite-messages">`; the
offer's on each edition's `<link rel="alternate">`), which the scripts read with JSON.parse: data, not code, so the
CSP needs no inline script, and the texts are in the same catalog as the templates' (extracted from here).
`%(name)s` placeholders are filled in by the scripts, numbers formatted by the browser (Intl.NumberFormat). A text
with a number in it has its plural forms by CLDR plural category ("one", "few", "other", ...), which is what the
browser's Intl.PluralRules answers for a number.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from .formatting import babel_locale, language_name_in_text
from .i18n import N_, gettext_in, ngettext
from .i18n import gettext as _

if TYPE_CHECKING:
    from .themes import Theme

Forms = dict[str, str]  # a text with a number: its plural forms by CLDR category
Texts = dict[str, str | Forms]
Plural = Callable[[Callable[[int], str]], Forms]


@cache
def plural_samples(lang: str) -> dict[str, int]:
    """One whole number of each CLDR plural category of the language: {"one": 1, "other": 0} in English."""
    rule = babel_locale(lang).plural_form
    samples: dict[str, int] = {}
    for n in range(200):  # every language's integer categories show up well below 200
        samples.setdefault(rule(n), n)
    return samples


def script_texts(lang: str, *scripts: str) -> Texts:
    """The texts of site.js (every page) and of the page's other `scripts` ("filters", "search"), by the names the
    scripts use: a page carries only the texts its scripts show."""
    samples = plural_samples(lang)

    def plural(pick: Callable[[int], str]) -> Forms:
        # gettext's plural form for a number of each category: the catalog's forms, keyed as the browser asks.
        return {category: pick(n) for category, n in samples.items()}

    texts = _site(plural)
    for script in scripts:
        texts.update(_SCRIPTS[script](plural))
    return texts


def _site(plural: Plural) -> Texts:
    """The texts of site.js, which every page loads: relative times ("2 h ago", "in 3 h", "just now")."""
    return {
        "justNow": _("just now"),
        # Translators: %(time)s is a span of time such as "5 min" or "3 h".
        "ago": _("%(time)s ago"),
        # Translators: %(time)s is a span of time such as "5 min" or "3 h".
        "in": _("in %(time)s"),
        "minutes": _("%(num)s min"),
        "hours": _("%(num)s h"),
        "days": plural(lambda n: ngettext("%(num)s day", "%(num)s days", n)),
        # Translators: an auction's end time once it has passed on the reader's clock (the page is older).
        "endsNow": _("now (check eBay)"),
    }


def _filters(plural: Plural) -> Texts:
    """The sort and filter chips of a category page (filters.js)."""
    return {
        "sortListings": _("Sort listings"),
        "featured": _("Featured"),
        "priceAsc": _("Price: low to high"),
        "priceDesc": _("Price: high to low"),
        "endingSoonest": _("Ending soonest"),
        "newlyListed": _("Newly listed"),
        "condition": _("Condition"),
        "anyCondition": _("Any condition"),
        # Translators: a condition in the filter's list with how many listings have it, "Used (12)".
        "conditionCount": _("%(condition)s (%(count)s)"),
        "buyItNow": _("Buy It Now"),
        "auction": _("Auction"),
        "freeShipping": _("Free shipping"),
        "matching": plural(lambda n: ngettext("%(shown)s of %(num)s listing", "%(shown)s of %(num)s listings", n)),
        "matchingFirst": plural(
            lambda n: ngettext(
                "%(shown)s of %(num)s listing, the first %(limit)s shown",
                "%(shown)s of %(num)s listings, the first %(limit)s shown",
                n,
            )
        ),
        "sortingUnavailable": _("Sorting is not available right now."),
    }


def _search(plural: Plural) -> Texts:
    """The search page (search.js)."""
    return {
        "category": _("Category"),
        "condition": _("Condition"),
        "format": _("Format"),
        "price": _("Price"),
        "shipping": _("Shipping"),
        # Translators: the value of the search's price filter for the cheapest band, as in price_bands.py.
        "bandUnder": _("Under %(price)s"),
        # Translators: an auction's current price in a search result, "Bid $120.00".
        "bid": _("Bid %(price)s"),
        # Translators: %(time)s is "2 h ago" or "just now".
        "priceChecked": _("price checked %(time)s"),
        "checkPrice": _("Check the current price on eBay"),
        # Translators: a category among the search results, "Category: Cameras".
        "categoryResult": _("Category: %(title)s"),
        # Translators: a buying guide among the search results, "Guide: The best mirrorless camera under $1,000".
        "guideResult": _("Guide: %(title)s"),
        "typeSomething": _("Type what you are looking for, or pick a filter."),
        "noResults": _("No results."),
        "results": plural(lambda n: ngettext("%(num)s result.", "%(num)s results.", n)),
        "resultsFor": plural(
            lambda n: ngettext("%(num)s result for “%(term)s”.", "%(num)s results for “%(term)s”.", n)
        ),
        "resultsShowing": plural(
            lambda n: ngettext("%(num)s result, showing %(shown)s.", "%(num)s results, showing %(shown)s.", n)
        ),
        "resultsForShowing": plural(
            lambda n: ngettext(
                "%(num)s result for “%(term)s”, showing %(shown)s.",
                "%(num)s results for “%(term)s”, showing %(shown)s.",
                n,
            )
        ),
        "showMore": _("Show more results"),
        "loading": _("Loading search…"),
        "searchUnavailable": _("Search is not available right now."),
        "searchUnavailableBrowse": _("Search is not available right now. Browse the categories below."),
    }


_SCRIPTS: dict[str, Callable[[Plural], Texts]] = {"filters": _filters, "search": _search}

# The offer of another edition (editions.js) is shown to a visitor whose browser prefers that edition's language to
# the page's: its texts are in the language of the edition it offers, not the page's (`edition_hint`).
# Translators: a bar offering the page in another language, shown only to readers of that language: so it is
# always in the language it names. %(language)s is your language's own name, a link ("Deutsch", "français").
EDITION_OFFER = N_("This page is also available in %(language)s.")
# Translators: the button that closes the offer of another language (the browser remembers it).
EDITION_DISMISS = N_("No thanks")


def edition_hint(theme: Theme, lang: str) -> dict[str, str]:
    """The texts of the offer of an edition in language `lang`, in that language: its name as a sentence writes it,
    the sentence (editions.js puts the name, linked, where `%(language)s` is) and the dismiss button's text. base.html
    puts them on the edition's `<link rel="alternate">`: data, not code (the CSP)."""
    return {
        "label": language_name_in_text(lang),
        "offer": gettext_in(theme, lang, EDITION_OFFER),
        "dismiss": gettext_in(theme, lang, EDITION_DISMISS),
    }
