"""The `affsite` command: parse arguments, call the module that does the work, print, return an exit code.

Commands import their modules lazily, so `affsite --help` and `affsite check` start fast. Command groups that live
with their subsystem (the endpoint's, the cache and budget) register themselves through a `register(subparsers)`
function in a light `commands.py` module.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import EXIT_BAD_INPUT, AffsiteError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if not hasattr(args, "func"):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code: int = args.func(args)
        return code
    except AffsiteError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="affsite", description="Build and run an eBay Partner Network affiliate site from a folder of YAML."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logging")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into output/", description=_BUILD_HELP)
    _add_root(build)
    source = build.add_mutually_exclusive_group()
    source.add_argument("--live", action="store_true", help="use the eBay Browse API; never fall back to demo data")
    source.add_argument("--catalog-dir", type=Path, help="read Browse search responses from DIR/<category>.json")
    build.add_argument("--output", type=Path, help="where to write the site (default: ROOT/output)")
    build.add_argument("--cache-dir", type=Path, help="the eBay answer cache and call ledger (default: site.yaml)")
    build.add_argument("--plan", action="store_true", help="print the eBay calls the build would make, make none")
    build.add_argument(
        "--strict",
        action="store_true",
        help="refuse to publish anything wrong (for CI): fail on warnings, demo data, and more than --max-stale of "
        "the categories without fresh data",
    )
    build.add_argument(
        "--max-stale",
        metavar="SHARE",
        help="the share of categories that may be published without fresh data (prices withheld) before the build "
        "fails, e.g. 10%% (default: 10%% with --strict, no limit without)",
    )
    build.add_argument(
        "--only-expired",
        action="store_true",
        help="refresh only eBay answers already past their freshness limit, not those that would pass it before "
        "the next scheduled rebuild (for builds outside the schedule: a push, a local build)",
    )
    build.set_defaults(func=_run_build)

    check = commands.add_parser("check", help="validate site.yaml, categories and pages; no network, no output")
    _add_root(check)
    check.set_defaults(func=_run_check)

    new = commands.add_parser(
        "new",
        help="create a new site folder that builds at once from the demo catalog",
        description="Write a working site into DIR: site.yaml, two example categories, About, disclosure and privacy "
        "pages, netlify.toml, the GitHub check and rebuild workflows, requirements.txt (pinning this affsite) and "
        ".gitignore. The pages use the theme inside affsite; a file in DIR/templates/ overrides one of its files. "
        "--lang and --marketplace choose the site's language and eBay marketplace (site.yaml) and the language of its "
        "pages: affsite new mysite --lang de-DE. The legal pages are a starting point, not legal advice: fill in "
        "their [[...]] fields and have them checked.",
    )
    new.add_argument("dir", type=Path, metavar="DIR", help="the new site's folder (created; must be empty)")
    new.add_argument(
        "--theme-copy",
        action="store_true",
        help="also copy the theme's templates and assets into DIR/templates/, to change every file yourself",
    )
    new.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")
    new.add_argument(
        "--lang",
        metavar="LANG",
        help="the site's language, or language and country: de-DE, de-AT, de-CH, fr-FR, it-IT, es-ES, nl-NL, pl-PL, "
        "en-GB, ... The About, disclosure and privacy pages are written in it (German-speaking sites also get an "
        "Impressum for their country); a language affsite has no pages in gets the English ones, and says so. "
        "Without --marketplace, the marketplace of that country (de-AT: EBAY_AT) or language (de: EBAY_DE)",
    )
    new.add_argument(
        "--marketplace",
        metavar="ID",
        help="the eBay marketplace the listings come from: EBAY_US (the default), EBAY_GB, EBAY_DE, EBAY_AT, EBAY_CH, "
        "EBAY_FR, EBAY_IT, EBAY_ES, EBAY_NL, EBAY_BE, EBAY_PL, EBAY_IE, EBAY_CA, EBAY_AU; without --lang, the site "
        "is in its language",
    )
    new.set_defaults(func=_run_new)

    for module in ("builder.catalog.commands", "builder.endpoint.commands", "builder.serve_commands"):
        _register(module, commands)
    return parser


_BUILD_HELP = """Build the static site. Without eBay credentials in the environment (EBAY_CLIENT_ID,
EBAY_CLIENT_SECRET) it builds from the bundled demo catalog and marks every page as demo data."""


def _register(module_name: str, commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    import importlib

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return  # that subsystem is not part of this installation
    module.register(commands)


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."), help="the site folder with site.yaml (default: .)")


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s", stream=sys.stderr)
    # httpx logs every request at INFO; that is our job (and its URLs must not leak into CI logs verbatim).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def _run_check(args: argparse.Namespace) -> int:
    from .catalog.schedule import coverage
    from .content import load_site
    from .i18n import check_language
    from .legal import check_legal_pages
    from .themes import Theme

    root = args.root.resolve()
    site = load_site(root, drafts=True)  # a draft guide is checked like any other
    guides = f", {len(site.guides)} guides" if site.guides else ""
    print(
        f"ok: site.yaml, {len(site.config.categories)} categories{guides} and {len(site.pages)} pages have no mistakes",
    )
    # Not mistakes in a file, so not a failure: settings that cannot keep every price visible between rebuilds.
    for problem in coverage(site.config).problems():
        print(f"warning: {problem}")
    for line in check_language(root, site.config.site, Theme.of_site(root)):
        print(line)
    for line in check_legal_pages(root, site):
        print(line)
    if site.config.site.editions:
        from .editions import editions_of

        shown = [
            f"{e.key} at {e.path} ({e.market.id}, {e.market.currency}, {e.lang})" for e in editions_of(site.config.site)
        ]
        print("editions: " + "; ".join(shown))
    return 0


def _run_new(args: argparse.Namespace) -> int:
    from .newsite import run_new_command

    return run_new_command(
        args.dir, theme_copy=args.theme_copy, force=args.force, lang=args.lang, marketplace=args.marketplace
    )


def _run_build(args: argparse.Namespace) -> int:
    from .build import run_build_command

    return run_build_command(
        args.root,
        output=args.output,
        cache_dir=args.cache_dir,
        live=args.live,
        catalog_dir=args.catalog_dir,
        plan=args.plan,
        strict=args.strict,
        max_stale=args.max_stale,
        only_expired=args.only_expired,
    )
