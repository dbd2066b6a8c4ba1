"""CLI command of the local preview: `affsite serve`. Only argparse here; the server is imported in the handler."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="preview the site on localhost; rebuilds and reloads the browser when you edit",
        description="Build the site, serve it on localhost, rebuild when site.yaml, content/ or templates/ change, "
        "and reload the browser. Uses the eBay answers already in the cache (or the demo catalog); makes no eBay "
        "calls unless --live. Clicks and newsletter sign-ups go to a local endpoint with its own SQLite database.",
    )
    serve.add_argument("--root", type=Path, default=Path("."), help="the site folder with site.yaml (default: .)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    source = serve.add_mutually_exclusive_group()
    source.add_argument("--live", action="store_true", help="call the eBay Browse API (spends the call budget)")
    source.add_argument("--catalog-dir", type=Path, help="read Browse search responses from DIR/<category>.json")
    serve.add_argument(
        "--output",
        type=Path,
        help="where to write the preview (default: CACHE/preview/site, so output/ is never a preview build)",
    )
    serve.add_argument("--cache-dir", type=Path, help="the eBay answer cache (default: site.yaml's cache_dir)")
    serve.add_argument("--no-watch", action="store_true", help="build once and serve; do not watch for edits")
    serve.set_defaults(func=_run_serve)


def _run_serve(args: argparse.Namespace) -> int:
    from .errors import UsageError

    if not 1 <= args.port <= 65535:
        raise UsageError("--port must be between 1 and 65535")
    from .serve import PreviewOptions, run_preview

    options = PreviewOptions(
        root=args.root.resolve(),
        host=args.host,
        port=args.port,
        live=args.live,
        catalog_dir=args.catalog_dir,
        output_dir=args.output,
        cache_dir=args.cache_dir,
        watch=not args.no_watch,
    )
    return run_preview(options)
