"""Page weight: what a first visit to the home, a category and a product page downloads from the site, gzipped.

    python bench/page_weight.py OUTPUT_DIR [--category /headphones/]

Reads a built site (`affsite build --output DIR`) and, for each of the three pages, gzips (level 9, as hosts serve
text) the HTML and every stylesheet, script and icon it links from the site itself (eBay's photos are not ours and
are left out). Prints a table in KB; the figures go into BENCHMARKS.md (## Page weight) by hand, with the commit.
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

_LOCAL_REF = re.compile(r'(?:href|src)="(/assets/[^"]+|/favicon\.ico)"')
_PRODUCT = re.compile(r'class="card-link" href="(/p/[^"]+)"')


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


def page_file(root: Path, path: str) -> Path:
    return root / path.lstrip("/") / "index.html"


def weigh(root: Path, path: str) -> tuple[int, int]:
    """(gzipped HTML, gzipped HTML + the site's own assets it links)."""
    html = page_file(root, path).read_bytes()
    total = gz(html)
    for ref in sorted(set(_LOCAL_REF.findall(html.decode("utf-8")))):
        file = root / ref.lstrip("/")
        if file.exists():
            total += gz(file.read_bytes())
    return gz(html), total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--category", default="/headphones/")
    args = parser.parse_args()
    root: Path = args.output
    first = _PRODUCT.search(page_file(root, args.category).read_text(encoding="utf-8"))
    if first is None:
        print(f"{args.category}: no product card found", file=sys.stderr)
        return 2
    print("| page | HTML (KB gz) | HTML + CSS/JS/icons (KB gz) |")
    print("| --- | ---: | ---: |")
    for name, path in (("home", "/"), ("category", args.category), ("product", first.group(1))):
        html, total = weigh(root, path)
        print(f"| {name} `{path}` | {html / 1024:.1f} | {total / 1024:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
