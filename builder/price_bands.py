"""The price bands of the site search's price filter: "Under $50", "$50 to $100", ..., "$1000 and over".

A filter, not a price: a visitor picks a band, and the results show each price with its age (search.js).
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_decimal_symbol
from jinja2 import pass_context
from jinja2.runtime import Context

from .catalog.normalize import Money
from .formatting import babel_locale, format_money

# Upper bounds of the bands, in the site's currency; the last band has no upper bound.
PRICE_BANDS = (50, 100, 250, 500, 1000)


def price_band(price: Money, lang: str) -> str:
    """The price filter's value for a price: "Under $50", "$50 to $100", ..., "$1000 and over"."""
    amount = price.amount
    lower: int | None = None
    for upper in PRICE_BANDS:
        if amount < upper:
            if lower is None:
                return f"Under {_whole(upper, price.currency, lang)}"
            return f"{_whole(lower, price.currency, lang)} to {_whole(upper, price.currency, lang)}"
        lower = upper
    return f"{_whole(PRICE_BANDS[-1], price.currency, lang)} and over"


@pass_context
def price_band_filter(context: Context, price: Money) -> str:
    """`{{ p.price|price_band }}` in a template: `price_band` in the page's language."""
    return price_band(price, str(context["lang"]))


def _whole(amount: int, currency: str, lang: str) -> str:
    """A round amount without cents or thousands commas ("$1000", "1.000 €"): a comma would end the value in a
    data-pagefind-filter attribute, where commas separate filters."""
    text = format_money(Decimal(amount), currency, lang)
    text = text.replace(get_decimal_symbol(babel_locale(lang)) + "00", "", 1)  # CLDR's decimal sign, whatever it is
    return text.replace(",", "")
