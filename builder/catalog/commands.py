"""`affsite budget` and `affsite cache ...`: the eBay call ledger and the answer cache.

Light at import time (the CLI imports it to build its parser): everything heavy is imported in the handlers.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .. import clock

if TYPE_CHECKING:
    from ..config import Config

DEFAULT_PRUNE_HOURS = 48.0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    budget = commands.add_parser(
        "budget",
        help="show today's eBay calls, what is left and when the quota resets",
        description="Show the call ledger: Browse calls today, the remaining quota and the next reset "
        "(midnight US Pacific time).",
    )
    _add_common(budget)
    budget.add_argument(
        "--remote",
        action="store_true",
        help="also ask eBay's Analytics API for the quota as eBay counts it (needs EBAY_CLIENT_ID/SECRET)",
    )
    budget.set_defaults(func=_run_budget)

    cache = commands.add_parser("cache", help="inspect or prune the eBay answer cache")
    cache_commands = cache.add_subparsers(title="cache commands", metavar="COMMAND")
    cache.set_defaults(func=lambda args: _help(cache))

    prune = cache_commands.add_parser(
        "prune",
        help="delete cached eBay answers no category uses any more, and old ones",
        description="Delete cached eBay answers that no category uses any more and those fetched longer ago "
        "than --older-than hours (eBay's licence: delete copies no longer needed). Run it with the same "
        "EBAY_CAMPAIGN_ID and AFFSITE_EBAY_API_URL as the build, or its entries count as unused.",
    )
    _add_common(prune)
    prune.add_argument(
        "--older-than",
        type=_hours,
        default=DEFAULT_PRUNE_HOURS,
        metavar="HOURS",
        help=f"also delete entries fetched more than HOURS ago (default {DEFAULT_PRUNE_HOURS:g})",
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted, delete nothing")
    prune.set_defaults(func=_run_prune)

    info = cache_commands.add_parser("info", help="size and age of the eBay answer cache")
    _add_common(info)
    info.set_defaults(func=_run_info)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="the site folder with site.yaml (default: .)")
    parser.add_argument("--cache-dir", type=Path, help="the cache directory (default: site.yaml's cache_dir)")


MAX_HOURS = 24 * 366 * 100


def _hours(value: str) -> float:
    try:
        hours = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of hours") from None
    if not 0 <= hours <= MAX_HOURS:  # also refuses nan and inf, which timedelta() cannot take
        raise argparse.ArgumentTypeError(f"must be 0 to {MAX_HOURS:,} hours")
    return hours


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _load(args: argparse.Namespace) -> tuple[Config, Path]:
    """The requests of the edition at / (the site's own settings: its budget, its coverage), as a build makes them:
    the categories' and the guides'."""
    configs, cache_dir = _load_editions(args)
    return configs[0], cache_dir


def _load_editions(args: argparse.Namespace) -> tuple[list[Config], Path]:
    """What each edition of the site asks eBay (editions.py; one for a site without editions, the edition at /
    first): every edition's answers are in the one cache, under keys of their own (marketplace, currency)."""
    from ..content import load_site
    from ..editions import data_config, editions_of, site_for

    root = args.root.resolve()
    site = load_site(root)
    configs = [data_config(site_for(site, edition)) for edition in editions_of(site.config.site)]
    cache_dir = (args.cache_dir or root / configs[0].site.cache_dir).resolve()
    return configs, cache_dir


def _used_keys(configs: list[Config], cache_dir: Path) -> set[str]:
    """The cache keys of every request a build of the site makes, in every edition."""
    from ..secret import Secret
    from .credentials import Credentials
    from .live import LiveCatalog

    # Keys need no credentials: a placeholder keyset never leaves this process.
    catalog = LiveCatalog(Credentials(Secret(""), Secret("")), cache_dir)
    return set().union(*(catalog.request_keys(config) for config in configs))


def _run_budget(args: argparse.Namespace) -> int:

    from ..errors import UsageError
    from .budget import Ledger, status

    config, cache_dir = _load(args)
    now = clock.now()
    api = config.site.api
    for line in status(Ledger(cache_dir), api.calls_per_build, api.daily_quota, now).describe():
        print(line)
    from .schedule import coverage

    for line in coverage(config).describe():
        print(line)
    if args.remote:
        from .credentials import credentials_from_env
        from .live import LiveCatalog

        credentials = credentials_from_env()
        if credentials is None:
            raise UsageError("--remote asks eBay: set EBAY_CLIENT_ID and EBAY_CLIENT_SECRET in the environment")
        limits = LiveCatalog(credentials, cache_dir).remote_rate_limits(config, now)
        if not limits:
            print("eBay (Analytics API): no rate-limit data for the Browse API")
        for limit in limits:
            print(f"eBay (Analytics API): {limit.describe()}")
    return 0


def _run_prune(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from .budget import Ledger
    from .cache import ResponseCache, format_size
    from .lock import cache_lock

    configs, cache_dir = _load_editions(args)
    now = clock.now()
    used = _used_keys(configs, cache_dir)
    cache = ResponseCache(cache_dir)
    older_than = timedelta(hours=args.older_than)
    if args.dry_run:
        unused = old = 0
        for path in cache.files():
            entry = cache.get(path.stem)
            if path.stem not in used:
                unused += 1
            elif entry is None or entry.age(now) > older_than:
                old += 1
        print(f"would delete {unused} unused and {old} old or unreadable entries from {cache_dir}")
        return 0
    with cache_lock(cache_dir):  # a build appending to the ledger or the cache must not race the rewrite
        result = cache.prune(used, older_than, now)
        Ledger(cache_dir).compact(now)
    print(
        f"deleted {result.removed} cached eBay answer(s) from {cache_dir}: {len(result.removed_unused)} no "
        f"category uses, {len(result.removed_old)} older than {args.older_than:g} h, "
        f"{len(result.removed_corrupt)} unreadable; {format_size(result.freed_bytes)} freed"
    )
    print(f"left: {cache.stats().describe()}")
    return 0


def _run_info(args: argparse.Namespace) -> int:

    from .cache import ResponseCache
    from .plan import format_age

    configs, cache_dir = _load_editions(args)
    now = clock.now()
    cache = ResponseCache(cache_dir)
    stats = cache.stats()
    used = _used_keys(configs, cache_dir)
    present = {path.stem for path in cache.files()}
    print(f"eBay cache {cache_dir}: {stats.describe()}")
    if stats.oldest and stats.newest:
        print(f"oldest entry {format_age(now - stats.oldest)} old, newest {format_age(now - stats.newest)} old")
    print(
        f"{len(present & used)} of the {len(used)} requests the content needs are cached; "
        f"{len(present - used)} entries are unused (affsite cache prune deletes them)"
    )
    return 0
