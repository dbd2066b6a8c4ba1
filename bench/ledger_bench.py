"""The listing ledger's cost per full build (ended.py): record N published listings, save and load the ledger, and
end a tenth of them with the 410 rules written. Best of `--rounds`; the no-change rebuild never touches the ledger.

    python bench/ledger_bench.py [--items 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from builder.catalog.normalize import Money, Product
from builder.ended import LEDGER_NAME, load_ledger, redirects, save_ledger, update_ledger


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    now = datetime(2026, 12, 2, 6, tzinfo=UTC)
    products = [
        Product(
            str(100_000_000_000 + i),
            f"Camera model {i} mirrorless body with 18-55 mm lens kit, boxed",
            f"camera-model-{i}-mirrorless-body-with-18-55-mm-lens-kit-boxed-{100_000_000_000 + i}",
            "https://www.ebay.com/itm/1",
            Money(Decimal("1.00"), "USD"),
            now,
            categories=[f"category-{i % 50}"],
        )
        for i in range(args.items)
    ]
    order = [f"category-{i}" for i in range(50)]
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        save_ledger(cache, update_ledger({}, products, order, now, 14))
        for _ in range(args.rounds):
            started = time.perf_counter()
            previous = load_ledger(cache)
            loaded = time.perf_counter()
            ledger = update_ledger(previous, products, order, now, 14)
            updated = time.perf_counter()
            save_ledger(cache, ledger)
            saved = time.perf_counter()
            later = update_ledger(ledger, products[args.items // 10 :], order, now + timedelta(hours=6), 14)
            redirects(later, now + timedelta(days=15), 14)
            ended = time.perf_counter()
            for name, seconds in (
                ("load", loaded - started),
                ("update", updated - loaded),
                ("save", saved - updated),
                ("a tenth ends, 410 rules", ended - saved),
            ):
                best[name] = min(best.get(name, seconds), seconds)
        size = (cache / LEDGER_NAME).stat().st_size
    parts = ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in best.items())
    print(
        f"{args.items} listings: {parts}; load + update + save {sum(list(best.values())[:3]) * 1000:.1f} ms; "
        f"ledger {size / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
