"""CLI commands of the endpoint: `affsite endpoint [migrate]`, `affsite subscribers export|delete|pending`,
`affsite stats`.

Only argparse is imported here; FastAPI, SQLAlchemy and uvicorn are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import clock


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    endpoint = commands.add_parser(
        "endpoint",
        help="run the click and subscribe endpoint (or `endpoint migrate`)",
        description="Run the endpoint with uvicorn. Configuration comes from environment variables "
        "(DATABASE_URL, AFFSITE_SITE_URL, AFFSITE_SECRET_KEY, AFFSITE_MANIFEST, SMTP_*); see docs/endpoint.md.",
    )
    endpoint.add_argument(
        "action", nargs="?", choices=["serve", "migrate"], default="serve", help="serve (default) or migrate"
    )
    endpoint.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    endpoint.add_argument("--port", type=int, default=8001, help="port (default: 8001)")
    endpoint.add_argument("--workers", type=int, default=1, help="worker processes (default: 1)")
    endpoint.add_argument(
        "--dev", action="store_true", help="development mode: no secret key or SMTP server needed, API docs on"
    )
    endpoint.set_defaults(func=_run_endpoint)

    subscribers = commands.add_parser("subscribers", help="export or erase newsletter subscribers")
    actions = subscribers.add_subparsers(title="actions", metavar="ACTION")
    export = actions.add_parser("export", help="CSV of confirmed subscribers (to stdout or --output)")
    export.add_argument("--output", "-o", help="write the CSV to this file instead of stdout")
    export.set_defaults(func=_run_export)
    delete = actions.add_parser("delete", help="erase one person (every stored field) by address")
    delete.add_argument("email", metavar="EMAIL")
    delete.set_defaults(func=_run_delete)
    pending = actions.add_parser(
        "pending", help="list sign-ups that are not confirmed yet, and the state of their confirmation mail"
    )
    pending.add_argument(
        "--resend", action="store_true", help="queue a new confirmation mail for each (the endpoint sends it)"
    )
    pending.set_defaults(func=_run_pending)
    subscribers.set_defaults(func=lambda _args: _usage(subscribers))

    newsletter = commands.add_parser("newsletter", help="send the newsletter digest (after a build)")
    newsletter_actions = newsletter.add_subparsers(title="actions", metavar="ACTION")
    send = newsletter_actions.add_parser(
        "send",
        help="queue a digest of new listings for every subscriber whose digest is due",
        description="Reads the build's manifest (no eBay calls) and queues one mail per due subscriber in the "
        "outbox; the running endpoint sends them. Refuses unless site.yaml has newsletter_mail.epn_email_approved: "
        "true. Safe to run twice. Needs DATABASE_URL and AFFSITE_SECRET_KEY as the endpoint has them.",
    )
    send.add_argument("--root", type=Path, default=Path("."), help="the site folder (default: .)")
    send.add_argument("--output", type=Path, default=None, help="the build's output folder (default: <root>/output)")
    send.add_argument("--dry-run", action="store_true", help="show what would be queued; queue nothing")
    send.set_defaults(func=_run_newsletter_send)
    newsletter.set_defaults(func=lambda _args: _usage(newsletter))

    stats = commands.add_parser("stats", help="clicks by day, category and item (bots left out)")
    stats.add_argument("--days", type=int, default=30, help="how many days back, today included (default: 30)")
    stats.add_argument("--top", type=int, default=20, help="how many categories and items to list (default: 20)")
    stats.set_defaults(func=_run_stats)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _open_store() -> Any:
    from .migrate import check_schema
    from .settings import database_url_from_env
    from .store import Store

    store = Store.from_url(database_url_from_env())
    try:
        check_schema(store.engine, create_if_empty=False)
    except Exception:
        store.close()
        raise
    return store


def _run_endpoint(args: argparse.Namespace) -> int:
    from ..errors import UsageError

    if args.action == "migrate":
        return _run_migrate()
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers must be between 1 and 64")
    if not 1 <= args.port <= 65535:
        raise UsageError("--port must be between 1 and 65535")
    import os

    import uvicorn

    from .logs import configure_json_logging, uvicorn_log_config
    from .migrate import check_schema, report_to_log
    from .settings import load_settings
    from .store import make_engine

    if args.dev:
        os.environ["AFFSITE_DEV"] = "1"  # the workers read their settings from the environment
    settings = load_settings()  # refuse to start on a bad configuration, before any worker exists
    configure_json_logging()
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        check_schema(engine, create_if_empty=settings.is_sqlite, report=report_to_log)
    finally:
        engine.dispose()
    uvicorn.run(
        "builder.endpoint.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,  # the app decides which proxies to trust (AFFSITE_TRUSTED_PROXIES)
        server_header=False,
        access_log=False,  # it would log client IPs and query strings (tokens)
        log_config=uvicorn_log_config(),
        timeout_graceful_shutdown=20,
        h11_max_incomplete_event_size=16 * 1024,
        limit_concurrency=settings.max_connections,  # beyond it: an immediate 503, not a growing queue
        timeout_keep_alive=5,  # idle keep-alive connections are closed after 5 s
    )
    return 0


def _run_migrate() -> int:
    from .migrate import upgrade
    from .settings import database_url_from_env
    from .store import make_engine

    engine = make_engine(database_url_from_env(), pool_size=1)
    try:
        upgrade(engine, report=print)  # one line per applied migration, or one "up to date" line
    finally:
        engine.dispose()
    return 0


def _normalize(email: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    from ..errors import UsageError

    try:
        return validate_email(email, check_deliverability=False).normalized.casefold()
    except EmailNotValidError as exc:
        raise UsageError(f"{email!r} is not a valid email address: {exc}") from None


def _run_export(args: argparse.Namespace) -> int:
    import csv
    import io
    import os
    import tempfile

    store = _open_store()
    try:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["email", "subscribed_at", "confirmed_at", "consent_ip_hash"])
        count = 0
        for person in store.confirmed_subscribers():
            confirmed = person.confirmed_at.isoformat() if person.confirmed_at else ""
            row = [person.email, person.created_at.isoformat(), confirmed, person.consent_ip_hash or ""]
            writer.writerow([_csv_safe(cell) for cell in row])
            count += 1
    finally:
        store.close()
    if args.output:
        folder = os.path.dirname(os.path.abspath(args.output))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".subscribers-", suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(buffer.getvalue())
        os.chmod(tmp, 0o600)  # personal data: readable by the owner only
        os.replace(tmp, args.output)
        print(f"exported {count} confirmed subscriber(s) to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def _csv_safe(cell: str) -> str:
    """Cells a spreadsheet would run as a formula get a leading apostrophe."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _run_delete(args: argparse.Namespace) -> int:
    import os

    from ..errors import AffsiteError
    from .tokens import keyed_hash

    key = _normalize(args.email)
    secret = os.environ.get("AFFSITE_SECRET_KEY", "")
    # the per-address rate-limit counter is keyed with the secret key; without it, it expires within two days
    keys = [f"sub-addr:{keyed_hash(secret, 'address', key)}"] if secret else []
    store = _open_store()
    try:
        deleted = store.delete_subscriber(key, keys)
    finally:
        store.close()
    if not deleted:
        raise AffsiteError("no subscriber has that address; nothing was deleted")
    print("deleted the subscriber and everything stored about them (their mails and rate-limit counters too)")
    if not secret:
        print(
            "note: AFFSITE_SECRET_KEY is not set, so the sign-up counter of this address (a keyed hash) could not "
            "be found; it expires on its own within two days",
            file=sys.stderr,
        )
    return 0


