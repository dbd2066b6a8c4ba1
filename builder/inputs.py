"""Everything a build's output depends on, as one digest, and the next moment the clock alone would change it.

A rebuild whose inputs digest equals the last successful build's, before that moment, and whose output files are
all still as that build left them, has nothing to do: the site it would write is the one already there. This lets
the scheduled rebuild and the preview skip parsing, planning and rendering altogether when nothing changed.

The clock matters in two ways only: a price turns stale once its data is older than the freshness limit, and a
listing is dropped once its end time has passed. `next_change` is the earliest of those moments after `now`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import orjson

from .catalog.normalize import parse_time
from .catalog.source import CatalogResult
from .content import Site
from .state import code_version
from .themes import Theme


def inputs_digest(site: Site, result: CatalogResult, theme: Theme, campaign: str, demo: bool) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{code_version()}\0{campaign}\0{demo}\0".encode())
    config = site.config
    digest.update(config.site.model_dump_json().encode())
    for category in config.categories:
        digest.update(f"\0{category.slug}\0{category.model_dump_json()}".encode())
    for page in site.pages:
        digest.update(f"\0{page.slug}\0{page.meta.model_dump_json()}\0{page.html}".encode())
    for guide in site.guides:
        digest.update(f"\0guide\0{guide.slug}\0{guide.digest}".encode())
    # Every template and asset as the site sees it: its own file where it has one, else the theme's.
    for name, path in theme.files().items():
        digest.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    for slug in sorted(result.categories):
        data = result.categories[slug]
        digest.update(f"\0{slug}\0{data.fetched_at.isoformat()}\0{data.stale_reason}\0{data.incomplete}\0".encode())
        if data.raw_digest is not None:
            digest.update(f"raw:{data.raw_digest}".encode())
        else:
            # Key order is part of the digest: the same response gives the same order, and that is all that matters.
            try:
                digest.update(orjson.dumps(data.items, default=str))
            except TypeError:  # what orjson cannot encode (an integer beyond 64 bits) the standard library can
                digest.update(json.dumps(data.items, separators=(",", ":"), default=str).encode())
    for legacy_id in sorted(result.items):
        item = result.items[legacy_id]
        head = f"\0item\0{legacy_id}\0{item.fetched_at.isoformat()}\0{item.stale_reason}\0{item.gone}\0"
        digest.update(head.encode())
        digest.update(json.dumps(item.item, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def next_change(site: Site, result: CatalogResult, now: datetime) -> datetime | None:
    """The earliest moment after `now` at which the same inputs would give another site; None if never."""
    moments: list[datetime] = []
    limits = {c.slug: site.config.freshness_hours(c) for c in site.config.categories}
    default = site.config.site.freshness_hours
    for looked_up in result.items.values():  # listings that guides ask for by id
        ends = parse_time(looked_up.item.get("itemEndDate")) if looked_up.item else None
        moments.extend(m for m in (looked_up.fetched_at + timedelta(hours=default), ends) if m and m > now)
    for slug, data in result.categories.items():  # the categories, and the searches of guides
        turns_stale = data.fetched_at + timedelta(hours=limits.get(slug, default))
        if turns_stale > now:
            moments.append(turns_stale)
        for item in data.items:
            ends = parse_time(item.get("itemEndDate")) if isinstance(item, dict) else None
            if ends is not None and ends > now:
                moments.append(ends)
    return min(moments, default=None)
