"""Prices, numbers and times as each of the 14 EPN marketplaces writes them: CLDR through Babel, pinned as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from builder.formatting import (
    CURRENCY_OVERRIDES,
    format_age,
    format_datetime,
    format_money,
    format_number,
    format_percentage,
    known_locale,
    known_time_zone,
)
from builder.marketplaces import MARKETPLACES

WINTER = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 2, 4, 0, tzinfo=UTC)

# marketplace, 1234.50 and 0.99 in its currency, WINTER and SUMMER in its default time zone: what visitors read.
TABLE = [
    ("EBAY_US", "$1,234.50", "$0.99", "Dec 1, 2026, 11:00\u202fPM EST", "Jul 2, 2026, 12:00\u202fAM EDT"),
    ("EBAY_GB", "£1,234.50", "£0.99", "2 Dec 2026, 04:00 GMT", "2 Jul 2026, 05:00 BST"),
    ("EBAY_DE", "1.234,50\xa0€", "0,99\xa0€", "02.12.2026, 05:00 MEZ", "02.07.2026, 06:00 MESZ"),
    ("EBAY_FR", "1\u202f234,50\xa0€", "0,99\xa0€", "2 déc. 2026, 05:00 UTC+01:00", "2 juil. 2026, 06:00 UTC+02:00"),
    ("EBAY_IT", "1.234,50\xa0€", "0,99\xa0€", "2 dic 2026, 05:00 CET", "2 lug 2026, 06:00 CEST"),
    ("EBAY_ES", "1.234,50\xa0€", "0,99\xa0€", "2 dic 2026, 5:00 CET", "2 jul 2026, 6:00 CEST"),
    ("EBAY_AU", "AU $1,234.50", "AU $0.99", "2 Dec 2026, 3:00\u202fpm AEDT", "2 Jul 2026, 2:00\u202fpm AEST"),
    ("EBAY_CA", "C $1,234.50", "C $0.99", "Dec 1, 2026, 11:00\u202fp.m. EST", "Jul 2, 2026, 12:00\u202fa.m. EDT"),
    ("EBAY_AT", "€\xa01.234,50", "€\xa00,99", "02.12.2026, 05:00 MEZ", "02.07.2026, 06:00 MESZ"),
    ("EBAY_BE", "1\u202f234,50\xa0€", "0,99\xa0€", "2 déc. 2026, 05:00 UTC+01:00", "2 juil. 2026, 06:00 UTC+02:00"),
    ("EBAY_CH", "CHF\xa01'234.50", "CHF\xa00.99", "02.12.2026, 05:00 MEZ", "02.07.2026, 06:00 MESZ"),
    ("EBAY_IE", "€1,234.50", "€0.99", "2 Dec 2026, 04:00 GMT", "2 Jul 2026, 05:00 IST"),
    ("EBAY_NL", "€\xa01.234,50", "€\xa00,99", "2 dec 2026, 05:00 CET", "2 jul 2026, 06:00 CEST"),
    ("EBAY_PL", "1\xa0234,50\xa0zł", "0,99\xa0zł", "2 gru 2026, 05:00 CET", "2 lip 2026, 06:00 CEST"),
]


def test_the_table_covers_every_marketplace() -> None:
    assert sorted(row[0] for row in TABLE) == sorted(MARKETPLACES)


@pytest.mark.parametrize(("market", "big", "small", "winter", "summer"), TABLE)
def test_prices_and_times_per_marketplace(market: str, big: str, small: str, winter: str, summer: str) -> None:
    m = MARKETPLACES[market]
    assert format_money(Decimal("1234.5"), m.currency, m.locale) == big
    assert format_money(Decimal("0.99"), m.currency, m.locale) == small
    assert format_datetime(WINTER, m.locale, m.timezone) == winter
    assert format_datetime(SUMMER, m.locale, m.timezone) == summer


@pytest.mark.parametrize("market", sorted(MARKETPLACES))
def test_prices_are_cldr_except_the_override_table(market: str) -> None:
    """Babel's own output, unless (locale, currency) is in CURRENCY_OVERRIDES, where only the symbol differs."""
    m = MARKETPLACES[market]
    override = CURRENCY_OVERRIDES.get((m.locale, m.currency))
    for amount in ("98765.43", "0", "0.005", "0.015", "2.5", "-3.999", "100000"):
        ours = format_money(Decimal(amount), m.currency, m.locale)
        cldr = format_currency(Decimal(amount), m.currency, locale=m.locale.replace("-", "_"))
        if override is None:
            assert ours == cldr, amount
        else:
            assert ours != cldr and ours.replace(override, "") == cldr.replace("$", ""), amount


