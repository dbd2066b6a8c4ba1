"""Every eBay condition maps to a schema.org itemCondition (by id, or by its English text when there is no id)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SiteDir, item
from htmlquery import parse, select

from builder.catalog.files import DEMO_CATALOG_DIR
from builder.conditions import BY_ID, DAMAGED, NEW, REFURBISHED, USED, schema_condition
from builder.config import CONDITION_IDS

# eBay's item conditions (developer.ebay.com, "Item condition ID and name values"), as a reference list.
EBAY_CONDITIONS = {
    1000: ("New", NEW),
    1500: ("New other (see details)", NEW),
    1750: ("New with defects", DAMAGED),
    2000: ("Certified - Refurbished", REFURBISHED),
    2010: ("Excellent - Refurbished", REFURBISHED),
    2020: ("Very Good - Refurbished", REFURBISHED),
    2030: ("Good - Refurbished", REFURBISHED),
    2500: ("Seller refurbished", REFURBISHED),
    2750: ("Like New", USED),
    2990: ("Pre-owned - Excellent", USED),
    3000: ("Used", USED),
    3010: ("Pre-owned - Fair", USED),
    4000: ("Very Good", USED),
    5000: ("Good", USED),
    6000: ("Acceptable", USED),
    7000: ("For parts or not working", DAMAGED),
}


@pytest.mark.parametrize(("condition_id", "expected"), sorted(EBAY_CONDITIONS.items()))
def test_every_ebay_condition_maps_by_id_and_by_text(condition_id: int, expected: tuple[str, str]) -> None:
    text, schema = expected
    assert schema_condition(condition_id, text) == schema
    assert schema_condition(None, text) == schema  # answers without a conditionId
    assert schema_condition(condition_id, None) == schema


def test_the_table_covers_every_id_the_config_can_ask_for() -> None:
    asked = {i for ids in CONDITION_IDS.values() for i in ids}
    assert asked <= set(BY_ID)
    assert set(EBAY_CONDITIONS) == set(BY_ID)


def test_the_demo_catalog_conditions_all_map() -> None:
    seen = set()
    for path in DEMO_CATALOG_DIR.glob("*.json"):
        for raw in json.loads(path.read_text())["itemSummaries"]:
            seen.add((raw.get("conditionId"), raw.get("condition")))
            condition_id = int(raw["conditionId"]) if raw.get("conditionId") else None
            assert schema_condition(condition_id, raw.get("condition")) is not None, raw.get("condition")
    assert ("5000", "Good") in seen and ("4000", "Very Good") in seen


def test_id_wins_over_text_and_unknown_gives_none() -> None:
    assert schema_condition(3000, "New") == USED
    assert schema_condition(None, "Like New") == USED
    assert schema_condition(None, "Gebraucht") is None
    assert schema_condition(None, None) is None


def test_product_json_ld_has_item_condition_for_graded_used_items(site_dir: SiteDir, build_site_fn: Any) -> None:
    graded = [("Good", "5000"), ("Very Good", "4000"), ("Acceptable", "6000"), ("Pre-owned - Excellent", None)]
    items = [item(i, condition=text, conditionId=cid) for i, (text, cid) in enumerate(graded, start=1)]
    for raw in items:
        if raw["conditionId"] is None:
            del raw["conditionId"]
    site_dir.set_items("cameras", items)
    build_site_fn(site_dir)
    for path in site_dir.output.glob("p/test-camera-*/index.html"):
        data = json.loads(select(parse(path.read_bytes()), "script", type="application/ld+json")[0].text)
        assert data["offers"]["itemCondition"] == USED, path
