"""Every text the theme shows goes through the catalog: a site built with a pseudo-translation shows no English.

The pseudo catalog translates every text `pybabel extract` finds (the same command as docs/editing.md) to itself in
marks, "Page not found" -> "⟦Page not found⟧", and the site's own words (site.yaml, content, eBay's listings) are all
written «like this». `affsite build` runs as the owner runs it (a separate process, the clock moved by
AFFSITE_TEST_NOW), twice, so that a listing ends in between. Then every page, the feed, the category listings JSON
and the scripts' texts are read: once the marked and the content texts are taken out, what is left must be numbers,
prices, dates and punctuation. An English text added to a template without `_()` fails here, naming the file and
the words.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from conftest import NOW, REPO, SiteDir, item

FENCE = "```"
SITE = """\
title: «Laden»
base_url: https://shop.example.org
description: «Beschreibung des Ladens»
marketplace: EBAY_DE
language: de-DE
campaign_id: "5338111111"
items_per_page: 10
endpoint_url: https://shop.example.org
newsletter: true
"""
CATEGORY = "title: {title}\nq: {q}\nitems: 50\norder: {order}\nfeatured: true\nintro: |\n  «Rat zu {q}»\n"
GUIDE = f"""---
title: «Ratgeber»
description: «Worum es geht»
author: «Autorin»
published: 2026-11-01
updated: 2026-11-10
categories: [kameras]
featured: true
---
«Einleitung»

{FENCE}product
item: "100000000003"
verdict: «Urteil»
pros: [«Leicht»]
cons: [«Langsam»]
{FENCE}

{FENCE}product
heading: «Unsere Wahl»
category: kameras
{FENCE}

{FENCE}deals
q: kamera
items: 3
{FENCE}

{FENCE}product
q: nichts
{FENCE}

{FENCE}compare
columns:
  - item: "100000000003"
    label: «Spalte»
  - category: objektive
  - q: nichts
