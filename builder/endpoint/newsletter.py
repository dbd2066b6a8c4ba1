"""`affsite newsletter send`: queue one digest per confirmed subscriber whose digest is due.

Run after a build (the scheduled rebuild can do it as its last step). It reads the build's manifest, not eBay, and
writes one outbox row per digest, in the same transaction that records the person's last digest; the running
endpoint's sender delivers them. Each digest's outbox key names the person and the day's edition, so a second run
(the same day, or after a crash half-way) queues nothing twice.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .. import i18n
from ..content import load_site
from ..errors import UsageError
from ..manifest import MANIFEST_NAME, ManifestError, parse_manifest
from ..themes import Theme
from . import digest, outbox
from .store import Store
from .tokens import Signer


@dataclass
class SendResult:
    queued: int = 0
    nothing_new: int = 0
    not_due: int = 0
    already_queued: int = 0
    sample: str = ""  # the plain-text part of the first digest (for --dry-run)


def approval_error(site_yaml: Path) -> UsageError:
    return UsageError(
        f"{site_yaml}: newsletter_mail.epn_email_approved is not true. Promoting eBay by e-mail needs EPN's prior "
        "written approval (EPN network agreement); once you have it, set newsletter_mail.epn_email_approved: true "
        "and newsletter_mail.postal_address in site.yaml. Nothing was sent."
    )


def send(
    root: Path,
    store: Store,
    now: datetime,
    *,
    output_dir: Path | None = None,
    dry_run: bool = False,
    progress: bool = False,
) -> SendResult:
    site = load_site(root)
    settings = site.config.site
    mail = settings.newsletter_mail
    if not mail.epn_email_approved:
        raise approval_error(root / "site.yaml")
    if not mail.postal_address:
        raise UsageError(
            f"{root / 'site.yaml'}: newsletter_mail.postal_address is empty. Every newsletter must say who sends "
            "it: your name and postal address."
        )
    secret = os.environ.get("AFFSITE_SECRET_KEY", "")
    if len(secret) < 32:
        raise UsageError(
            "AFFSITE_SECRET_KEY is not set (or shorter than 32 characters): the digest's unsubscribe links are "
            "signed with the endpoint's key. Run with the same environment as `affsite endpoint`."
        )
    manifest_path = (output_dir or root / "output") / MANIFEST_NAME
    try:
        manifest = parse_manifest(manifest_path.read_bytes())
    except OSError as exc:
        raise UsageError(f"{manifest_path}: cannot read the build's manifest ({exc.strerror}); build first") from None
    except ManifestError as exc:
        raise UsageError(f"{manifest_path}: {exc}") from None

    # the digest speaks the site's language, with the site's own catalog over the theme's, as its pages do
    i18n.activate(i18n.load_catalogs(Theme.of_site(root), settings.lang))
    site_url = settings.root_url.rstrip("/")
    public = os.environ.get("AFFSITE_PUBLIC_URL", "").strip().rstrip("/") or site_url
    sender = os.environ.get("SMTP_FROM", "").strip() or f"newsletter@{urlsplit(site_url).hostname or 'localhost'}"
    edition = digest.Edition(
        site_name=os.environ.get("AFFSITE_SITE_NAME", "").strip() or settings.title,
        site_url=site_url,
        sender=sender,
        postal_address=mail.postal_address,
        locale=settings.lang,
        date=now.strftime("%Y-%m-%d"),
        timezone=settings.tz,
    )
    items = digest.digest_items(manifest)
    signer = Signer(secret)
    result = SendResult()
    readers = store.digest_readers()
    for index, reader in enumerate(readers, 1):
        if progress:
            print(f"\r{index}/{len(readers)} subscribers", end="", file=sys.stderr, flush=True)
        if not digest.is_due(reader.frequency, reader.last_digest_at, now):
            result.not_due += 1
            continue
        # a first digest has the newest listings; later ones what was listed since the last one
        since = reader.last_digest_at or datetime.min.replace(tzinfo=UTC)
        chosen = digest.choose(items, since=since, categories=reader.categories, limit=mail.max_items)
        if not chosen:
            result.nothing_new += 1
            continue
        key = f"digest:{reader.subscriber_id}:{edition.date}"
        unsubscribe = signer.make("unsubscribe", reader.subscriber_id)
        preferences = signer.make("preferences", reader.subscriber_id)
        message = digest.compose(
            edition,
            to=reader.email,
            items=chosen,
            now=now,
            unsubscribe_url=f"{public}/api/unsubscribe?token={unsubscribe}",
            preferences_url=f"{public}/api/preferences?token={preferences}",
            message_id=outbox.message_id(key, sender.rsplit("@", 1)[-1]),
        )
        if not result.sample:
            body = message.get_body(("plain",))
            result.sample = f"To: {reader.email}\nSubject: {message['Subject']}\n\n" + (
                body.get_content() if body is not None else ""
            )
        if dry_run or store.queue_digest(reader.subscriber_id, key, message.as_string(), now):
            result.queued += 1
        else:
            result.already_queued += 1
    if progress and readers:
        print(file=sys.stderr)
    return result
