"""The unattended rebuild on eBay's bad days: calls and seconds of `affsite build --live --strict` as a separate process
against the fake eBay (tests/ebay_fake.py) on 127.0.0.1, with the clock moved by AFFSITE_TEST_NOW.

    python bench/rebuild_bench.py                     # this checkout
    python bench/rebuild_bench.py --code /tmp/old     # another checkout of affsite (e.g. `git archive` of a commit)

Scenarios (all with the default api settings: retries 3, timeout 15 s, concurrency 4):
- outage:  50 categories built at T0, then eBay answers 503 to everything at T0+6h01: calls and seconds of that build.
- hang:    8 categories built at T0, then eBay does not answer (every search hangs) at T0+6h01 (--hang to run it;
           slow before the fix).
- quota:   3 categories built at T0, then 429 errorId 2001 at T0+6h01: calls of that build and of the next, 30 min
           later.
- items:   one category with `items: 450` and 1,000 results: calls and products published.
- pairs:   N pairs of builds of one site started together: how many builds failed.
- dark:    four scheduled runs (the first 3 minutes late): minutes with prices hidden between runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ebay_fake import CAMPAIGN, CLIENT_ID, CLIENT_SECRET, FakeEbay, ebay_error, fake_ebay  # noqa: E402
from werkzeug import Request, Response  # noqa: E402

logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the figures

T0 = datetime(2026, 12, 1, 0, 17, tzinfo=UTC)
LATER = T0 + timedelta(hours=6, minutes=1)  # the next scheduled run: every answer is past its 6-hour limit
PRICE = re.compile(r'<div class="price(?: is-stale)?" data-fetched="([^"]+)" data-max-age="(\d+)">\s*<p class="(price-\w+)"')
SITE_YAML = 'title: Bench\nbase_url: https://bench.example.org\ncampaign_id: "5338111111"\n'


class Site:
    def __init__(self, code: Path, ebay: FakeEbay, categories: int, items: int = 3) -> None:
        self.code = code
        self.ebay = ebay
        self.root = Path(tempfile.mkdtemp(prefix="affsite-bench-"))
        if (code / "templates").is_dir():  # code from before the theme moved into the package (builder/theme/)
            shutil.copytree(code / "templates", self.root / "templates")
        (self.root / "site.yaml").write_text(SITE_YAML)
        (self.root / "content" / "categories").mkdir(parents=True)
        self.slugs = [f"cat-{i:02d}" for i in range(categories)]
        for slug in self.slugs:
            (self.root / "content" / "categories" / f"{slug}.yaml").write_text(
                f"title: {slug.title()}\nq: {slug}\nitems: {items}\n"
            )
            ebay.totals[slug] = items

    def start(self, at: datetime) -> subprocess.Popen[str]:
        env = {
            **os.environ,
            "EBAY_CLIENT_ID": CLIENT_ID,
            "EBAY_CLIENT_SECRET": CLIENT_SECRET,
            "EBAY_CAMPAIGN_ID": CAMPAIGN,
            **self.ebay.environ,
            "AFFSITE_TEST_NOW": at.isoformat(),
            "PYTHONPATH": str(self.code),
            "TZ": "UTC",
        }
        command = [sys.executable, "-m", "builder", "build", "--live", "--strict", "--root", str(self.root)]
        return subprocess.Popen(
            command, env=env, cwd=self.code, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def build(self, at: datetime) -> tuple[int, int, float, str]:
        """(exit code, calls, seconds, output)."""
        before = len(self.ebay.searches)
        started = time.monotonic()
        process = self.start(at)
        out, err = process.communicate(timeout=1800)
        return process.returncode, len(self.ebay.searches) - before, time.monotonic() - started, out + err

    def hidden_minutes(self, start: datetime, end: datetime) -> float:
        """Minutes between `start` and `end` in which some category page shows no price."""
        worst = 0.0
        for slug in self.slugs:
            html = (self.root / "output" / slug / "index.html").read_text()
            blocks = PRICE.findall(html)
            if not blocks or any(shown != "price-live" for _, _, shown in blocks):
                until = start
            else:
                until = min(datetime.fromisoformat(f) + timedelta(seconds=int(a)) for f, a, _ in blocks)
            worst = max(worst, (end - max(until, start)).total_seconds() / 60)
        return worst


def outage(code: Path) -> str:
    with fake_ebay() as ebay:
        site = Site(code, ebay, 50)
        site.build(T0)
        ebay.outage = Response("down", status=503)
        status, calls, seconds, _ = site.build(LATER)
    return f"outage (503 everywhere, 50 categories): {calls} calls, {seconds:.1f} s, exit {status}"


def hang(code: Path) -> str:
    def hung(request: Request) -> Response:
        time.sleep(20)  # longer than the 15 s timeout
        return Response("{}", content_type="application/json")

    with fake_ebay() as ebay:
        site = Site(code, ebay, 8)
        site.build(T0)
        ebay.outage = hung
        status, calls, seconds, _ = site.build(LATER)
    return f"hang (no answer, 8 categories): {calls} calls, {seconds:.1f} s, exit {status}"


def quota(code: Path) -> str:
    with fake_ebay() as ebay:
        site = Site(code, ebay, 3)
        site.build(T0)
        ebay.outage = ebay_error(429, 2001, "Too many requests")
        status, calls, _, _ = site.build(LATER)
        status2, calls2, _, out = site.build(LATER + timedelta(minutes=30))
    why = "names 2001" if "2001" in out else "does not name 2001"
    return f"quota (429 errorId 2001): {calls} calls (exit {status}); next build {calls2} calls (exit {status2}, {why})"


def items(code: Path) -> str:
    with fake_ebay() as ebay:
        site = Site(code, ebay, 1, items=450)
        ebay.totals["cat-00"] = 1000
        status, calls, _, _ = site.build(T0)
        manifest = json.loads((site.root / "output" / "affsite-manifest.json").read_text())
        limits = ",".join(c.params["limit"] for c in ebay.searches)
    return f"items: 450 asked: {len(manifest['items'])} products from {calls} calls (limits {limits}), exit {status}"


def pairs(code: Path, count: int) -> str:
    failed = 0
    with fake_ebay() as ebay:
        site = Site(code, ebay, 8, items=200)
        site.build(T0)
        for n in range(1, count + 1):
            # Six hours on, every answer is refetched and every page changes: both builds write in place.
            processes = [site.start(T0 + timedelta(hours=6 * n, minutes=1)) for _ in range(2)]
            for process in processes:
                process.communicate(timeout=600)
                failed += process.returncode != 0
    return f"pairs: {count} pairs of builds started together on an existing site: {failed} of {2 * count} builds failed"


def dark(code: Path) -> str:
    runs = [T0 + timedelta(minutes=3), *(T0 + timedelta(hours=6 * n) for n in (1, 2, 3))]
    worst = 0.0
    with fake_ebay() as ebay:
        site = Site(code, ebay, 3)
        for at, following in zip(runs, [*runs[1:], runs[-1] + timedelta(hours=6)], strict=True):
            site.build(at)
            worst = max(worst, site.hidden_minutes(at, following))
    return f"dark: four scheduled runs, the first 3 min late: prices hidden for up to {worst:.0f} min before a run"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", type=Path, default=REPO, help="the affsite checkout to run (default: this one)")
    parser.add_argument("--pairs", type=int, default=10)
    parser.add_argument("--hang", action="store_true", help="also run the hanging-eBay scenario")
    parser.add_argument("--only", nargs="*", help="run only these scenarios")
    args = parser.parse_args()
    code = args.code.resolve()
    scenarios = {
        "outage": lambda: outage(code),
        "quota": lambda: quota(code),
        "items": lambda: items(code),
        "pairs": lambda: pairs(code, args.pairs),
        "dark": lambda: dark(code),
        "hang": lambda: hang(code),
    }
    chosen = args.only or [name for name in scenarios if name != "hang" or args.hang]
    print(f"affsite at {code}")
    for name in chosen:
        print(scenarios[name](), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
