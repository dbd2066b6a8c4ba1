"""The digest's choices, in-process: what is new for whom, when a digest is due, and the tracked link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from builder.endpoint import digest
from builder.manifest import ManifestItem, dump_manifest, parse_manifest

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _manifest() -> list[digest.DigestItem]:
    items = [
        ManifestItem(
            str(100 + i),
            f"https://www.ebay.com/itm/{100 + i}?campid=5338000000&customid=build",
            f"Item {i}",
            f"/p/item-{100 + i}/",
            ("cameras",) if i % 2 else ("lenses",),
            price=f"{10 + i}.50",
            currency="USD",
            fetched_at="2026-12-02T03:00:00Z",
            listed_at=(NOW - timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for i in range(10)
    ]
    items.append(ManifestItem("999", "https://www.ebay.com/itm/999", "No date", "/p/x-999/", ("cameras",)))
    return digest.digest_items(parse_manifest(dump_manifest(items, "https://shop.example.org", NOW)))


def test_new_listings_in_the_chosen_categories_newest_first() -> None:
    items = _manifest()
    assert [i.item_id for i in items][:3] == ["100", "101", "102"]  # newest first; undated listings left out
    assert "999" not in {i.item_id for i in items}
    since = NOW - timedelta(days=3, hours=1)
    assert [i.item_id for i in digest.choose(items, since=since, categories=None, limit=10)] == [
        "100",
        "101",
        "102",
        "103",
    ]
    cameras = digest.choose(items, since=since, categories=frozenset({"cameras"}), limit=10)
    assert [i.item_id for i in cameras] == ["101", "103"]
    assert len(digest.choose(items, since=datetime.min.replace(tzinfo=UTC), categories=None, limit=4)) == 4
    assert items[0].price == Decimal("10.50")


def test_due_weekly_or_daily() -> None:
    assert digest.is_due("weekly", None, NOW)
    assert not digest.is_due("weekly", NOW - timedelta(days=3), NOW)
    assert digest.is_due("weekly", NOW - timedelta(days=6, hours=23), NOW)  # a run a little early still counts
    assert digest.is_due("daily", NOW - timedelta(hours=23), NOW)
    assert not digest.is_due("daily", NOW - timedelta(hours=12), NOW)


def test_links_keep_tracking_and_name_the_edition() -> None:
    link = digest.with_customid("https://www.ebay.com/itm/1?campid=5338000000&customid=build&mkcid=1", "newsletter-x")
    query = parse_qs(urlsplit(link).query)
    assert query == {"campid": ["5338000000"], "mkcid": ["1"], "customid": ["newsletter-x"]}


def test_the_mail_has_both_parts_prices_with_their_age_and_the_footer() -> None:
    edition = digest.Edition(
        "Shop", "https://shop.example.org", "news@shop.example.org", "Shop, 1 Road", "en", "2026-12-02"
    )
    message = digest.compose(
        edition,
        to="reader@example.org",
        items=_manifest()[:2],
        now=NOW,
        unsubscribe_url="https://shop.example.org/api/unsubscribe?token=t",
        preferences_url="https://shop.example.org/api/preferences?token=p",
        message_id="<x@shop.example.org>",
    )
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "$10.50 - price as of Dec 2, 2026, 3:00\u202fAM UTC (3 hours before this mail)" in text  # CLDR, in UTC
    assert "customid=newsletter-2026-12-02" in text and "customid=newsletter-2026-12-02" in html
    assert "Shop, 1 Road" in text and "Shop, 1 Road" in html
    assert message["List-Unsubscribe"] == "<https://shop.example.org/api/unsubscribe?token=t>"
    assert message["Subject"] == "Shop: 2 new deals (Dec 2, 2026)"  # the date as the locale writes it
