"""The manifest of published items: the one thing the build and the endpoint share.

The build writes it next to the site (`output/affsite-manifest.json`); the endpoint reads it to answer `/go/<item>`
with the tracked URL the build chose (it never takes a URL from a request) and to reject clicks on unknown items.

Format (version 1):
    {"version": 1, "generated_at": "2026-11-22T09:00:00Z", "site_url": "https://example.org",
     "lang": "de-DE", "timezone": "Europe/Berlin",
     "items": {"<legacy item id>": {"url": "<tracked eBay URL>", "title": "...", "path": "/p/<slug>-<id>/",
                                     "categories": ["<category slug>", ...],
                                     "price": "12.50", "currency": "USD", "fetched_at": "<ISO>",
                                     "listed_at": "<ISO>", "image": "<URL>", "edition": "de"}}}

`edition` (a site with editions only) names the edition whose page lists the item; its `path` then starts with
that edition's folder (`/de/p/...`). The last six (for `affsite newsletter send`, which builds its digest from this
file and never calls eBay) are optional: a reader of version 1 ignores keys it does not know. So are `lang` (BCP 47)
and `timezone` (IANA), the language and time zone of the edition served at / (the site's, without editions), which
the endpoint speaks and shows times in; a manifest written before they existed reads as English and UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

MANIFEST_NAME = "affsite-manifest.json"
MANIFEST_VERSION = 1
DEFAULT_LANG = "en"  # what a manifest without `lang` was built for: the texts' own language
DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class ManifestItem:
    item_id: str  # eBay's legacy item id, digits only
    url: str  # the tracked eBay URL the product page links to
    title: str
    path: str  # the product page's path on the site
    categories: tuple[str, ...]
    price: str = ""  # decimal amount as text, "" when unknown
    currency: str = ""
    fetched_at: str = ""  # when the price was read from eBay (ISO 8601, UTC)
    listed_at: str = ""  # when the listing started on eBay, "" when unknown
    image: str = ""
    edition: str = ""  # on a site with editions: the key of the edition whose page lists it (`de`)


@dataclass(frozen=True)
class Manifest:
    generated_at: str
    site_url: str
    items: Mapping[str, ManifestItem]
    lang: str = DEFAULT_LANG
    timezone: str = DEFAULT_TIMEZONE


def dump_manifest(
    items: list[ManifestItem],
    site_url: str,
    generated_at: datetime,
    *,
    lang: str = DEFAULT_LANG,
    timezone: str = DEFAULT_TIMEZONE,
) -> bytes:
    document = {
        "version": MANIFEST_VERSION,
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "site_url": site_url,
        "lang": lang,
        "timezone": timezone,
        "items": {item.item_id: _entry(item) for item in sorted(items, key=lambda i: i.item_id)},
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _entry(item: ManifestItem) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "url": item.url,
        "title": item.title,
        "path": item.path,
        "categories": list(item.categories),
    }
    for name in ("price", "currency", "fetched_at", "listed_at", "image", "edition"):
        if getattr(item, name):
            entry[name] = getattr(item, name)
    return entry


class ManifestError(ValueError):
    """The manifest is not one this version of affsite can read."""


def parse_manifest(raw: bytes | str) -> Manifest:
    try:
        document: Any = orjson.loads(raw)
    except ValueError as exc:
        raise ManifestError(f"the manifest is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("version") != MANIFEST_VERSION:
        raise ManifestError(f"the manifest is not affsite manifest version {MANIFEST_VERSION}")
    raw_items = document.get("items")
    if not isinstance(raw_items, dict):
        raise ManifestError("the manifest has no items mapping")
    items: dict[str, ManifestItem] = {}
    for item_id, entry in raw_items.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("url"), str)):
            raise ManifestError(f"manifest item {item_id!r} has no url")
        items[str(item_id)] = ManifestItem(
            item_id=str(item_id),
            url=entry["url"],
            title=str(entry.get("title", "")),
            path=str(entry.get("path", "")),
            categories=tuple(str(c) for c in entry.get("categories", [])),
            **{
                name: str(entry.get(name, ""))
                for name in ("price", "currency", "fetched_at", "listed_at", "image", "edition")
            },
        )
    return Manifest(
        str(document.get("generated_at", "")),
        str(document.get("site_url", "")),
        items,
        lang=_text(document, "lang") or DEFAULT_LANG,
        timezone=_text(document, "timezone") or DEFAULT_TIMEZONE,
    )


def _text(document: dict[str, Any], key: str) -> str:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"the manifest's {key} is not text")
    return (value or "").strip()
