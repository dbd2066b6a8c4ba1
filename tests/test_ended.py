"""Ended listings: an "ended" page for `ended_days`, then 410 Gone, and no eBay content kept beyond what is shown."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import NOW, REPO, SiteDir, item

from builder.ended import LEDGER_NAME, Listing, load_ledger, redirects, update_ledger
from builder.redirects import match, parse_redirects

ENDED = "100000000025"  # item 25 of the cameras


def _cli_build(site: SiteDir, now: datetime) -> subprocess.CompletedProcess[str]:
    """`python -m builder build` as a separate process, at `now` (the clock hook), from the site's catalog dir."""
    env = {**os.environ, "AFFSITE_TEST_NOW": now.isoformat(), "PYTHONPATH": str(REPO)}
    for name in ("EBAY_CLIENT_ID", "EBAY_CLIENT_SECRET", "EBAY_CAMPAIGN_ID"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "-m", "builder", "build", "--root", str(site.root), "--catalog-dir", str(site.catalog)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=site.root,
    )
    assert run.returncode == 0, run.stderr
    return run


def _set_cameras(site: SiteDir, numbers: range, fetched: datetime) -> None:
    site.set_items("cameras", [item(i) for i in numbers])
    stamp = fetched.timestamp()
    os.utime(site.catalog / "cameras.json", (stamp, stamp))  # "fetched" when the scheduled rebuild ran
    os.utime(site.catalog / "lenses.json", (stamp, stamp))


def _page_path(site: SiteDir) -> Path:
    [page] = site.output.glob(f"p/*-{ENDED}/index.html")
    return page


def _serve(site: SiteDir, path: str) -> httpx.Response:
    """GET `path` from `affsite serve`'s app over the built output (no rebuild), as a browser would."""
    from builder.serve import Preview, PreviewOptions, create_preview_app

    preview = Preview(PreviewOptions(root=site.root, output_dir=site.output, watch=False), environ={})
    app = create_preview_app(preview, watch=False)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://preview") as client:
            return await client.get(path)

    return asyncio.run(get())


def test_journey_a_listing_ends_shows_an_ended_page_then_answers_410(site_dir: SiteDir) -> None:
    site_dir.write("site.yaml", (site_dir.root / "site.yaml").read_text() + "ended_days: 3\n")
    t0 = NOW
    _set_cameras(site_dir, range(1, 26), t0)
    _cli_build(site_dir, t0)
    page = _page_path(site_dir)
    path = "/" + page.parent.relative_to(site_dir.output).as_posix() + "/"
    assert 'class="price"' in page.read_text() and path in (site_dir.output / "sitemap.xml").read_text()

    # Six hours later the scheduled rebuild no longer finds item 25: sold or ended.
    t1 = t0 + timedelta(hours=6)
    _set_cameras(site_dir, range(1, 25), t1)
    _cli_build(site_dir, t1)
    html = page.read_text()
    assert '<meta name="robots" content="noindex">' in html
    assert "This listing has ended" in html
    article = html[html.index("<article") : html.index("</article>")]
    assert "$" not in article and 'class="price' not in article and "on eBay</a>" not in article
    assert f'data-item="{ENDED}"' not in html  # no buy button, and the endpoint's manifest no longer has it
    assert ENDED not in (site_dir.output / "affsite-manifest.json").read_text()
    assert "Current listings in Cameras" in html and html.count('class="card"') == 4
    assert path not in (site_dir.output / "sitemap.xml").read_text()
    assert path not in (site_dir.output / "_redirects").read_text()
    served = _serve(site_dir, path)
    assert served.status_code == 200 and "This listing has ended" in served.text
    # The ledger keeps what the ended page shows (title, category, last seen), nothing else of eBay's.
    ledger = json.loads((site_dir.root / ".cache" / LEDGER_NAME).read_text())
    assert ledger["listings"][ENDED][:3] == [path, "Test Camera Model 25 Mirrorless Body", "cameras"]

    # Three days on (ended_days: 3), nothing else changed: the clock alone makes the rebuild remove the page.
    t2 = t1 + timedelta(days=3, minutes=1)  # the clock hook's time runs on from t1 while a build starts up
    out = _cli_build(site_dir, t2)
    assert not page.exists(), out.stdout + out.stderr
    rules = parse_redirects((site_dir.output / "_redirects").read_text())
    assert [(r.source, r.status) for r in rules] == [(path, 410)]
    assert path not in (site_dir.output / "sitemap.xml").read_text()
    served = _serve(site_dir, path)
    assert served.status_code == 410 and "Page not found" in served.text
    assert _serve(site_dir, "/p/never-existed-1/").status_code == 404
    ledger = json.loads((site_dir.root / ".cache" / LEDGER_NAME).read_text())
    assert ledger["listings"][ENDED][1:3] == ["", ""]  # the title and category are deleted with the page


