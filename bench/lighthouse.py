"""Lighthouse (mobile) on the home, a category and a product page of a non-demo build, served locally.

    npm ci --prefix bench/lighthouse        # once: Lighthouse 12.2.3, pinned (13 needs Node 22)
    python bench/lighthouse.py [--runs 3] [--record]

What it does:
  1. copies the repository's site (site.yaml, content/, netlify.toml) to a temporary folder, with base_url set to the
     local server and a campaign id, and builds it from the bundled demo catalog as a response directory
     (`affsite build --catalog-dir builder/demo_catalog`): the same listings as the demo, but a real site's pages
     (no demo banner, no noindex), which is what Lighthouse's SEO audits must see;
  2. serves the output on 127.0.0.1 as Netlify would: netlify.toml's headers (the CSP included), gzip for text,
     the 404 page. There is no internet here, so eBay's photos (https://i.ebayimg.com/...) are rewritten in the
     served copy to /ebayimg/... on the same server, answered with a placeholder picture of the requested size
     (s-l400 -> 400 px); `img-src` is widened to the local server for that reason only;
  3. runs Lighthouse's mobile preset (simulated slow 4G and a mid-range phone) with Debian's /usr/bin/chromium,
     headless, `--runs` times per page, and reports the median score of each category.
With --record the table goes into BENCHMARKS.md (## Lighthouse (mobile)) with the date and the git commit.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import tomllib
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = REPO / "bench" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("AFFSITE_CHROMIUM", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CATEGORY_PAGE = "/headphones/"
TEXT_TYPES = ("text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml", "text/xml")
EBAY_IMAGES = "https://i.ebayimg.com/"


def placeholder(pixels: int) -> bytes:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" viewBox="0 0 500 500">'
        '<rect width="500" height="500" fill="#eef1f5"/>'
        '<rect x="150" y="170" width="200" height="150" rx="18" fill="none" stroke="#b8c0cc" stroke-width="12"/>'
        '<circle cx="250" cy="245" r="42" fill="none" stroke="#b8c0cc" stroke-width="12"/></svg>'
    ).encode()


def netlify_headers(root: Path) -> list[tuple[str, dict[str, str]]]:
    data = tomllib.loads((root / "netlify.toml").read_text(encoding="utf-8"))
    rules = []
    for rule in data.get("headers", []):
        values = {k: " ".join(str(v).split()) for k, v in rule.get("values", {}).items()}
        rules.append((rule["for"], values))
    return rules


class Handler(SimpleHTTPRequestHandler):
    """Static files as Netlify serves them: its headers, gzip for text, /404.html with status 404."""

    rules: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        match = re.fullmatch(r"/ebayimg/.*/s-l(\d+)\.\w+", path)
        if match:
            self.send_body(200, "image/svg+xml", placeholder(int(match.group(1))), path)
            return
        file = Path(self.translate_path(path))
        if file.is_dir():
            file = file / "index.html"
        status = 200
        if not file.is_file():
            status, file = 404, Path(self.directory) / "404.html"
        ctype = self.guess_type(str(file))
        self.send_body(status, ctype, file.read_bytes(), path)

    def send_body(self, status: int, ctype: str, body: bytes, path: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        for pattern, values in self.rules:
            if re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), path):
                for name, value in values.items():
                    self.send_header(name, value)
        if ctype in TEXT_TYPES and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def build(work: Path, base_url: str) -> Path:
    root = work / "site"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "netlify.toml", root / "netlify.toml")
    text = (REPO / "site.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^base_url:.*$", f"base_url: {base_url}", text)
    text = re.sub(r"(?m)^endpoint_url:.*$", f"endpoint_url: {base_url}", text)
    text = re.sub(r"(?m)^campaign_id:.*$", 'campaign_id: "5338000000"', text)
    (root / "site.yaml").write_text(text, encoding="utf-8")
    command = [sys.executable, "-m", "builder", "build", "--root", str(root)]
    command += ["--catalog-dir", str(REPO / "builder" / "demo_catalog")]
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)
    output = root / "output"
    for page in output.rglob("*.html"):  # see the module docstring: no internet, eBay's photos served locally
        page.write_text(page.read_text(encoding="utf-8").replace(EBAY_IMAGES, "/ebayimg/"), encoding="utf-8")
    toml = (root / "netlify.toml").read_text(encoding="utf-8")
    (root / "netlify.toml").write_text(toml.replace("img-src 'self' https://i.ebayimg.com", "img-src 'self'"))
    return root


METRICS = {"largest-contentful-paint": "LCP", "cumulative-layout-shift": "CLS", "total-blocking-time": "TBT"}


def lighthouse(url: str, out: Path) -> dict[str, float]:
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={out}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
    ]
    subprocess.run(command, check=True, env=env, capture_output=True)
    report = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError") or report.get("finalDisplayedUrl") != url:
        raise SystemExit(f"{url}: Lighthouse did not measure the page: {report.get('runtimeError')}")
    scores: dict[str, float] = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    scores.update({m: report["audits"][m]["numericValue"] for m in METRICS})
    failing = [
        f"{a['id']} ({a['score']})"
        for a in report["audits"].values()
        if a.get("score") is not None and a["score"] < 0.9 and a.get("scoreDisplayMode") in ("binary", "numeric")
    ]
    if failing:
        print(f"  {url}: audits below 0.9: {', '.join(failing)}", file=sys.stderr)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--record", action="store_true", help="append the table to BENCHMARKS.md")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print(f"no Lighthouse at {LIGHTHOUSE}: run `npm ci --prefix bench/lighthouse`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base_url = f"http://127.0.0.1:{server.server_address[1]}"
        root = build(work, base_url)
        Handler.rules = netlify_headers(root)
        server.RequestHandlerClass = partial(Handler, directory=str(root / "output"))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        category = (root / "output" / CATEGORY_PAGE.strip("/") / "index.html").read_text(encoding="utf-8")
        product = re.search(r'class="card-link" href="(/p/[^"]+)"', category)
        assert product is not None
        pages = {"home": "/", "category": CATEGORY_PAGE, "product": product.group(1)}
        rows = []
        for name, path in pages.items():
            runs = [lighthouse(base_url + path, work / f"{name}-{i}.json") for i in range(args.runs)]
            median = {c: int(statistics.median(r[c] for r in runs)) for c in CATEGORIES}
            spread = {c: (min(r[c] for r in runs), max(r[c] for r in runs)) for c in CATEGORIES}
            cells = [f"{median[c]} ({spread[c][0]}–{spread[c][1]})" for c in CATEGORIES]
            lcp, cls, tbt = (statistics.median(r[m] for r in runs) for m in METRICS)
            cells.append(f"{lcp / 1000:.1f} s / {cls:.3f} / {tbt:.0f} ms")
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
            print(rows[-1], flush=True)
        server.shutdown()
    table = "\n".join(
        [
            "| page | performance | accessibility | best practices | SEO | LCP / CLS / TBT (simulated) |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *rows,
        ]
    )
    print(table)
    if args.record:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        version = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True, text=True).stdout.strip()
        entry = (
            f"\n### {stamp}, commit {commit.stdout.strip()}, Lighthouse {version}, {CHROMIUM}, median of "
            f"{args.runs} runs (min–max)\n\n{table}\n"
        )
        # Into the "## Lighthouse (mobile)" section, after its last entry (the file's end if there is none yet).
        path = REPO / "BENCHMARKS.md"
        text = path.read_text(encoding="utf-8")
        start = text.find("## Lighthouse (mobile)")
        end = text.find("\n## ", start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            text = text.rstrip("\n") + "\n" + entry
        else:
            text = text[:end].rstrip("\n") + "\n" + entry + text[end:]
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
