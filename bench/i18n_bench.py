"""What Babel formatting and the message catalogs cost a full build: this code against an older commit, same catalog.

    python bench/i18n_bench.py                     # 10,000 items, against the commit before Babel (ff9f07d)
    python bench/i18n_bench.py --items 2000 --base <commit>

Builds the synthetic catalog of bench/gen_catalog.py three ways, each a full build in a process of its own (as
bench/build_bench.py measures them, whose helpers it uses): the base commit (hand-made formatting, no catalogs;
exported with `git archive`, no worktree), this code on the same English site, and this code with `language: de-DE`
(German prices and dates through Babel, the German catalog installed and every template scanned for untranslated
texts). Three rounds in turns; the fastest run of each counts (noise on a shared machine only adds time). Also prints
the cost of one call of each formatting function against the hand-made formatter it replaced.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
import timeit
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.build_bench import Run, best_of, empty_trash, make_catalog, make_site, measure, set_aside  # noqa: E402

BASE = "ff9f07d"  # the branch point with the merge's import fixed: the hand-made formatter, no Babel


def old_format_money(amount: Decimal, currency: str, locale: str) -> str:
    """The formatter Babel replaced (builder/formatting.py before), for the per-call comparison only."""
    symbols = {"USD": "$", "GBP": "£", "EUR": "€", "AUD": "AU $", "CAD": "C $", "CHF": "CHF ", "PLN": "zł"}
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    whole, _, cents = f"{amount:,.2f}".partition(".")
    symbol = symbols.get(currency, currency + " ")
    if locale.split("-")[0] in ("de", "fr", "it", "es", "nl", "pl"):
        number = whole.replace(",", "\u202f" if locale.startswith("fr") else ".") + "," + cents
        return f"{number}\u00a0{symbol.strip()}"
    return f"{symbol}{whole}.{cents}"


def per_call() -> list[str]:
    from builder.formatting import format_datetime, format_money

    moment = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    amount = Decimal("1234.50")
    format_money(amount, "EUR", "de-DE")
    format_datetime(moment, "de-DE", "Europe/Berlin")
    rows = []
    for label, call in (
        ("hand-made money (before)", lambda: old_format_money(amount, "EUR", "de-DE")),
        ("format_money (Babel)", lambda: format_money(amount, "EUR", "de-DE")),
        ("utc strftime stamp (before)", lambda: moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("format_datetime (Babel)", lambda: format_datetime(moment, "de-DE", "Europe/Berlin")),
    ):
        best = min(timeit.repeat(call, number=2000, repeat=5)) / 2000
        rows.append(f"| {label} | {best * 1e6:.1f} µs |")
    return rows


def export(commit: str, into: Path) -> Path:
    """The package and bench of `commit`, without a git worktree."""
    into.mkdir(parents=True)
    archive = into / "code.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(REPO), "archive", commit, "builder", "bench", "site.yaml", "content"],
            stdout=out,
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    archive.unlink()
    return into


def full_build(label: str, code: Path, root: Path, catalog: Path) -> Run:
    set_aside(root / "output")
    shutil.rmtree(root / ".cache", ignore_errors=True)
    argv = [
        sys.executable,
        str(code / "bench" / "build_bench.py"),
        "--child",
        str(root),
        str(catalog),
        str(root / "output"),
    ]
    return measure(label, argv)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--base", default=BASE)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="affsite-i18n-bench-"))
    try:
        base = export(args.base, work / "base")
        catalog = work / "catalog"
        slugs = make_catalog(catalog, args.items)
        per_category = -(-args.items // len(slugs))
        english, german = work / "en", work / "de"
        make_site(english, slugs, per_category)
        make_site(german, slugs, per_category)
        settings = (german / "site.yaml").read_text(encoding="utf-8")
        (german / "site.yaml").write_text(
            settings.replace("marketplace: EBAY_US", "marketplace: EBAY_US\nlanguage: de-DE")
        )
        runs: dict[str, list[Run]] = {"base, en-US": [], "this code, en-US": [], "this code, de-DE": []}
        for _ in range(3):
            runs["base, en-US"].append(full_build("base", base, english, catalog))
            runs["this code, en-US"].append(full_build("en", REPO, english, catalog))
            runs["this code, de-DE"].append(full_build("de", REPO, german, catalog))
        print(f"full build of {args.items:,} items, best of 3 (wall s; CPU s of all processes, least of 3; peak MiB):")
        print("| build | wall s | CPU s | peak MiB | pages |\n| --- | ---: | ---: | ---: | ---: |")
        for label, measured in runs.items():
            best = best_of(measured)
            cpu = min(r.cpu_seconds for r in measured)
            print(f"| {label} | {best.seconds:.2f} | {cpu:.2f} | {best.peak_mib:.0f} | {best.report.get('pages')} |")
        print("\none call, best of 5 × 2000:\n| function | time |\n| --- | ---: |")
        print("\n".join(per_call()))
    finally:
        empty_trash()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
