"""The price bands of the site search's price filter: "Under $50", "$50 to $100", ..., "$1000 and over".

A filter, not a price: a visitor picks a band, and the results show each price with its age (search.js).
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_decimal_symbol

from .catalog.normalize import Money
from .formatting import babel_locale, format_money
from .i18n import gettext as _

# Upper bounds of the bands, in the site's currency; the last band has no upper bound.
PRICE_BANDS = (50, 100, 250, 500, 1000)


def price_band(price: Money, lang: str) -> str:
    """The price filter's value for a price: "Under $50", "$50 to $100", ..., "$1000 and over"."""
    return band_label(band_of(price.amount), price.currency, lang)


def band_of(amount: Decimal) -> int:
    """The band a price is in: 0 for the first ("Under $50"), len(PRICE_BANDS) for the last ("$1000 and over")."""
    return next((number for number, upper in enumerate(PRICE_BANDS) if amount < upper), len(PRICE_BANDS))


def band_label(band: int, currency: str, lang: str) -> str:
    """A band's name in the site's language and currency (`band_of`)."""
    if band == 0:
        # Translators: a band of the search's price filter; no comma (it ends a filter value).
        return _("Under %(price)s") % {"price": _whole(PRICE_BANDS[0], currency, lang)}
    if band < len(PRICE_BANDS):
        low, high = _whole(PRICE_BANDS[band - 1], currency, lang), _whole(PRICE_BANDS[band], currency, lang)
        # Translators: a band of the search's price filter; no comma (it ends a filter value).
        return _("%(low)s to %(high)s") % {"low": low, "high": high}
    # Translators: a band of the search's price filter; no comma (it ends a filter value).
    return _("%(price)s and over") % {"price": _whole(PRICE_BANDS[-1], currency, lang)}


def _whole(amount: int, currency: str, lang: str) -> str:
    """A round amount without cents or thousands commas ("$1000", "1.000 €"): a comma would end the value in a
    data-pagefind-filter attribute, where commas separate filters."""
    text = format_money(Decimal(amount), currency, lang)
    text = text.replace(get_decimal_symbol(babel_locale(lang)) + "00", "", 1)  # CLDR's decimal sign, whatever it is
    return text.replace(",", "")
