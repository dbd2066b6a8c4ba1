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
from .i18n import gettext as _

# Upper bounds of the bands, in the site's currency; the last band has no upper bound.
PRICE_BANDS = (50, 100, 250, 500, 1000)


def price_band(price: Money, lang: str) -> str:
    """The price filter's value for a price: "Under $50", "$50 to $100", ..., "$1000 and over"."""
    amount = price.amount
    lower: int | None = None
    for upper in PRICE_BANDS:
        if amount < upper:
            if lower is None:
                # Translators: a band of the search's price filter; no comma (it ends a filter value).
                return _("Under %(price)s") % {"price": _whole(upper, price.currency, lang)}
            low, high = _whole(lower, price.currency, lang), _whole(upper, price.currency, lang)
            # Translators: a band of the search's price filter; no comma (it ends a filter value).
            return _("%(low)s to %(high)s") % {"low": low, "high": high}
        lower = upper
    # Translators: a band of the search's price filter; no comma (it ends a filter value).
    return _("%(price)s and over") % {"price": _whole(PRICE_BANDS[-1], price.currency, lang)}


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
