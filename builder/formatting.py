"""How prices and times read on the pages, per marketplace locale (no locale database needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

SYMBOLS = {"USD": "$", "GBP": "£", "EUR": "€", "AUD": "AU $", "CAD": "C $", "CHF": "CHF ", "PLN": "zł"}
# Locales that write 1.234,56 € rather than €1,234.56.
_COMMA_DECIMAL = ("de", "fr", "it", "es", "nl", "pl")


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, cents = f"{amount:,.2f}".partition(".")
    symbol = SYMBOLS.get(currency, currency + " ")
    if locale.split("-")[0] in _COMMA_DECIMAL:
        number = whole.replace(",", "\u202f" if locale.startswith("fr") else ".") + "," + cents
        return f"{number}\u00a0{symbol.strip()}"
    return f"{symbol}{whole}.{cents}"


def utc_stamp(moment: datetime) -> str:
    """ "2026-11-22 09:00 UTC": how a page says when its prices were fetched."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
