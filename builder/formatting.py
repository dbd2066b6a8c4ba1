"""How numbers, prices, percentages and times read on the pages: Babel (CLDR), per locale, never by hand.

Locales are BCP 47 as site.yaml writes them (`de-CH`); Babel wants `de_CH`, which `babel_locale` converts (cached:
parsing a locale is the costly part). Times are shown in the site's time zone with the zone named ("05:00 MEZ").
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta, get_timezone_gmt
from babel.numbers import (
    NumberPattern,
    format_decimal,
    format_percent,
    get_currency_symbol,
    get_group_symbol,
    parse_pattern,
)

# eBay's own currency display, kept on purpose where CLDR's differs: a visitor of ebay.com.au sees "AU $12.00" on
# eBay and should see the same figure the same way here (CLDR's en-AU writes plain "$"). (locale, currency) -> symbol.
# Everything else is CLDR's, as Babel formats it.
CURRENCY_OVERRIDES: dict[tuple[str, str], str] = {
    ("en-AU", "AUD"): "AU $",
    ("en-CA", "CAD"): "C $",
}


@lru_cache(maxsize=64)
def babel_locale(locale: str) -> Locale:
    """`de-CH` -> Babel's Locale; raises babel.UnknownLocaleError for a locale CLDR lacks."""
    return Locale.parse(locale.replace("-", "_"))


@lru_cache(maxsize=64)
def time_zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def known_locale(locale: str) -> bool:
    try:
        babel_locale(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


def known_time_zone(name: str) -> bool:
    # The empty name and paths ("../etc/passwd") are refused by zoneinfo itself with ValueError.
    try:
        time_zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """`$1,234.50`, `1.234,50 €`, `CHF 1'234.50` (de-CH), `AU $1,234.50` (an override).

    Babel's own `format_currency`, minus its per-call look-ups: the locale's currency pattern with the symbol already
    in place is made once per (locale, currency); `apply` then does what format_currency would (the currency's
    decimal digits, rounding half-even, grouping). tests/test_formatting.py compares the two for every marketplace."""
    loc = babel_locale(locale)
    return _regrouped(_currency_pattern(locale, currency).apply(amount, loc, currency=currency), loc)


@lru_cache(maxsize=64)
def _currency_pattern(locale: str, currency: str) -> NumberPattern:
    loc = babel_locale(locale)
    pattern = copy.copy(parse_pattern(loc.currency_formats["standard"]))
    symbol = CURRENCY_OVERRIDES.get((locale, currency)) or get_currency_symbol(currency, loc)
    # With no ¤ left in the pattern, `apply` skips the currency name and symbol look-ups it makes on every call
    # (a fifth of its time goes to the currency's plural name, which the standard pattern never shows).
    pattern.prefix = tuple(part.replace("¤", symbol) for part in pattern.prefix)  # type: ignore[assignment]
    pattern.suffix = tuple(part.replace("¤", symbol) for part in pattern.suffix)  # type: ignore[assignment]
    return pattern


def format_number(value: int | float | Decimal, locale: str) -> str:
    """`1,234` (en), `1.234` (de), `1 234` (fr, with a narrow no-break space)."""
    loc = babel_locale(locale)
    return _regrouped(format_decimal(value, locale=loc), loc)


_LOST_GROUPS = re.compile(r"(?<![\d.,'])\d{7,}")


def _regrouped(text: str, loc: Locale) -> str:
    """Babel 2.19 removes pairs of ' from its output after putting the number in (they quote literal text in CLDR
    patterns), so de-CH's 1'234'567 comes out as 1234567. Only whole parts of 7 or more digits have lost their
    groups (up to 999'999 there is a single ', which survives): put Babel's group symbol back every 3 digits."""
    symbol = _group_symbol(loc)
    if symbol != "'":
        return text

    def regroup(match: re.Match[str]) -> str:
        digits = match.group(0)
        head = len(digits) % 3 or 3
        return symbol.join([digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))])

    return _LOST_GROUPS.sub(regroup, text)


@lru_cache(maxsize=64)
def _group_symbol(loc: Locale) -> str:
    return get_group_symbol(loc)


def format_percentage(value: int | float | Decimal, locale: str) -> str:
    """A share given in percent (`25` -> `25%`, `25 %` in de and fr)."""
    return format_percent(Decimal(value) / 100, locale=babel_locale(locale))


def format_datetime(moment: datetime, locale: str, zone: str) -> str:
    """A moment as the locale writes a date and a time, in `zone`, with the zone named: `Dec 1, 2026, 11:00 PM EST`,
    `02.12.2026, 05:00 MEZ`. CLDR's medium date, short time plus the zone, joined by the locale's own pattern."""
    loc = babel_locale(locale)
    tz = time_zone(zone)
    local = moment.astimezone(tz)
    date_text = format_date(local, "medium", locale=loc)
    time_text = format_time(local, str(loc.time_formats["short"].pattern), tzinfo=tz, locale=loc)
    time_text += " " + zone_name(local, tz, loc)
    return str(loc.datetime_formats["medium"]).replace("{1}", date_text).replace("{0}", time_text)


def format_day(day: date, locale: str) -> str:
    """A calendar day as the locale writes it in running text (a guide's date): `Nov 1, 2026`, `01.11.2026`."""
    return format_date(day, "medium", locale=babel_locale(locale))


def zone_name(local: datetime, tz: ZoneInfo, loc: Locale) -> str:
    """The zone's short name in the locale (`EST`, `MEZ`, `GMT`), else its offset (`UTC+01:00` in French, where CLDR
    has no abbreviation for Central European Time)."""
    if _negative_dst(tz.key, local.year):
        # Europe/Dublin keeps "negative summer time" (winter is the exception): Babel then calls winter "IST" and
        # summer "GMT". The tz database's own abbreviation is right in both seasons.
        return local.tzname() or "UTC"
    name = format_time(local, "z", tzinfo=tz, locale=loc)
    if name[:1] in "+-":
        return get_timezone_gmt(local, "long", locale=loc)
    return name


@lru_cache(maxsize=64)
def _negative_dst(zone: str, year: int) -> bool:
    tz = time_zone(zone)
    return any((datetime(year, month, 15, tzinfo=tz).dst() or timedelta(0)) < timedelta(0) for month in (1, 7))


def format_age(age: timedelta, locale: str) -> str:
    """A duration as words: `3 hours`, `3 Stunden`."""
    return format_timedelta(age, locale=babel_locale(locale))


@lru_cache(maxsize=4096)  # a category's listings share their fetch time: ten uses on each product page
def iso(moment: datetime) -> str:
    """The machine-readable form (`<time datetime>`, JSON-LD, the feed): UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def language_name(tag: str) -> str:
    """A language in its own words, for a visitor who reads it: `de-DE` -> "Deutsch", `fr-BE` -> "Français"."""
    locale = babel_locale(tag)
    name = locale.get_language_name(locale) or tag
    return name[:1].upper() + name[1:]


def language_name_in_text(tag: str) -> str:
    """A language in its own words as a sentence of that language writes it: `de-DE` -> "Deutsch", `fr-BE` ->
    "français" (CLDR's form: French, Italian, Spanish and Polish write the names of languages in lower case)."""
    locale = babel_locale(tag)
    return locale.get_language_name(locale) or tag