def _run_pending(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .schema import outbox

    store = _open_store()
    now = clock.now()
    try:
        people = store.pending()
        with store.engine.connect() as connection:
            states = {
                int(row.subscriber_id): (row.status, row.attempts, row.last_error)
                for row in connection.execute(
                    select(outbox.c.subscriber_id, outbox.c.status, outbox.c.attempts, outbox.c.last_error)
                    .where(outbox.c.kind == "confirm")
                    .order_by(outbox.c.id)
                )
            }
        queued = 0
        for person in people:
            hours = (now - person.requested_at).total_seconds() / 3600
            status, attempts, error = states.get(person.subscriber_id, ("none", 0, None))
            mail = (
                f"mail {status}"
                + (f" after {attempts} attempt(s)" if attempts else "")
                + (f": {error}" if error else "")
            )
            print(f"{person.email}\tsigned up {hours:.1f} h ago\t{mail}")
            if args.resend and store.resend_confirmation(person.subscriber_id, now):
                queued += 1
    finally:
        store.close()
    print(f"{len(people)} sign-up(s) waiting for confirmation", file=sys.stderr)
    if args.resend:
        print(
            f"queued {queued} new confirmation mail(s); the running endpoint sends them "
            f"({len(people) - queued} already had one waiting)",
            file=sys.stderr,
        )
    return 0


def _run_newsletter_send(args: argparse.Namespace) -> int:
    from .newsletter import send

    store = _open_store()
    try:
        result = send(
            args.root,
            store,
            clock.now(),
            output_dir=args.output,
            dry_run=args.dry_run,
            progress=sys.stderr.isatty(),
        )
    finally:
        store.close()
    if args.dry_run:
        print("dry run: nothing was queued. The first digest would be:\n")
        print(result.sample or "(no subscriber has anything new)")
    verb = "would queue" if args.dry_run else "queued"
    print(
        f"{verb} {result.queued} digest(s); {result.nothing_new} subscriber(s) had nothing new, "
        f"{result.not_due} are not due yet, {result.already_queued} had this edition already",
        file=sys.stderr,
    )
    return 0


def _run_stats(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from rich.console import Console
    from rich.table import Table

    from ..errors import UsageError

    if not 1 <= args.days <= 3660:
        raise UsageError("--days must be between 1 and 3660")
    since = clock.now().date() - timedelta(days=args.days - 1)
    store = _open_store()
    try:
        stats = store.click_stats(since)
    finally:
        store.close()
    console = Console()
    total = sum(n for _, n in stats["day"])
    console.print(
        f"Clicks since {since.isoformat()} (UTC days): {total} by people; {stats['bots'][0][1]} by bots, left out."
    )
    for title, key, label, limit in (
        ("Clicks by day", "day", "day", None),
        ("Clicks by category", "category", "category", args.top),
        ("Clicks by item", "item", "item id", args.top),
    ):
        table = Table(title=title)
        table.add_column(label)
        table.add_column("clicks", justify="right")
        rows = stats[key] if limit is None else stats[key][:limit]
        for name, count in rows:
            table.add_row(name or "(none)", str(count))
        if not rows:
            table.add_row("(no clicks)", "")
        console.print(table)
    return 0
