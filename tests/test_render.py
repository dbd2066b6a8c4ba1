"""What visitors and search engines get: parsed HTML, links, JSON-LD, freshness, feed and sitemap."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import NOW, SiteDir, item
from htmlquery import parse, select

from builder.formatting import format_money
from builder.render import image_size, json_ld

HOSTILE = 'Lens </script><script>alert(1)</script> & "quotes" <!-- <b>bold</b>'


def _product_page(site_dir: SiteDir, legacy: str) -> bytes:
    [path] = [p for p in site_dir.output.glob(f"p/*-{legacy}/index.html")]
    return path.read_bytes()


def test_every_page_has_title_canonical_og_privacy_link(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    for name, data in site_dir.files().items():
        if not name.endswith(".html"):
            continue
        elements = parse(data)
        assert select(elements, "title")[0].text.strip(), name
        assert select(elements, "a", href="/privacy/"), name
        assert select(elements, "meta", property="og:title"), name
        if name not in ("404.html", "newsletter/thanks/index.html"):
            [canonical] = select(elements, "link", rel="canonical")
            assert canonical.attrs["href"].startswith("https://shop.example.org/"), name


def test_outbound_links_are_sponsored_and_tracked(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    page = parse((site_dir.output / "cameras/index.html").read_bytes())
    outbound = [a for a in select(page, "a") if a.attrs.get("href", "").startswith("https://www.ebay.com/")]
    assert len(outbound) == 10
    for link in outbound:
        assert link.attrs["rel"] == "sponsored nofollow noopener"
        assert "campid=5338111111" in link.attrs["href"] and "customid=cameras" in link.attrs["href"]
        assert link.attrs["data-item"].isdigit()


def test_disclosure_sits_next_to_the_links_not_only_in_the_footer(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    for name in ("index.html", "cameras/index.html", "p/test-camera-model-1-mirrorless-body-100000000001/index.html"):
        main = select(parse((site_dir.output / name).read_bytes()), "main")[0]
        assert any("disclosure" in e.classes() for e in _descendants(main)), name


def test_hostile_title_cannot_break_out_of_markup_or_json_ld(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items("lenses", [item(600, title=HOSTILE)])
    build_site_fn(site_dir)
    html = _product_page(site_dir, "100000000600")
    elements = parse(html)
    scripts = select(elements, "script")
    assert [s.attrs.get("type") for s in scripts if not s.attrs.get("src")] == ["application/ld+json"]
    assert not select(elements, "b")
    data = json.loads(select(elements, "script", type="application/ld+json")[0].text)
    assert data["name"] == HOSTILE  # the JSON parses back to the exact title
    assert select(elements, "h1")[0].text == HOSTILE  # shown as text, not markup


def test_json_ld_describes_the_product_and_offer(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    elements = parse(_product_page(site_dir, "100000000003"))
    data = json.loads(select(elements, "script", type="application/ld+json")[0].text)
    assert data["@type"] == "Product" and data["sku"] == "100000000003"
    assert data["offers"]["price"] == "103.99" and data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["url"].startswith("https://www.ebay.com/itm/100000000003?")
    assert data["offers"]["itemCondition"] == "https://schema.org/UsedCondition"
    assert data["url"] == "https://shop.example.org/p/test-camera-model-3-mirrorless-body-100000000003/"


def test_price_states_its_age_and_the_guard_has_what_it_needs(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    elements = parse(_product_page(site_dir, "100000000001"))
    [price] = [e for e in select(elements, "div", class_="price")][:1]
    assert price.attrs["data-fetched"] == "2026-11-22T09:00:00Z"
    assert price.attrs["data-max-age"] == str(6 * 3600)
    assert "Price as of 2026-11-22 09:00 UTC" in " ".join(price.text.split())
    assert "$101.99" in price.text


def test_price_older_than_the_limit_at_build_time_is_not_shown(site_dir: SiteDir, build_site_fn: Any) -> None:
    from builder.build import BuildOptions, build_site
    from builder.catalog.files import DirectoryCatalog
    from builder.catalog.source import CatalogResult
    from builder.content import load_site

    class OldCatalog(DirectoryCatalog):
        def load(self, config: Any, now: Any) -> CatalogResult:
            result = super().load(config, now)
            for data in result.categories.values():
                data.fetched_at = now - timedelta(hours=7)
                data.stale_reason = "eBay answered 500"
            return result

    build_site(
        load_site(site_dir.root),
        OldCatalog(site_dir.catalog),
        BuildOptions(site_dir.root, site_dir.output, site_dir.root / ".cache"),
        NOW,
    )
    html = _product_page(site_dir, "100000000001").decode()
    assert "Check the current price on eBay" in html
    assert "$101.99" not in html.split("<main", 1)[1].split("More in", 1)[0]
    price = select(parse(html), "div", class_="price")[0]
    assert "Price as of 2026-11-22 02:00 UTC" in " ".join(price.text.split())


def test_feed_and_sitemap_are_well_formed(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring((site_dir.output / "feed.xml").read_bytes())
    entries = feed.findall(f"{atom}entry")
    assert 0 < len(entries) <= 50
    assert entries[0].find(f"{atom}link").get("href", "").startswith("https://shop.example.org/p/")  # type: ignore[union-attr]
    sitemap = ET.fromstring((site_dir.output / "sitemap.xml").read_bytes())
    locs = {e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert "https://shop.example.org/" in locs
    assert "https://shop.example.org/cameras/page/2/" in locs
    assert "https://shop.example.org/p/test-camera-model-1-mirrorless-body-100000000001/" in locs
    robots = (site_dir.output / "robots.txt").read_text()
    assert "Sitemap: https://shop.example.org/sitemap.xml" in robots


def test_pagination_links_prev_and_next(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    page2 = parse((site_dir.output / "cameras/page/2/index.html").read_bytes())
    assert select(page2, "a", rel="prev")[0].attrs["href"] == "/cameras/"
    assert select(page2, "a", rel="next")[0].attrs["href"] == "/cameras/page/3/"


def test_newsletter_form_posts_to_the_endpoint_with_a_honeypot(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    page = parse((site_dir.output / "index.html").read_bytes())
    [form] = select(page, "form", class_="newsletter")
    assert form.attrs["action"] == "https://shop.example.org/api/subscribe"
    assert {e.attrs.get("name") for e in _descendants(form) if e.tag == "input"} == {"email", "website"}
    assert select(page, "body")[0].attrs["data-endpoint"] == "https://shop.example.org"


def test_no_endpoint_means_no_form_and_no_beacon(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.write("site.yaml", "title: Test Shop\nbase_url: https://shop.example.org\n")
    build_site_fn(site_dir)
    page = parse((site_dir.output / "index.html").read_bytes())
    assert not select(page, "form")
    assert "data-endpoint" not in select(page, "body")[0].attrs


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en-US", "$1,234.50"),
        ("1234.5", "GBP", "en-GB", "£1,234.50"),
        ("1234.5", "EUR", "de-DE", "1.234,50\u00a0€"),
        ("0.999", "EUR", "fr-FR", "1,00\u00a0€"),
        ("15", "CHF", "de-CH", "15,00\u00a0CHF"),
    ],
)
def test_money_formats_per_locale(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_money(Decimal(amount), currency, locale) == expected


def test_json_ld_escapes_everything_that_could_end_a_script() -> None:
    text = json_ld({"name": "</script>&<!--\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(str(text)) == {"name": "</script>&<!--\u2028"}


def test_image_size_only_rewrites_ebay_size_codes() -> None:
    assert (
        image_size("https://i.ebayimg.com/images/g/x/s-l1600.jpg", 500) == "https://i.ebayimg.com/images/g/x/s-l500.jpg"
    )
    assert image_size("https://i.ebayimg.com/thumbs/images/g/x/s-l225.webp", 960).endswith("/s-l960.webp")
    assert image_size("https://i.ebayimg.com/images/g/x/photo.jpg", 500) == "https://i.ebayimg.com/images/g/x/photo.jpg"


def _descendants(element: Any) -> list[Any]:
    out = []
    for child in element.children:
        out.append(child)
        out.extend(_descendants(child))
    return out
