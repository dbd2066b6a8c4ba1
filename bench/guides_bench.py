"""What guides cost a build: the 10,000-item bench site built from scratch without guides, then with 20 guides
(each a product box by item id, a deal grid of a category, a deal grid of its own search and a comparison of three
listings by id), and the demo site without and with its two guides.

    uv run --locked python -m bench.guides_bench [--items 10000] [--guides 20]

Figures go in BENCHMARKS.md by hand (the machine is shared: run it twice and keep the lower figures).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.build_bench import REPO, affsite_full_build, make_catalog, make_site

FENCE = "```"


def add_guides(root: Path, catalog: Path, slugs: list[str], count: int) -> None:
    """`count` guides using every block, with the data they need in the catalog directory."""
    (root / "content" / "guides").mkdir(parents=True, exist_ok=True)
    (catalog / "items").mkdir(exist_ok=True)
    for n in range(count):
        slug = slugs[n % len(slugs)]
        items = json.loads((catalog / f"{slug}.json").read_bytes())["itemSummaries"]
        ids = [i["legacyItemId"] for i in items[:4]]
        for raw in items[:4]:
            (catalog / "items" / f"{raw['legacyItemId']}.json").write_text(json.dumps(raw))
        search = {"total": 12, "limit": 24, "offset": 0, "itemSummaries": items[4:16]}
        (catalog / f"guide--guide-{n}--deals3.json").write_text(json.dumps(search))
        (root / "content" / "guides" / f"guide-{n}.md").write_text(
            f"---\ntitle: Guide {n} to {slug}\nauthor: Bench\npublished: 2026-11-{1 + n % 28:02d}\n"
            f"categories: [{slug}]\nfeatured: {'true' if n < 3 else 'false'}\n---\n"
            + "Some advice in a paragraph of text. " * 20
            + f"\n\n## Pick\n\n{FENCE}product\nitem: \"{ids[0]}\"\nverdict: Good.\npros: [One, Two]\ncons: [Three]\n{FENCE}\n"
            f"\n## Deals\n\n{FENCE}deals\ncategory: {slug}\nitems: 8\n{FENCE}\n"
            f"\n{FENCE}deals\nq: guide {n} search\nmax_price: 500\nitems: 12\n{FENCE}\n"
            f"\n## Compared\n\n{FENCE}compare\ncolumns:\n"
            + "".join(f'  - item: "{i}"\n' for i in ids[1:4])
            + f"aspects: [Brand]\n{FENCE}\n",
            encoding="utf-8",
        )


def copy_demo_site(demo: Path) -> Path:
    """The repository's demo site (site.yaml, content, its pictures) in `demo`."""
    demo.mkdir()
    shutil.copytree(REPO / "content", demo / "content")
    shutil.copytree(REPO / "templates", demo / "templates")
    shutil.copy(REPO / "site.yaml", demo / "site.yaml")
    return demo


def demo_build(root: Path) -> float:
    """Best of three full builds of the demo site in `root` (a separate process each, as a user runs it)."""
    import subprocess

    best = math.inf
    for _ in range(3):
        shutil.rmtree(root / "output", ignore_errors=True)
        shutil.rmtree(root / ".cache", ignore_errors=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "builder", "build"], cwd=root, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--guides", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="affsite-guides-bench-") as tmp:
        work = Path(tmp)
        demo = copy_demo_site(work / "demo")
        with_guides = demo_build(demo)
        shutil.rmtree(demo / "content" / "guides")
        without = demo_build(demo)
        print(f"demo site, full build: {without:.2f} s without guides, {with_guides:.2f} s with its 2 guides")

        catalog = work / "catalog"
        slugs = make_catalog(catalog, args.items)
        root = work / "site"
        make_site(root, slugs, math.ceil(args.items / len(slugs)))
        runs = [affsite_full_build("no guides", root, catalog) for _ in range(2)]
        before = min(runs, key=lambda r: r.seconds)
        add_guides(root, catalog, slugs, args.guides)
        runs = [affsite_full_build(f"{args.guides} guides", root, catalog) for _ in range(2)]
        after = min(runs, key=lambda r: r.seconds)
        print(
            f"{args.items:,} items, full build: {before.seconds:.2f} s without guides, "
            f"{after.seconds:.2f} s with {args.guides} guides"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
