"""eBay item conditions as schema.org `itemCondition`, for every condition eBay has.

eBay names a condition by id (`conditionId`) and by a text that depends on the category and the marketplace's
language ("Very Good", "Pre-owned - Excellent", "Gebraucht"). The id is what to trust; the English text is a fall
back for answers without one. schema.org has four conditions, so eBay's graded used conditions are all UsedCondition
and its refurbished grades all RefurbishedCondition.
"""

from __future__ import annotations

NEW = "https://schema.org/NewCondition"
REFURBISHED = "https://schema.org/RefurbishedCondition"
USED = "https://schema.org/UsedCondition"
DAMAGED = "https://schema.org/DamagedCondition"

BY_ID: dict[int, str] = {
    1000: NEW,  # New / Brand New
    1500: NEW,  # New other (see details) / Open box: unused
    1750: DAMAGED,  # New with defects: unused, but with flaws a buyer must know about
    2000: REFURBISHED,  # Certified - Refurbished
    2010: REFURBISHED,  # Excellent - Refurbished
    2020: REFURBISHED,  # Very Good - Refurbished
    2030: REFURBISHED,  # Good - Refurbished
    2500: REFURBISHED,  # Seller refurbished
    2750: USED,  # Like New / Pre-owned - Like new (graded cards, books)
    2990: USED,  # Pre-owned - Excellent
    3000: USED,  # Used / Pre-owned
    3010: USED,  # Pre-owned - Fair
    4000: USED,  # Very Good
    5000: USED,  # Good
    6000: USED,  # Acceptable
    7000: DAMAGED,  # For parts or not working
}

# For answers without a conditionId: English condition texts, most specific first ("Like New" is used, not new).
_BY_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("for parts", "not working", "with defects"), DAMAGED),
    (("refurbished",), REFURBISHED),
    (("like new", "pre-owned", "preowned", "used", "excellent", "very good", "good", "acceptable", "fair"), USED),
    (("new", "open box"), NEW),
)


def schema_condition(condition_id: int | None, text: str | None) -> str | None:
    """The schema.org itemCondition URL for an eBay condition; None when eBay gave neither a known id nor text."""
    if condition_id is not None and condition_id in BY_ID:
        return BY_ID[condition_id]
    lowered = (text or "").lower()
    for words, schema in _BY_WORDS:
        if any(word in lowered for word in words):
            return schema
    return None
