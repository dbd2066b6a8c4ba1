"""What visitors and search engines get: parsed HTML, links, JSON-LD, freshness, feed and sitemap."""

from __future__ import annotations

import json
import re
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
    # The scripts' texts (script_texts.py), the Product and its BreadcrumbList: data blocks only, no inline script.
    assert [s.attrs.get("type") for s in scripts if not s.attrs.get("src")] == ["application/json"] + [
        "application/ld+json"
    ] * 2
    assert not select(elements, "b")
    product, trail = (json.loads(s.text) for s in select(elements, "script", type="application/ld+json"))
    assert product["name"] == HOSTILE  # the JSON parses back to the exact title
    assert trail["itemListElement"][-1]["name"] == HOSTILE
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
    assert "Price checked Nov 22, 2026, 4:00 AM EST" in " ".join(price.text.split())
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
    assert "Price checked Nov 21, 2026, 9:00 PM EST" in " ".join(price.text.split())


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
    # The only form left is the site search's (a GET to the site's own /search/ page): nothing posts anywhere.
    assert [f.attrs for f in select(page, "form")] == [
        {"class": "site-search", "role": "search", "action": "/search/", "method": "get"}
    ]
    assert "data-endpoint" not in select(page, "body")[0].attrs


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "USD", "en-US", "$1,234.50"),
        ("1234.5", "GBP", "en-GB", "£1,234.50"),
        ("1234.5", "EUR", "de-DE", "1.234,50\u00a0€"),
        ("0.999", "EUR", "fr-FR", "1,00\u00a0€"),
        ("15", "CHF", "de-CH", "CHF\u00a015.00"),  # CLDR; the hand-made formatter wrote "15,00 CHF"
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


# --- pages that age well (issue 12) ---

PRICE = re.compile(r"(\$|US \$|£|€)\s?\d|\d[\d.,]*\s?(USD|EUR|GBP|€)")


def test_no_price_in_meta_tags_or_the_feed(site_dir: SiteDir, build_site_fn: Any) -> None:
    """Search engines and feed readers keep these texts for weeks; a price is only true for a few hours."""
    site_dir.set_items(
        "lenses",
        [item(i, title=f"Prime Lens {i}", price={"value": "1234.50", "currency": "USD"}) for i in range(100, 112)],
    )
    build_site_fn(site_dir)
    pages = {n: d for n, d in site_dir.files().items() if n.endswith(".html")}
    product_pages = [n for n in pages if n.startswith("p/")]
    assert len(product_pages) == 37
    for name, data in pages.items():
        for meta in select(parse(data), "meta"):
            assert not PRICE.search(meta.attrs.get("content", "")), (name, meta.attrs)
    lens = _product_page(site_dir, "100000000100").decode()
    assert "$1,234.50" in lens  # the price box still shows it: the pattern would have caught it in a meta tag
    assert PRICE.search("$1,234.50") and PRICE.search("1.234,50\u00a0€")
    feed = (site_dir.output / "feed.xml").read_text()
    assert not PRICE.search(feed) and "1234" not in feed


