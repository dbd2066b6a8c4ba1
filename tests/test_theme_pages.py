"""The default theme's pages as a shopper and a screen reader get them: shopper wording, one link per card, images,
navigation, the favicon and logo settings (issue 12's design)."""

from __future__ import annotations

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import NOW, SiteDir, item
from htmlquery import Element, parse, select

from builder.errors import ConfigError
from builder.formatting import format_datetime


def descendants(element: Element) -> list[Element]:
    found: list[Element] = []
    for child in element.children:
        found.append(child)
        found.extend(descendants(child))
    return found


def page(site_dir: SiteDir, relative: str) -> list[Element]:
    return parse((site_dir.output / relative).read_bytes())


def product_page(site_dir: SiteDir, legacy: str) -> list[Element]:
    [path] = site_dir.output.glob(f"p/*-{legacy}/index.html")
    return parse(path.read_bytes())


def text_of(elements: list[Element], tag: str, **attrs: str) -> str:
    return " ".join(" ".join(e.text.split()) for e in select(elements, tag, **attrs))


def visible_links(element: Element) -> list[Element]:
    """Links a keyboard reaches: not inside an element with `hidden`."""
    links: list[Element] = []
    for child in element.children:
        if "hidden" in child.attrs:
            continue
        if child.tag == "a":
            links.append(child)
        links.extend(visible_links(child))
    return links


def test_product_page_reads_as_a_shopper_reads_it(site_dir: SiteDir, build_site_fn: Any) -> None:
    seller = {"username": "newbie", "feedbackPercentage": "0.0", "feedbackScore": 1}
    site_dir.set_items(
        "lenses",
        [item(500, condition="Good", conditionId="5000", seller=seller, itemLocation={"country": "CN"})],
    )
    build_site_fn(site_dir)
    elements = product_page(site_dir, "100000000500")
    facts = text_of(elements, "dl", class_="facts")
    assert "Used – Good" in facts
    assert "China" in facts and "CN" not in facts.split()
    assert "newbie (1 rating)" in facts and "0.0%" not in facts and "positive" not in facts
    [button] = select(elements, "a", class_="button")
    assert " ".join(button.text.split()) == "Buy It Now on eBay"
    [photo] = [i for i in select(elements, "img") if "fetchpriority" in i.attrs]
    assert photo.attrs["fetchpriority"] == "high"
    widths = re.findall(r"/s-l(\d+)\.jpg (\d+)w", photo.attrs["srcset"])
    assert [w for w, x in widths if w == x] == ["500", "800", "1200", "1600"]
    assert "sizes" in photo.attrs


def test_auction_without_bids_says_starting_bid_and_ends_with_a_time(site_dir: SiteDir, build_site_fn: Any) -> None:
    ends = NOW + timedelta(hours=3)
    auction = item(
        501,
        buyingOptions=["AUCTION"],
        bidCount=0,
        currentBidPrice={"value": "50.00", "currency": "USD"},
        itemEndDate=ends.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    )
    site_dir.set_items("lenses", [auction])
    build_site_fn(site_dir)
    elements = product_page(site_dir, "100000000501")
    price = text_of(elements, "div", class_="price")
    assert "Starting bid" in price and "Current bid" not in price
    [button] = select(elements, "a", class_="button")
    assert " ".join(button.text.split()) == "Bid on eBay"
    assert "No bids yet" in text_of(elements, "dl", class_="facts")
    # The end as an exact time that site.js rewords ("in 3 h") on the reader's clock; the title keeps it exact.
    [end] = select(elements, "time", data_rel="in")
    assert end.attrs["datetime"] == ends.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert end.attrs["title"] == format_datetime(ends, "en-US", "America/New_York")  # the site's language and zone


