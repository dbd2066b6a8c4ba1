"""site.yaml and category files: validated with file:line messages an editor can act on; search params from them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from builder.catalog.query import search_filter, search_requests
from builder.config import CategoryConfig, SiteConfig, load_config
from builder.errors import EXIT_BAD_INPUT, ConfigError

REPO = Path(__file__).resolve().parent.parent


def problems_of(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(root)
    assert info.value.exit_code == EXIT_BAD_INPUT
    return info.value.lines()


def site(**values: object) -> SiteConfig:
    return SiteConfig.model_validate({"title": "Shop", "base_url": "https://shop.example.org", **values})


def category(**values: object) -> CategoryConfig:
    return CategoryConfig.model_validate({"slug": "cams", "title": "Cameras", "q": "camera", **values})


# --- loading the site dir ---------------------------------------------------------------------------------------


def test_fixture_site_loads_with_defaults_and_order(site_dir) -> None:
    site_dir.add_category("aaa-first", "First", "first", order=1)
    config = load_config(site_dir.root)
    assert [c.slug for c in config.categories] == ["aaa-first", "cameras", "lenses"]
    assert config.site.market.currency == "USD"
    assert config.site.lang == "en-US"
    assert config.site.root_url == "https://shop.example.org"
    cams = config.categories[1]
    assert cams.buying_options == ["buy_it_now"]
    assert config.freshness_hours(cams) == 6.0


def test_wrong_type_names_file_line_key_and_value(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\n\nmax_price: cheap\nitems: 5\n")
    assert problems_of(site_dir.root) == ["content/categories/cameras.yaml:4: max_price: 'cheap' is not a number"]


def test_unknown_key_suggests_the_close_one(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\nmax_prise: 10\n")
    assert problems_of(site_dir.root) == [
        "content/categories/cameras.yaml:3: max_prise: unknown key; did you mean 'max_price'?"
    ]


def test_unknown_nested_key_suggests_from_the_nested_model(site_dir) -> None:
    site_dir.write("site.yaml", "title: T\nbase_url: https://x.example\napi:\n  calls_per_bild: 3\n")
    assert problems_of(site_dir.root) == [
        "site.yaml:4: api.calls_per_bild: unknown key; did you mean 'calls_per_build'?"
    ]


def test_unknown_key_with_nothing_close_lists_the_allowed_keys(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\nzzzzzz: 1\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/cameras.yaml:3: zzzzzz: unknown key; expected one of: ")
    assert "max_price" in line and "slug" not in line  # slug comes from the file name, not a key


def test_missing_required_key(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "q: camera\nitems: 4\n")
    assert problems_of(site_dir.root) == ["content/categories/cameras.yaml:1: title: is required"]


def test_min_price_above_max_price(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\nmin_price: 500\nmax_price: 100\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/cameras.yaml:")
    assert "min_price (500) is more than max_price (100)" in line


def test_min_price_above_max_price_points_at_the_prices(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\nmin_price: 500\nmax_price: 100\n")
    (line,) = problems_of(site_dir.root)
    assert line.split(":")[1] in ("3", "4")


def test_neither_q_nor_category_id(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/cameras.yaml") and "needs q (keywords) or category_id" in line


def test_duplicate_key_reported_and_rest_still_validated(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\ntitle: Cams\nitems: lots\n")
    assert problems_of(site_dir.root) == [
        "content/categories/cameras.yaml:3: title: appears twice (first on line 1); keep one",
        "content/categories/cameras.yaml:4: items: 'lots' is not a whole number",
    ]


def test_bad_file_name(site_dir) -> None:
    site_dir.write("content/categories/Big_Cameras.yaml", "title: Cameras\nq: camera\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/Big_Cameras.yaml: the file name must be lower-case")


def test_yaml_syntax_error_line(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\nconditions: [new, used\nitems: 5\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/cameras.yaml:")
    assert int(line.split(":")[1]) >= 3
    assert "not valid YAML" in line


def test_file_that_is_a_list_not_a_mapping(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "- title: Cameras\n")
    assert problems_of(site_dir.root) == [
        "content/categories/cameras.yaml:1: must be a mapping of keys to values (key: value)"
    ]


def test_missing_site_yaml_and_empty_category_dir(tmp_path: Path) -> None:
    (tmp_path / "content" / "categories").mkdir(parents=True)
    assert problems_of(tmp_path) == [
        "content/categories: has no category files (*.yaml)",
        "site.yaml: is missing",
    ]


def test_every_mistake_in_every_file_at_once(site_dir) -> None:
    site_dir.write("site.yaml", "title: Shop\nbase_url: not a url\nmarketplace: EBAY_XX\nitems_per_page: many\n")
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\nsort: cheapest\n")
    site_dir.write("content/categories/lenses.yaml", "title: Lenses\nq: lens\nconditions:\n  - new\n  - mint\n")
    lines = problems_of(site_dir.root)
    assert len(lines) == 5, lines
    joined = "\n".join(lines)
    assert "content/categories/cameras.yaml:3: sort: 'cheapest' is not allowed; expected" in joined
    assert "content/categories/lenses.yaml:5: conditions.1: 'mint' is not allowed" in joined
    assert any(x.startswith("site.yaml:2: base_url:") for x in lines)
    assert any(x.startswith("site.yaml:3: marketplace:") and "EBAY_US" in x for x in lines)
    assert "site.yaml:4: items_per_page: 'many' is not a whole number" in lines
    assert all("Traceback" not in x and "pydantic" not in x for x in lines)


def test_nav_link_to_javascript_is_refused(site_dir) -> None:
    site_dir.write(
        "site.yaml",
        "title: Shop\nbase_url: https://x.example\nnav:\n  - title: ok\n    url: /ok/\n"
        "  - title: bad\n    url: javascript:alert(1)\n",
    )
    (line,) = problems_of(site_dir.root)
    assert line.startswith("site.yaml:7: nav.1.url:") and "must be a path starting with /" in line


def test_currency_other_than_the_marketplaces(site_dir) -> None:
    site_dir.write("content/categories/cameras.yaml", "title: Cameras\nq: camera\ncurrency: EUR\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/cameras.yaml") and "EUR differs from EBAY_US's USD" in line


def test_currency_problem_names_a_yml_file(site_dir) -> None:
    (site_dir.root / "content/categories/cameras.yaml").unlink()
    site_dir.write("content/categories/cameras.yml", "title: Cameras\nq: camera\ncurrency: EUR\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("content/categories/cameras.yml:")


def test_yaml_and_yml_with_the_same_slug_clash(site_dir) -> None:
    site_dir.write("content/categories/cameras.yml", "title: Other cameras\nq: camera\n")
    lines = problems_of(site_dir.root)
    assert any("cameras.yml" in x for x in lines)


def test_newsletter_needs_endpoint(site_dir) -> None:
    site_dir.write("site.yaml", "title: Shop\nbase_url: https://x.example\nnewsletter: true\n")
    (line,) = problems_of(site_dir.root)
    assert line.startswith("site.yaml") and "newsletter: true needs endpoint_url" in line


# --- the models directly -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"campaign_id": "12345"},
        {"campaign_id": "abcdefghij"},
        {"freshness_hours": 7},
        {"base_url": "https://x.example/?q=1"},
        {"base_url": "ftp://x.example"},
        {"language": "english"},
        {"items_per_page": 0},
    ],
)
def test_site_values_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        site(**values)


def test_site_language_defaults_to_marketplace_locale() -> None:
    assert site(marketplace="EBAY_DE").lang == "de-DE"
    assert site(marketplace="EBAY_DE", language="en").lang == "en"
    assert site().campaign_id == ""


@pytest.mark.parametrize(
    "values",
    [
        {"q": "x" * 101},
        {"category_id": "abc"},
        {"min_price": -1},
        {"min_price": "1.999"},
        {"items": 10_001},
        {"items": 0},
        {"pinned": ["v1|12|0"]},
        {"buying_options": []},
        {"freshness_hours": 6.5},
    ],
)
def test_category_values_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        category(**values)


def test_pinned_ids_in_both_forms() -> None:
    cat = category(pinned=["v1|123456789012|0", "223456789012"])
    assert cat.pinned_legacy_ids == ["123456789012", "223456789012"]


# --- the shipped content ---------------------------------------------------------------------------------------


def test_shipped_content_loads_without_problems() -> None:
    if not any((REPO / "content" / "categories").glob("*.y*ml")):
        pytest.skip("content/categories has no category files yet (being added in parallel)")
    config = load_config(REPO)
    assert config.categories
    assert len({c.slug for c in config.categories}) == len(config.categories)


# --- category -> Browse search parameters (builder/catalog/query.py) -----------------------------------------


def test_filter_with_everything() -> None:
    cat = category(
        min_price="10",
        max_price="250.50",
        conditions=["used", "new"],
        buying_options=["auction", "buy_it_now"],
        free_shipping=True,
        exclude_sellers=["bad_one", "worse"],
    )
    assert search_filter(cat, site()) == (
        "price:[10..250.50],priceCurrency:USD,conditionIds:{1000|2750|3000|4000|5000|6000},"
        "buyingOptions:{AUCTION|FIXED_PRICE},maxDeliveryCost:0,excludeSellers:{bad_one|worse}"
    )


def test_filter_open_ended_price_uses_marketplace_currency() -> None:
    assert search_filter(category(min_price=5), site(marketplace="EBAY_GB")) == (
        "price:[5..],priceCurrency:GBP,buyingOptions:{FIXED_PRICE}"
    )
    assert search_filter(category(max_price=Decimal("9.99")), site()).startswith("price:[..9.99],priceCurrency:USD")


def test_filter_without_price_has_no_currency() -> None:
    assert search_filter(category(), site()) == "buyingOptions:{FIXED_PRICE}"


def test_filter_price_is_plain_digits() -> None:
    assert search_filter(category(min_price="1e2"), site()).startswith("price:[100..]")


def test_request_params_order_and_sort() -> None:
    (request,) = search_requests(category(category_id="625", sort="newly_listed", items=30), site())
    assert request.params == (
        ("q", "camera"),
        ("category_ids", "625"),
        ("filter", "buyingOptions:{FIXED_PRICE}"),
        ("sort", "newlyListed"),
        ("limit", "30"),
        ("offset", "0"),
    )
    assert request.describe() == "cams (offset 0)"


def test_best_match_sends_no_sort() -> None:
    (request,) = search_requests(category(), site())
    assert "sort" not in dict(request.params)


@pytest.mark.parametrize(
    ("items", "pages"),
    [
        (1, [(0, 1)]),
        (200, [(0, 200)]),
        (201, [(0, 200), (200, 1)]),
        (230, [(0, 200), (200, 40)]),  # eBay wants the offset a multiple of the limit: 40 is the least that fits
        (450, [(0, 200), (200, 200), (400, 50)]),
    ],
)
def test_paging_asks_for_exactly_the_items_wanted(items: int, pages: list[tuple[int, int]]) -> None:
    requests = search_requests(category(items=items), site())
    assert [(r.offset, int(dict(r.params)["limit"])) for r in requests] == pages
    assert all(offset % limit == 0 for offset, limit in pages)


def test_paging_stays_inside_ebays_result_window() -> None:
    requests = search_requests(category(items=10_000), site())
    assert len(requests) == 50
    for request in requests:
        limit = int(dict(request.params)["limit"])
        assert limit <= 200
        assert request.offset % limit == 0
        assert request.offset < 10_000
        assert request.offset + limit <= 10_000