def test_a_listing_that_comes_back_gets_its_product_page_again(site_dir: SiteDir, build_site_fn: Any) -> None:
    build_site_fn(site_dir)
    site_dir.set_items("cameras", [item(i) for i in range(1, 25)])
    build_site_fn(site_dir, NOW + timedelta(hours=1))
    assert "This listing has ended" in _page_path(site_dir).read_text()
    site_dir.set_items("cameras", [item(i) for i in range(1, 26)])
    build_site_fn(site_dir, NOW + timedelta(hours=2))
    html = _page_path(site_dir).read_text()
    assert "This listing has ended" not in html and 'class="price"' in html
    assert load_ledger(site_dir.root / ".cache")[ENDED].ended_at is None


def _listing(ended_at: datetime | None) -> Listing:
    return Listing("/p/x-1/", "A camera", "cameras", NOW - timedelta(hours=1), ended_at)


def test_ledger_phases_keep_less_and_less() -> None:
    ledger = {"1": _listing(None)}
    ended = update_ledger(ledger, [], ["cameras"], NOW, 7)
    assert ended["1"] == _listing(NOW)
    assert update_ledger(ended, [], ["cameras"], NOW + timedelta(days=7) - timedelta(seconds=1), 7) == ended
    gone = update_ledger(ended, [], ["cameras"], NOW + timedelta(days=7), 7)
    assert (gone["1"].title, gone["1"].category, gone["1"].path) == ("", "", "/p/x-1/")
    assert re.search(rb"^/p/x-1/\s+/404.html\s+410$", redirects(gone, NOW + timedelta(days=7), 7), re.M)
    assert update_ledger(gone, [], ["cameras"], NOW + timedelta(days=7 + 90), 7) == {}


def test_ended_days_zero_goes_straight_to_410() -> None:
    gone = update_ledger({"1": _listing(None)}, [], ["cameras"], NOW, 0)
    assert gone["1"].title == "" and b"/p/x-1/" in redirects(gone, NOW, 0)


@pytest.mark.parametrize("garbage", [b"{not json", b'{"version": 1, "listings": {"1": [1]}}', b"[]"])
def test_a_broken_ledger_is_ignored_with_a_warning(
    tmp_path: Path, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / LEDGER_NAME).write_bytes(garbage)
    assert load_ledger(tmp_path) == {}
    assert "ignoring the listing ledger" in caplog.text


def test_redirect_rules_match_as_netlify_normalises_paths() -> None:
    rules = parse_redirects("# comment\n/p/a-1/  /404.html  410\n/old/*  /new/  301\n\n")
    assert [r.status for r in rules] == [410, 301]
    assert match(rules, "/p/a-1/") is rules[0] and match(rules, "/p/a-1") is rules[0]
    assert match(rules, "/p/a-12/") is None
    assert match(rules, "/old") is rules[1] and match(rules, "/old/x/y") is rules[1]
    assert match(rules, "/older") is None
