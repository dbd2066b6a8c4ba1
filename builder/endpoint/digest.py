"""The newsletter digest: which listings go to whom, and the mail itself (HTML and plain text).

Everything comes from the build's manifest (`affsite-manifest.json`, which carries each listing's price, its age
and when it was listed); composing a digest never calls eBay. Links go straight to eBay as tracked EPN links with a
`customid` naming the edition (`newsletter-2026-12-02`), so EPN reports show what the newsletter earned and no
redirect through the site's domain is involved.

The mail's own texts are in the site's language (the catalog `affsite newsletter send` activated, builder.i18n), its
prices, dates and times as the site's locale writes them, in the site's time zone (formatting.py).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from babel.dates import format_date

from ..formatting import babel_locale, format_datetime, format_money
from ..i18n import gettext as _
from ..i18n import ngettext
from ..manifest import Manifest
from .mail import MAIL_POLICY

FREQUENCIES = {"weekly": timedelta(days=7), "daily": timedelta(days=1)}
# a digest due "weekly" is due again after 7 days less this, so a scheduled run a little early does not skip a week
SCHEDULE_SLACK = timedelta(hours=2)


@dataclass(frozen=True)
class DigestItem:
    item_id: str
    title: str
    url: str
    path: str
    categories: tuple[str, ...]
    price: Decimal | None
    currency: str
    fetched_at: datetime | None
    listed_at: datetime


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def digest_items(manifest: Manifest) -> list[DigestItem]:
    """The manifest's listings that say when they were listed (only those can be "new"), newest first.

    On a site with editions only those of the edition at / (no `edition` in the manifest): the digest is written in
    its language and currency; a digest per edition is not made yet."""
    items = []
    for entry in manifest.items.values():
        listed = _time(entry.listed_at)
        if listed is None or entry.edition:
            continue
        try:
            price = Decimal(entry.price) if entry.price else None
        except InvalidOperation:
            price = None
        items.append(
            DigestItem(
                entry.item_id,
                entry.title,
                entry.url,
                entry.path,
                entry.categories,
                price,
                entry.currency,
                _time(entry.fetched_at),
                listed,
            )
        )
    return sorted(items, key=lambda i: (i.listed_at, i.item_id), reverse=True)


def is_due(frequency: str, last_digest_at: datetime | None, now: datetime) -> bool:
    if last_digest_at is None:
        return True
    return now - last_digest_at >= FREQUENCIES.get(frequency, FREQUENCIES["weekly"]) - SCHEDULE_SLACK


def choose(
    items: list[DigestItem], *, since: datetime, categories: frozenset[str] | None, limit: int
) -> list[DigestItem]:
    """Listings new since `since` in the chosen categories (None: all), newest first, at most `limit`."""
    chosen = [
        item
        for item in items
        if item.listed_at > since and (categories is None or categories.intersection(item.categories))
    ]
    return chosen[:limit]


def with_customid(url: str, customid: str) -> str:
    """The tracked eBay URL with EPN's `customid` set (replacing one the build put there)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "customid"]
    query.append(("customid", customid))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _age(fetched_at: datetime | None, now: datetime, locale: str, timezone: str) -> str:
    if fetched_at is None:
        return _("check eBay for the current price")
    hours = max(int((now - fetched_at).total_seconds() // 3600), 0)
    if hours < 1:
        return _("price as of %(time)s (less than an hour before this mail); it may have changed since") % {
            "time": format_datetime(fetched_at, locale, timezone)
        }
    return ngettext(
        "price as of %(time)s (%(num)d hour before this mail); it may have changed since",
        "price as of %(time)s (%(num)d hours before this mail); it may have changed since",
        hours,
    ) % {"time": format_datetime(fetched_at, locale, timezone), "num": hours}


@dataclass(frozen=True)
class Edition:
    """What every digest of one run shares."""

    site_name: str
    site_url: str
    sender: str
    postal_address: str
    locale: str
    date: str  # 2026-12-02: names the edition, the customid and the outbox key
    timezone: str = "UTC"  # the site's: the times in the mail are shown in it

    @property
    def customid(self) -> str:
        return f"newsletter-{self.date}"

    @property
    def shown_date(self) -> str:
        """The edition's date as the site's locale writes it (`Dec 2, 2026`, `02.12.2026`)."""
        return format_date(datetime.fromisoformat(self.date).date(), "medium", locale=babel_locale(self.locale))


def compose(
    edition: Edition,
    *,
    to: str,
    items: list[DigestItem],
    now: datetime,
    unsubscribe_url: str,
    preferences_url: str,
    message_id: str,
) -> EmailMessage:
    name = edition.site_name
    day = edition.shown_date
    lines = [_("%(site)s: new on the site since your last digest (%(date)s)") % {"site": name, "date": day}, ""]
    cards = []
    for item in items:
        link = with_customid(item.url, edition.customid)
        price = format_money(item.price, item.currency, edition.locale) if item.price is not None else _("See eBay")
        age = _age(item.fetched_at, now, edition.locale, edition.timezone)
        lines += [f"* {item.title}", f"  {price} - {age}", f"  {link}", ""]
        cards.append(
            '<tr><td style="padding:12px 0;border-bottom:1px solid #e3e6ea">'
            f'<a href="{html.escape(link)}" style="color:#0b57d0;font-weight:600;text-decoration:none">'
            f"{html.escape(item.title)}</a><br>"
            f'<span style="font-size:18px;font-weight:700">{html.escape(price)}</span> '
            f'<span style="color:#5f6368;font-size:13px">{html.escape(age)}</span></td></tr>'
        )
    disclosure = _(
        "%(site)s is a participant in the eBay Partner Network; we may earn a commission when you buy through "
        "these links. Prices and availability are eBay's and may change."
    ) % {"site": name}
    # Translators: %(url)s is the site's address; in the HTML part it is a link
    why = _("You get this because you subscribed at %(url)s.")
    choose_text = _("Choose categories and how often")
    lines += [
        "--",
        why % {"url": edition.site_url},
        # Translators: the digest's plain-text footer; %(url)s is the preferences link.
        _("Choose categories and how often: %(url)s") % {"url": preferences_url},
        _("Unsubscribe in one step: %(url)s") % {"url": unsubscribe_url},
        disclosure,
        edition.postal_address,
    ]
    since_last = _("New deals since your last digest")  # outside the f-string: pybabel extract does not look inside
    site_link = f'<a href="{html.escape(edition.site_url)}">{html.escape(edition.site_url)}</a>'
    lang = html.escape(edition.locale)
    body_html = (
        f'<!doctype html><html lang="{lang}"><body '
        'style="margin:0;background:#f6f7f9;font-family:system-ui,sans-serif;color:#222">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
        'style="max-width:600px;background:#fff;padding:24px">'
        f'<tr><td><h1 style="font-size:22px;margin:0 0 4px">{html.escape(name)}</h1>'
        f'<p style="color:#5f6368;margin:0 0 12px">{html.escape(since_last)} · '
        f"{html.escape(day)}</p>"
        f"</td></tr>{''.join(cards)}"
        '<tr><td style="padding-top:20px;color:#5f6368;font-size:12px;line-height:1.5">'
        f"{html.escape(why) % {'url': site_link}}<br>"
        f'<a href="{html.escape(preferences_url)}">{html.escape(choose_text)}</a> · '
        f'<a href="{html.escape(unsubscribe_url)}">{html.escape(_("Unsubscribe"))}</a><br>'
        f"{html.escape(disclosure)}<br>{html.escape(edition.postal_address)}</td></tr>"
        "</table></td></tr></table></body></html>"
    )
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = ngettext(
        "%(site)s: %(num)d new deal (%(date)s)", "%(site)s: %(num)d new deals (%(date)s)", len(items)
    ) % {"site": name, "num": len(items), "date": day}
    message["From"] = edition.sender
    message["To"] = to
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    message["Message-ID"] = message_id
    message["List-Id"] = f"{name} <newsletter.{urlsplit(edition.site_url).hostname or 'localhost'}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join(lines) + "\n")
    message.add_alternative(body_html, subtype="html")
    return message
