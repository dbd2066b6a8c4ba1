"""Listing data as a shopper reads it: country names, conditions, seller ratings, auction wording, button text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from builder.catalog.normalize import Money, Product
from builder.present import (
    bids,
    buy_text,
    condition_label,
    country_name,
    format_text,
    price_label,
    seller_rating,
)


def product(**values: Any) -> Product:
    base: dict[str, Any] = {
        "item_id": "1",
        "title": "Camera",
        "slug": "camera-1",
        "url": "https://www.ebay.com/itm/1",
        "price": Money(Decimal("10.00"), "USD"),
        "fetched_at": datetime(2026, 12, 2, 4, tzinfo=UTC),
    }
    return Product(**{**base, **values})


@pytest.mark.parametrize(
    ("code", "lang", "name"),
    [
        ("CN", "en-US", "China"),
        ("US", "en-US", "United States"),
        ("gb", "en-GB", "United Kingdom"),
        ("DE", "de-DE", "Deutschland"),
        ("JP", "fr-FR", "Japon"),
        ("XX", "en-US", "XX"),  # not a country CLDR knows: shown as eBay gave it
        ("CN", "zz", "China"),  # a language CLDR does not know: English names
    ],
)
def test_country_codes_become_names_in_the_pages_language(code: str, lang: str, name: str) -> None:
    assert country_name(code, lang) == name


def test_no_country_shows_nothing() -> None:
    assert country_name(None, "en-US") is None and country_name("", "en-US") is None


@pytest.mark.parametrize(
    ("text", "condition_id", "label"),
    [
        ("Good", 5000, "Used – Good"),
        ("Very Good", 4000, "Used – Very Good"),
        ("Acceptable", None, "Used – Acceptable"),  # no id: the bare grade is still a used item's
        ("Like New", 2750, "Used – Like New"),
        ("Used", 3000, "Used"),
        ("New", 1000, "New"),
        ("Open box", 1500, "Open box"),
        ("Very Good - Refurbished", 2020, "Very Good – Refurbished"),
        ("Certified - Refurbished", 2000, "Certified – Refurbished"),
        ("For parts or not working", 7000, "For parts or not working"),
        ("Pre-owned - Excellent", 2990, "Pre-owned – Excellent"),  # the hyphen inside "Pre-owned" stays
        ("  Good  ", 5000, "Used – Good"),
        (None, 1000, None),
    ],
)
def test_conditions_read_as_on_ebay(text: str | None, condition_id: int | None, label: str | None) -> None:
    assert condition_label(text, condition_id) == label


@pytest.mark.parametrize(
    ("percent", "score", "line"),
    [
        (Decimal("99.5"), 1018, "99.5% positive · 1,018 ratings"),
        (Decimal("100.0"), 1, "100% positive · 1 rating"),
        (Decimal("0.0"), 1, "1 rating"),  # eBay's 0.0 means no rated sales this year, not 0% positive
        (Decimal("0.0"), 0, None),
        (None, 3, "3 ratings"),
        (Decimal("97.1"), None, None),
        (None, None, None),
    ],
)
def test_seller_rating_says_something_or_nothing(percent: Decimal | None, score: int | None, line: str | None) -> None:
    assert seller_rating(percent, score) == line


def test_seller_rating_numbers_are_the_pages_language() -> None:
    # No catalog is active here: the words stay English, the numbers are CLDR's German ones.
    assert seller_rating(Decimal("99.5"), 12345, "de-DE") == "99,5\xa0% positive · 12.345 ratings"
    assert seller_rating(Decimal("100.0"), 2, "de-DE") == "100\xa0% positive · 2 ratings"
    assert seller_rating(None, 12345) == "12,345 ratings"


@pytest.mark.parametrize(
    ("values", "label", "bid_text", "button", "fmt"),
    [
        ({}, None, None, "Buy It Now on eBay", "Buy It Now"),
        ({"accepts_offers": True}, None, None, "Buy It Now on eBay", "Buy It Now · accepts offers"),
        (
            {"is_auction": True, "is_fixed_price": False, "bid_count": 0},
            "Starting bid",
            "No bids yet",
            "Bid on eBay",
            "Auction",
        ),
        ({"is_auction": True, "is_fixed_price": False, "bid_count": 1}, "Current bid", "1 bid", "Bid on eBay", "Auction"),
        (
            {"is_auction": True, "is_fixed_price": True, "bid_count": 7},
            "Current bid",
            "7 bids",
            "Bid or Buy It Now on eBay",
            "Auction or Buy It Now",
        ),
        ({"is_auction": True, "is_fixed_price": False}, "Current bid", None, "Bid on eBay", "Auction"),
    ],
)
def test_auction_and_buy_it_now_wording(
    values: dict[str, Any], label: str | None, bid_text: str | None, button: str, fmt: str
) -> None:
    p = product(**values)
    assert (price_label(p), bids(p), buy_text(p), format_text(p)) == (label, bid_text, button, fmt)
