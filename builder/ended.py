"""Listings that ended: an "ended" page for a while, then a 410 Gone rule, and as little eBay content as possible kept.

A listing whose page was published and that a later build no longer has (it sold, ended, was filtered out, or left
every category) does not vanish into a 404 at once. For `ended_days` days (site.yaml) its page says "this listing has
ended" and shows current listings from its category: no price, no buy button, `noindex`, not in the sitemap. After
that the page is removed and the build writes a rule into `output/_redirects` so that the path answers 410 Gone
(search engines drop a 410 at once, a 404 only after a while). The rule is kept `GONE_DAYS` more days, then dropped:
by then search engines have forgotten the page, and the catch-all 404 answers for it.

The ledger (`<cache dir>/listings.json`) is how a build knows what the last one published. It lives in the cache
directory, not in the output, because the scheduled rebuild starts from an empty output with the cache restored. The
eBay licence asks that eBay content of ended listings be deleted, so an ended entry keeps only what its page shows
(title, category, when it was last seen) and, once the page is gone, only its path and when it ended.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import orjson

from .atomic import write_atomic
from .catalog.normalize import Product

log = logging.getLogger(__name__)

LEDGER_NAME = "listings.json"
LEDGER_VERSION = 1
GONE_DAYS = 90
"""How long after its ended page is removed a listing's path keeps answering 410 Gone (then the 404 catch-all)."""
GONE_TARGET = "/404.html"
"""The page Netlify (and `affsite serve`) shows, with status 410, for a path whose ended page has been removed."""
REDIRECTS_NAME = "_redirects"


@dataclass(frozen=True, slots=True)
class Listing:
    """One published listing as the ledger keeps it."""

    path: str  # "/p/<slug>/"
    title: str  # "" once the ended page is gone
    category: str  # the primary category's slug; "" when it had none or once the page is gone
    last_seen: datetime  # the time of the last eBay data that had it
    ended_at: datetime | None = None  # the first build that no longer had it; None while it is listed


Ledger = dict[str, Listing]  # legacy item id -> listing


def load_ledger(cache_dir: Path) -> Ledger:
    """The listings the last build published or still remembers; empty when there is no (readable) ledger."""
    path = cache_dir / LEDGER_NAME
    try:
        document = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring the listing ledger %s (%s): ended listings will answer 404", path, exc)
        return {}
    try:
        if document.get("version") != LEDGER_VERSION:
            return {}
        return {
            str(item_id): Listing(
                str(p), str(t), str(c), datetime.fromisoformat(s), datetime.fromisoformat(e) if e else None
            )
            for item_id, (p, t, c, s, e) in document["listings"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("ignoring the listing ledger %s (%s): ended listings will answer 404", path, exc)
        return {}


def save_ledger(cache_dir: Path, ledger: Ledger) -> None:
    listings = {
        item_id: [x.path, x.title, x.category, x.last_seen.isoformat(), x.ended_at.isoformat() if x.ended_at else None]
        for item_id, x in sorted(ledger.items())
    }
    try:
        write_atomic(cache_dir / LEDGER_NAME, orjson.dumps({"version": LEDGER_VERSION, "listings": listings}))
    except OSError as exc:
        log.warning("could not save the listing ledger in %s: %s", cache_dir, exc.strerror)


def update_ledger(
    previous: Ledger, products: Iterable[Product], category_order: list[str], now: datetime, days: int
) -> Ledger:
    """The ledger after a build that publishes `products`: listed ones recorded, vanished ones ended, old ones pruned."""
    order = {slug: i for i, slug in enumerate(category_order)}
    ledger: Ledger = {}
    for product in products:
        known = [c for c in product.categories if c in order]
        primary = min(known, key=order.__getitem__) if known else ""
        ledger[product.item_id] = Listing(product.path, product.title, primary, product.fetched_at)
    for item_id, old in previous.items():
        if item_id in ledger:
            continue  # listed again
        ended = old if old.ended_at is not None else replace(old, ended_at=now)
        phase = phase_of(ended, now, days)
        if phase == "ended":
            ledger[item_id] = ended
        elif phase == "gone":
            # The page is removed: keep only what the 410 rule needs, none of eBay's content.
            ledger[item_id] = replace(ended, title="", category="")
    return ledger


def phase_of(listing: Listing, now: datetime, days: int) -> str:
    """'listed', 'ended' (its ended page is up), 'gone' (410) or 'forgotten' (nothing kept)."""
    if listing.ended_at is None:
        return "listed"
    removed = listing.ended_at + timedelta(days=days)
    if now < removed:
        return "ended"
    if now < removed + timedelta(days=GONE_DAYS):
        return "gone"
    return "forgotten"


def ended_listings(ledger: Ledger, now: datetime, days: int) -> list[tuple[str, Listing]]:
    """The listings whose ended page is up at `now`, by item id."""
    return sorted((i, x) for i, x in ledger.items() if phase_of(x, now, days) == "ended")


def next_change(ledger: Ledger, now: datetime, days: int) -> datetime | None:
    """The earliest moment after `now` at which time alone moves a listing on (ended page removed, 410 rule dropped)."""
    moments: list[datetime] = []
    for listing in ledger.values():
        if listing.ended_at is None:
            continue
        removed = listing.ended_at + timedelta(days=days)
        moments.extend(m for m in (removed, removed + timedelta(days=GONE_DAYS)) if m > now)
    return min(moments, default=None)


def redirects(ledger: Ledger, now: datetime, days: int, *, prefix: str = "", header: bool = True) -> bytes:
    """`_redirects` for Netlify: each gone listing's path answers 410 with the 404 page.

    Netlify reads `_redirects` in the published folder before the rules of netlify.toml, so these come before its
    `/* /404.html 404` catch-all; and a rule without `!` never hides a file that exists, so a listing that comes back
    is served normally even before the next build drops its rule. `affsite serve` applies the same file.
    """
    paths = sorted(x.path for x in ledger.values() if phase_of(x, now, days) == "gone")
    lines = ["# Written by affsite build: listings that ended, answering 410 Gone (see docs/operating.md)."]
    lines = lines if header else []
    lines += [f"{prefix}{path}  {GONE_TARGET}  410" for path in paths]  # `prefix`: an edition's folder, /de
    return ("\n".join(lines) + "\n").encode() if lines else b""


def listing_digest(item_id: str, listing: Listing) -> str:
    """What an ended page shows of its listing, as a digest (incremental builds)."""
    text = f"{item_id}\0{listing.path}\0{listing.title}\0{listing.category}\0{listing.last_seen.isoformat()}"
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