aspects: [«Modell»]
{FENCE}
"""

# Words that may stay as they are, each with its reason.
ALLOWED = {
    "MEZ": "CLDR's German name of the time zone in dates (formatting.format_datetime)",
    "Good": "eBay's own condition text of listing 1, a bare grade: the pages word it 'Used – Good' (translated), the "
    "feed and the search's condition filter carry eBay's text as it is (in German on eBay.de)",
}
# Country names come from CLDR in the page's language (present.country_name): German already.
ALLOWED_WORDS = set(ALLOWED) | {w for name in Locale.parse("de").territories.values() for w in name.split()}
WORD = re.compile(r"[^\W\d_]{2,}")
MARKED = re.compile(r"⟦[^⟦⟧]*⟧")  # innermost first: a marked text may hold another ("⟦Used – ⟦Good⟧⟧")
CONTENT = re.compile(r"«[^«»]*»")
# Attributes a visitor sees or hears (screen readers), and those the scripts show.
SHOWN_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
FEED_TEXT = frozenset({"title", "subtitle", "summary", "content", "name"})  # what a feed reader shows
SHOWN_META = {"description", "og:title", "og:description", "og:site_name", "twitter:title"}


def extract_template(folder: Path) -> Catalog:
    """What `pybabel extract` finds in the repository today (the documented command), read back as a catalog."""
    pot = folder / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "--ignore-dirs=.*",
            "-o",
            str(pot),
            ".",
        ],
        cwd=REPO,
        check=True,
    )
    with pot.open("rb") as f:
        return read_po(f)


def pseudo_catalog(folder: Path) -> str:
    """Every text the theme and builder/ mark, "translated" to "⟦text⟧" (plural forms too), as German."""
    template = extract_template(folder)
    catalog = Catalog(locale="de")
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id[0], message.id[1]
            forms = [f"⟦{singular}⟧"] + [f"⟦{plural}⟧"] * (catalog.num_plurals - 1)
            catalog.add(message.id, tuple(forms), flags=message.flags)
        else:
            catalog.add(message.id, f"⟦{message.id}⟧", flags=message.flags)
    out = folder / "pseudo.po"
    with out.open("wb") as f:
        write_po(f, catalog)
    return out.read_text(encoding="utf-8")


def listing(n: int, **overrides: Any) -> dict[str, Any]:
    """An eBay listing whose own words are all «marked»: title, condition, seller."""
    legacy = 100000000000 + n
    data = item(
        n,
        title=f"«Kamera {n}»",
        condition="«Gebraucht»",
        price={"value": f"{1000 + n}.50", "currency": "EUR"},
        itemWebUrl=f"https://www.ebay.de/itm/{legacy}",
        itemLocation={"country": "DE"},
        shippingOptions=[{"shippingCostType": "FIXED", "shippingCost": {"value": "4.99", "currency": "EUR"}}],
        seller={"username": f"«verkaeufer_{n}»", "feedbackPercentage": "99.5", "feedbackScore": 1200 + n},
    )
    data.update(overrides)
    return data


def listings() -> dict[str, list[dict[str, Any]]]:
    ends = (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    cameras = [listing(i) for i in range(1, 16)]
    cameras[0].update(condition="Good", conditionId="5000")  # a bare grade: "Used – Good", translated
    cameras[1].update(buyingOptions=["AUCTION"], bidCount=3, itemEndDate=ends, currentBidPrice=cameras[1]["price"])
    cameras[2].update(buyingOptions=["AUCTION", "FIXED_PRICE"], bidCount=0, itemEndDate=ends)
    cameras[3].update(buyingOptions=["FIXED_PRICE", "BEST_OFFER"])
    cameras[4].update(
        marketingPrice={"originalPrice": {"value": "1500.00", "currency": "EUR"}, "discountPercentage": "30"}
    )
    cameras[5].pop("image")
    cameras[5].pop("thumbnailImages")
    cameras[6].pop("shippingOptions")  # no shipping given: "See eBay"
    cameras[7]["shippingOptions"] = [
        {"shippingCostType": "FIXED", "shippingCost": {"value": "0.00", "currency": "EUR"}}
    ]
    cameras[8]["seller"] = {"username": "«verkaeufer_9»", "feedbackPercentage": "0.0", "feedbackScore": 1}
    lenses = [listing(i, title=f"«Objektiv {i}»") for i in range(100, 104)]
    return {"kameras": cameras, "objektive": lenses, "guide--ratgeber--deals3": cameras[:3]}


def write_site(site: SiteDir, catalog_po: str) -> None:
    site.write("site.yaml", SITE)
    for slug, title in (("about", "«Über uns»"), ("disclosure", "«Offenlegung»"), ("privacy", "«Datenschutz»")):
        site.write(f"content/pages/{slug}.md", f"---\ntitle: {title}\nnav_order: 1\n---\n«Text»\n")
    for path in (site.root / "content" / "categories").glob("*.yaml"):
        path.unlink()
    site.write("content/categories/kameras.yaml", CATEGORY.format(title="«Kameras»", q="kamera", order=10))
    site.write("content/categories/objektive.yaml", CATEGORY.format(title="«Objektive»", q="objektiv", order=20))
    site.write("content/guides/ratgeber.md", GUIDE)
    site.write("templates/locales/de/LC_MESSAGES/messages.po", catalog_po)
    for slug, items in listings().items():
        site.set_items(slug, items)
    detail = listing(3)
    detail.pop("thumbnailImages")
    detail["localizedAspects"] = [{"type": "STRING", "name": "«Modell»", "value": "«M3»"}]
    detail["estimatedAvailabilities"] = [{"estimatedAvailabilityStatus": "IN_STOCK"}]
    (site.catalog / "items").mkdir(parents=True, exist_ok=True)
    (site.catalog / "items" / "100000000003.json").write_text(json.dumps(detail), encoding="utf-8")


def affsite_build(site: SiteDir, hours_later: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBAY_")}
    env["AFFSITE_TEST_NOW"] = (NOW + timedelta(hours=hours_later)).isoformat()
    run = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--root", str(site.root), "--catalog-dir", str(site.catalog)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    return run


class ShownText(HTMLParser):
    """What a page shows and says: its text (in order, outside script and style), and its shown attributes. With
    `only`, the text inside those elements alone (a feed: its ids and dates are not for reading)."""

    def __init__(self, only: frozenset[str] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.only = only
        self.open: list[str] = []
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.scripts: dict[str, list[str]] = {}  # by type: the data blocks' contents
        self._script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._script = values.get("type", tag)
        if self.only is not None and tag in self.only:
            self.open.append(tag)
        for name, value in values.items():
            if name in SHOWN_ATTRIBUTES or name.startswith("data-msg-"):
                self.attributes.append(value)
        if tag == "meta" and (values.get("name") in SHOWN_META or values.get("property") in SHOWN_META):
            self.attributes.append(values.get("content", ""))
        if tag == "link" and values.get("rel") == "alternate":
            self.attributes.append(values.get("title", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._script = None
        if self.open and self.open[-1] == tag:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self._script is None and (self.only is None or self.open):
            self.text.append(data)
        else:
            self.scripts.setdefault(self._script, []).append(data)


def english_left(text: str) -> list[str]:
    """The words of `text` that are neither marked, nor content, nor allowed."""
    text = CONTENT.sub(" ", text)
    while True:
        stripped = MARKED.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    return [w for w in WORD.findall(text) if w not in ALLOWED_WORDS]


def json_strings(data: Any, keys: frozenset[str] | None = None) -> Iterator[str]:
    """The strings of a JSON value (only those under `keys`, when given)."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str):
                if keys is None or key in keys:
                    yield value
            else:
                yield from json_strings(value, keys)
    elif isinstance(data, list):
        for value in data:
            yield from json_strings(value, keys)