def test_offer_says_until_when_its_price_holds(site_dir: SiteDir, build_site_fn: Any) -> None:
    ends = (NOW + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    auction = item(
        7,
        buyingOptions=["AUCTION"],
        currentBidPrice={"value": "50.00", "currency": "USD"},
        bidCount=1,
        itemEndDate=ends,
    )
    site_dir.set_items("cameras", [item(i) for i in range(1, 7)] + [auction])
    build_site_fn(site_dir)

    def offer(legacy: str) -> dict[str, Any]:
        scripts = select(parse(_product_page(site_dir, legacy)), "script", type="application/ld+json")
        data: dict[str, Any] = json.loads(scripts[0].text)["offers"]
        return data

    # The catalog was fetched at NOW; the freshness limit is 6 hours. An auction ending sooner holds until its end.
    assert offer("100000000001")["priceValidUntil"] == "2026-11-22T15:00:00Z"
    assert offer("100000000007")["priceValidUntil"] == "2026-11-22T11:00:00Z"


def test_every_page_has_a_shared_image_and_a_twitter_card(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    for name, data in site_dir.files().items():
        if not name.endswith(".html"):
            continue
        elements = parse(data)
        [image] = select(elements, "meta", property="og:image")
        assert image.attrs["content"].startswith("https://i.ebayimg.com/"), name
        assert select(elements, "meta", name="twitter:card")[0].attrs["content"] == "summary_large_image", name


def test_breadcrumbs_as_json_ld(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)

    def trail(relative: str) -> list[tuple[str, str]]:
        scripts = select(parse((site_dir.output / relative).read_bytes()), "script", type="application/ld+json")
        [crumbs] = [d for d in (json.loads(s.text) for s in scripts) if d["@type"] == "BreadcrumbList"]
        items = crumbs["itemListElement"]
        assert [i["position"] for i in items] == list(range(1, len(items) + 1))
        return [(i["name"], i["item"]) for i in items]

    root = "https://shop.example.org"
    product = "p/test-camera-model-3-mirrorless-body-100000000003/"
    assert trail(product + "index.html") == [
        ("Test Shop", f"{root}/"),
        ("Cameras", f"{root}/cameras/"),
        ("Test Camera Model 3 Mirrorless Body", f"{root}/{product}"),
    ]
    assert trail("cameras/page/2/index.html")[1:] == [
        ("Cameras", f"{root}/cameras/"),
        ("Page 2", f"{root}/cameras/page/2/"),
    ]
    assert trail("about/index.html") == [("Test Shop", f"{root}/"), ("About", f"{root}/about/")]


def test_home_page_describes_the_website_and_organization(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    scripts = select(parse((site_dir.output / "index.html").read_bytes()), "script", type="application/ld+json")
    by_type = {d["@type"]: d for d in (json.loads(s.text) for s in scripts)}
    assert by_type["WebSite"]["url"] == "https://shop.example.org/"
    assert by_type["WebSite"]["publisher"]["@id"] == by_type["Organization"]["@id"]
    assert by_type["Organization"]["name"] == "Test Shop"
    action = by_type["WebSite"]["potentialAction"]  # the site search (search_page.py)
    assert action["target"]["urlTemplate"] == "https://shop.example.org/search/?q={search_term_string}"


def test_site_json_ld_search_hook() -> None:
    from builder.config import SiteConfig
    from builder.render import site_json_ld

    config = SiteConfig.model_validate({"title": "S", "base_url": "https://s.example.org"})
    [website, _] = site_json_ld(config, search_path="/search/")
    target = website["potentialAction"]["target"]["urlTemplate"]
    assert target == "https://s.example.org/search/?q={search_term_string}"


def test_later_pages_of_a_category_have_their_own_title_and_description(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    seen: dict[tuple[str, str], str] = {}
    for name in ("cameras/index.html", "cameras/page/2/index.html", "cameras/page/3/index.html"):
        elements = parse((site_dir.output / name).read_bytes())
        title = select(elements, "title")[0].text
        [description] = select(elements, "meta", name="description")
        key = (title, description.attrs["content"])
        assert key not in seen, (name, seen.get(key))
        assert title not in {t for t, _ in seen} and key[1] not in {d for _, d in seen}, name
        seen[key] = name


def test_feed_is_valid_atom(site_dir: SiteDir, build_site_fn: Any) -> None:
    """RFC 4287's required elements: feed id, title, updated and an author (for every entry); per entry id, title,
    updated and an alternate link; plus an image and a short content per entry, as feed readers show them."""
    build_site_fn(site_dir)
    atom = "{http://www.w3.org/2005/Atom}"
    xhtml = "{http://www.w3.org/1999/xhtml}"
    feed = ET.fromstring((site_dir.output / "feed.xml").read_bytes())
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(f"{atom}{tag}")) == 1, tag
    [author] = feed.findall(f"{atom}author")
    assert author.findtext(f"{atom}name") == "Test Shop"
    assert [link.get("rel") for link in feed.findall(f"{atom}link")] == ["alternate", "self"]
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 37
    ids = [e.findtext(f"{atom}id") for e in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert (entry.findtext(f"{atom}{tag}") or "").strip(), tag
        updated = entry.findtext(f"{atom}updated") or ""
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", updated)
        [link] = entry.findall(f"{atom}link")
        assert link.get("rel") == "alternate" and link.get("href", "").startswith("https://shop.example.org/p/")
        [content] = entry.findall(f"{atom}content")
        assert content.get("type") == "xhtml"
        [div] = content.findall(f"{xhtml}div")  # xhtml content is exactly one XHTML div (RFC 4287 4.1.3.3)
        [image] = div.iter(f"{xhtml}img")
        assert image.get("src", "").startswith("https://i.ebayimg.com/") and image.get("alt") == ""
        assert "".join(div.itertext()).strip()


def test_hostile_condition_stays_text_in_the_feed(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items("lenses", [item(600, condition="<b>Used</b> & <script>x</script>")])
    build_site_fn(site_dir)
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring((site_dir.output / "feed.xml").read_bytes())
    [entry] = [e for e in feed.findall(f"{atom}entry") if "100000000600" in (e.findtext(f"{atom}id") or "")]
    content = entry.find(f"{atom}content")
    assert content is not None
    assert not list(content.iter("{http://www.w3.org/1999/xhtml}b"))
    assert not list(content.iter("{http://www.w3.org/1999/xhtml}script"))
    assert "<b>Used</b> & <script>x</script>" in "".join(content.itertext())