def test_price_age_is_a_time_element_site_js_can_make_relative(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    elements = product_page(site_dir, "100000000001")
    age = select(elements, "small", class_="price-age")[0]  # the product's own price box comes first
    [moment] = [e for e in descendants(age) if e.tag == "time"]
    assert moment.attrs["data-rel"] == "ago" and moment.attrs["title"] == moment.text


def test_cards_have_one_link_no_redundant_alt_and_no_aria_label_on_s(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items(
        "lenses",
        [item(502, marketingPrice={"originalPrice": {"value": "900.00", "currency": "USD"}, "discountPercentage": "20"})],
    )
    build_site_fn(site_dir)
    for name in ("index.html", "cameras/index.html", "lenses/index.html"):
        elements = page(site_dir, name)
        cards = select(elements, "li", class_="card")
        assert cards, name
        for card in cards:
            links = visible_links(card)
            assert len(links) == 1 and links[0].attrs["href"].startswith("/p/"), (name, links)
            for image in (e for e in descendants(card) if e.tag == "img"):
                assert image.attrs["alt"] == "", name  # the title is the link's text already
        assert all("aria-label" not in s.attrs for s in select(elements, "s")), name
    was = select(page(site_dir, "lenses/index.html"), "s", class_="price-was")
    assert was and " ".join(was[0].text.split()) == "Was $900.00"


def test_a_stale_card_is_one_message_that_links_to_ebay(site_dir: SiteDir, build_site_fn: Any) -> None:
    moment = (NOW - timedelta(hours=7)).timestamp()  # a response directory's data is as old as its files
    for path in site_dir.catalog.iterdir():
        os.utime(path, (moment, moment))
    build_site_fn(site_dir)
    [card, *_] = select(page(site_dir, "cameras/index.html"), "li", class_="card")
    links = visible_links(card)
    assert [a.attrs["href"][:24] for a in links] == ["/p/test-camera-model-1-m", "https://www.ebay.com/itm"]
    text = " ".join(card.text.split())
    assert "Check the current price on eBay" in text and "$101.99" not in text and "Free shipping" not in text


def test_no_photo_has_a_designed_state(site_dir: SiteDir, build_site_fn: Any) -> None:
    bare = item(503)
    del bare["image"], bare["thumbnailImages"]
    site_dir.set_items("lenses", [bare])
    build_site_fn(site_dir)
    elements = product_page(site_dir, "100000000503")
    [placeholder] = select(elements, "div", class_="no-image")
    assert placeholder.attrs["role"] == "img" and placeholder.attrs["aria-label"]
    assert not [i for i in select(elements, "img") if "fetchpriority" in i.attrs]


def test_home_shows_each_listing_once(site_dir: SiteDir, build_site_fn: Any) -> None:
    site_dir.set_items("cameras", [item(n) for n in range(1, 4)])
    site_dir.set_items("lenses", [item(n) for n in range(10, 14)])
    build_site_fn(site_dir)
    links = [a.attrs["href"] for a in select(page(site_dir, "index.html"), "a", class_="card-link")]
    assert len(links) > 4 and len(links) == len(set(links))


def test_header_menu_holds_categories_once_and_legal_links_are_in_the_footer(
    site_dir: SiteDir, build_site_fn: Any
) -> None:
    site_dir.write("content/pages/privacy.md", "---\ntitle: Privacy policy\nnav_order: 30\n---\nWe keep little.\n")
    site_dir.write("content/pages/about.md", "---\ntitle: About us\nnav_order: 10\n---\nWho we are.\n")
    text = (site_dir.root / "site.yaml").read_text()
    (site_dir.root / "site.yaml").write_text(text + "nav:\n  - title: Our story\n    url: /about/\n")
    build_site_fn(site_dir)
    elements = page(site_dir, "cameras/index.html")
    [menu] = select(elements, "nav", aria_label="Main")
    hrefs = [a.attrs["href"] for a in descendants(menu) if a.tag == "a"]
    assert hrefs[:2] == ["/cameras/", "/lenses/"]
    assert hrefs.count("/about/") == 1 and "/privacy/" not in hrefs
    [footer] = select(elements, "footer")
    assert {"/privacy/", "/disclosure/"} <= {a.attrs["href"] for a in descendants(footer) if a.tag == "a"}


def test_thanks_page_has_no_second_sign_up_form(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    assert not select(page(site_dir, "newsletter/thanks/index.html"), "form", class_="newsletter")
    assert select(page(site_dir, "index.html"), "form", class_="newsletter")


def test_every_page_has_the_favicon_and_dark_mode(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    for name, data in site_dir.files().items():
        if name.endswith(".html"):
            elements = parse(data)
            [icon] = select(elements, "link", rel="icon")
            assert re.fullmatch(r"/assets/favicon\.[0-9a-f]{10}\.svg", icon.attrs["href"]), name
            assert (site_dir.output / icon.attrs["href"].lstrip("/")).exists()
            assert select(elements, "meta", name="color-scheme", content="light dark"), name


def _use_logo(site_dir: SiteDir, logo: str) -> None:
    text = (site_dir.root / "site.yaml").read_text()
    (site_dir.root / "site.yaml").write_text(text + f"logo: {logo}\nfavicon: img/icon.png\n")


def test_logo_and_favicon_from_site_yaml(site_dir: SiteDir, build_site_fn: Any, tmp_path: Path) -> None:
    assets = site_dir.root / "templates" / "assets" / "img"
    assets.mkdir(parents=True)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    (assets / "logo.png").write_bytes(png)
    shutil.copy(assets / "logo.png", assets / "icon.png")
    _use_logo(site_dir, "img/logo.png")
    build_site_fn(site_dir)
    elements = page(site_dir, "about/index.html")
    [icon] = select(elements, "link", rel="icon")
    assert re.fullmatch(r"/assets/img/icon\.[0-9a-f]{10}\.png", icon.attrs["href"])
    [brand] = select(elements, "a", class_="brand")
    [logo] = [e for e in descendants(brand) if e.tag == "img"]
    assert re.fullmatch(r"/assets/img/logo\.[0-9a-f]{10}\.png", logo.attrs["src"])
    # A page without a picture of its own is shared with the logo, not with some listing's photo.
    [og] = select(elements, "meta", property="og:image")
    assert og.attrs["content"] == "https://shop.example.org" + logo.attrs["src"]


def test_a_logo_that_is_not_there_is_an_editor_mistake(site_dir: SiteDir, build_site_fn: Any) -> None:
    _use_logo(site_dir, "img/missing.png")
    with pytest.raises(ConfigError) as info:
        build_site_fn(site_dir)
    assert info.value.exit_code == 2
    assert sorted(info.value.lines()) == [
        "site.yaml: favicon: there is no file templates/assets/img/icon.png",
        "site.yaml: logo: there is no file templates/assets/img/missing.png",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("logo: ../secret.png", "logo: '../secret.png' must be a path inside templates/assets/"),
        ("logo: /etc/logo.png", "logo: '/etc/logo.png' must be a path inside templates/assets/"),
        ("logo: img/logo.gif", "logo: 'img/logo.gif' must be a .svg, .png, .jpg, .jpeg, .webp file"),
        ("favicon: icon.jpg", "favicon: 'icon.jpg' must be a .svg, .png, .ico file"),
    ],
)
def test_logo_and_favicon_values_checked_with_file_and_line(site_dir: SiteDir, line: str, message: str) -> None:
    from builder.config import load_config

    text = (site_dir.root / "site.yaml").read_text()
    (site_dir.root / "site.yaml").write_text(text + line + "\n")
    number = len(text.splitlines()) + 1
    with pytest.raises(ConfigError) as info:
        load_config(site_dir.root)
    [problem] = info.value.lines()
    assert problem.startswith(f"site.yaml:{number}: {message}"), problem