def unmarked_in_page(html: str, only: frozenset[str] | None = None) -> list[str]:
    page = ShownText(only)
    page.feed(html)
    page.close()
    found = english_left(" ".join(page.text))
    for value in page.attributes:
        found += english_left(value)
    for block in page.scripts.get("application/ld+json", []):
        for value in json_strings(json.loads(block), frozenset({"name", "description", "headline"})):
            found += english_left(value)
    for block in page.scripts.get("application/json", []):  # the scripts' texts: each one wholly marked
        for value in json_strings(json.loads(block)):
            if not (value.startswith("⟦") and value.endswith("⟧")):
                found.append(value)
    return found


def unmarked_in_site(output: Path) -> dict[str, list[str]]:
    """English words left in each published file that a visitor reads."""
    found: dict[str, list[str]] = {}
    for path in sorted(output.rglob("*")):
        name = path.relative_to(output).as_posix()
        if name.startswith("pagefind/") or not path.is_file():
            continue
        if path.suffix == ".html":
            words = unmarked_in_page(path.read_text(encoding="utf-8"))
        elif name == "feed.xml":
            words = unmarked_in_page(path.read_text(encoding="utf-8"), FEED_TEXT)
        elif path.name == "listings.json":
            data = json.loads(path.read_text(encoding="utf-8"))
            words = [w for it in data["items"] for w in unmarked_in_page(it["html"])]
        else:
            continue
        if words:
            found[name] = sorted(set(words))
    return found


@pytest.fixture(scope="module")
def pseudo_po(tmp_path_factory: pytest.TempPathFactory) -> str:
    return pseudo_catalog(tmp_path_factory.mktemp("pseudo"))


@pytest.fixture
def pseudo_site(site_dir: SiteDir, pseudo_po: str) -> SiteDir:
    write_site(site_dir, pseudo_po)
    return site_dir


def test_every_text_of_every_page_goes_through_the_catalog(pseudo_site: SiteDir) -> None:
    site = pseudo_site
    affsite_build(site)
    # Six hours later listing 15 has left eBay: its page becomes an "ended" page.
    cameras = listings()["kameras"]
    site.set_items("kameras", cameras[:-1])
    affsite_build(site, hours_later=6)
    out = site.output
    ended = out / "p" / "kamera-15-100000000015" / "index.html"
    pages = {
        "home": out / "index.html",
        "category": out / "kameras/index.html",
        "category page 2": out / "kameras/page/2/index.html",
        "auction": out / "p/kamera-2-100000000002/index.html",
        "search": out / "search/index.html",
        "guide": out / "guides/ratgeber/index.html",
        "guides": out / "guides/index.html",
        "ended": ended,
        "404": out / "404.html",
        "thanks": out / "newsletter/thanks/index.html",
    }
    missing = [name for name, path in pages.items() if not path.is_file()]
    assert not missing, f"not built: {missing}"
    # The marks are there (the pseudo catalog is in use), in the texts the scripts show too.
    assert "⟦Page not found⟧" in pages["404"].read_text(encoding="utf-8")
    assert "⟦<strong>This listing has ended.</strong>" in ended.read_text(encoding="utf-8")
    assert script_texts(pages["home"])["justNow"] == "⟦just now⟧"
    assert script_texts(pages["search"])["results"] == {"one": "⟦%(num)s result.⟧", "other": "⟦%(num)s results.⟧"}
    assert unmarked_in_site(out) == {}


def script_texts(path: Path) -> Any:
    page = ShownText()
    page.feed(path.read_text(encoding="utf-8"))
    [block] = page.scripts["application/json"]
    return json.loads(block)


def test_an_unmarked_text_in_a_template_is_found(pseudo_site: SiteDir) -> None:
    """The guard itself: a text added to the theme without _() is reported, with the page and the words."""
    pseudo_site.override(
        "_macros.html", '<p class="disclosure">', '<p class="x">Great deals daily</p><p class="disclosure">'
    )
    pseudo_site.override("feed.xml", "</feed>", "<!-- end --><subtitle>Fresh picks</subtitle></feed>")
    affsite_build(pseudo_site)
    found = unmarked_in_site(pseudo_site.output)
    assert found["index.html"] == ["Great", "daily", "deals"]
    assert found["feed.xml"] == ["Fresh", "picks"]