def test_overrides_are_only_for_marketplaces_that_exist() -> None:
    pairs = {(m.locale, m.currency) for m in MARKETPLACES.values()}
    assert set(CURRENCY_OVERRIDES) <= pairs


# What the hand-made formatter (before Babel) wrote for these; where it matched CLDR the text must not change.
UNCHANGED = [
    ("EBAY_US", "1234.5", "$1,234.50"),
    ("EBAY_US", "0.5", "$0.50"),
    ("EBAY_US", "1000000", "$1,000,000.00"),
    ("EBAY_US", "19.999", "$20.00"),
    ("EBAY_GB", "1234.5", "£1,234.50"),
    ("EBAY_DE", "1234.5", "1.234,50\xa0€"),
    ("EBAY_FR", "1234.5", "1\u202f234,50\xa0€"),
    ("EBAY_IE", "1234.5", "€1,234.50"),
    ("EBAY_AU", "1234.5", "AU $1,234.50"),
    ("EBAY_CA", "1234.5", "C $1,234.50"),
]


@pytest.mark.parametrize(("market", "amount", "expected"), UNCHANGED)
def test_english_and_matching_output_is_unchanged(market: str, amount: str, expected: str) -> None:
    m = MARKETPLACES[market]
    assert format_money(Decimal(amount), m.currency, m.locale) == expected


@pytest.mark.parametrize(
    ("locale", "before", "now"),
    [
        # The list: the hand-made formatter got these wrong against CLDR.
        ("de-AT", "1.234,50\xa0€", "€\xa01.234,50"),
        ("de-CH", "1.234,50\xa0CHF", "CHF\xa01'234.50"),
        ("nl-NL", "1.234,50\xa0€", "€\xa01.234,50"),
        ("pl-PL", "1.234,50\xa0zł", "1\xa0234,50\xa0zł"),
    ],
)
def test_what_changed_from_the_hand_made_formatter(locale: str, before: str, now: str) -> None:
    currency = {"de-CH": "CHF", "pl-PL": "PLN"}.get(locale, "EUR")
    text = format_money(Decimal("1234.5"), currency, locale)
    assert text == now and text != before


def test_swiss_millions_keep_their_groups() -> None:
    """Babel 2.19 drops de-CH's ' groups from 1,000,000 up (it strips pairs of quotes); formatting.py restores them."""
    assert format_money(Decimal("1234567.5"), "CHF", "de-CH") == "CHF\xa01'234'567.50"
    assert format_money(Decimal("-1000000"), "CHF", "de-CH") == "CHF-1'000'000.00"
    assert format_money(Decimal("999999.99"), "CHF", "de-CH") == "CHF\xa0999'999.99"
    assert format_number(1234567890, "de-CH") == "1'234'567'890"
    assert format_number(Decimal("1234567.125"), "de-CH") == "1'234'567.125"
    assert format_number(1234567, "en-US") == "1,234,567"


def test_numbers_and_percentages() -> None:
    assert format_number(1234567, "en-US") == "1,234,567"
    assert format_number(1234567, "de-DE") == "1.234.567"
    assert format_number(Decimal("99.5"), "fr-FR") == "99,5"
    assert format_percentage(25, "en-US") == "25%"
    assert format_percentage(25, "de-DE") == "25\xa0%"
    assert format_percentage(Decimal("99.8"), "en-GB") == "100%"


def test_ages_in_words() -> None:
    assert format_age(timedelta(hours=3), "en-US") == "3 hours"
    assert format_age(timedelta(hours=3), "de-DE") == "3 Stunden"


def test_a_site_time_zone_other_than_the_marketplaces() -> None:
    assert format_datetime(WINTER, "en-US", "UTC") == "Dec 2, 2026, 4:00\u202fAM UTC"
    assert format_datetime(WINTER, "de-DE", "America/New_York") == "01.12.2026, 23:00 GMT-05:00"


def test_what_is_a_known_locale_and_time_zone() -> None:
    assert known_locale("de-DE") and known_locale("en") and known_locale("fr-BE")
    assert not known_locale("xx-QQ") and not known_locale("de-XX")
    assert known_time_zone("Europe/Berlin") and known_time_zone("UTC")
    assert not known_time_zone("Mars/Olympus") and not known_time_zone("../etc/passwd") and not known_time_zone("")
