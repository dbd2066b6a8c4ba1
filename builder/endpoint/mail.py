"""Mails: built with the standard library, sent over SMTP (or, in --dev without a server, to files) by the outbox's
sender (`sender.py`), never by a request.

Every mail carries an unsubscribe link and the RFC 2369 / RFC 8058 headers `List-Unsubscribe` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so mail clients offer a one-step unsubscribe.
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import smtplib
import socket
import ssl
import textwrap
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from ..formatting import format_datetime
from ..i18n import gettext as _
from .language import Language
from .settings import Settings

log = logging.getLogger("affsite.endpoint.mail")


# RFC 5322 allows lines of 998 characters. At the default 78 a List-Unsubscribe URL (one long token) would be
# RFC 2047-encoded, and mail clients would not find the URL in it.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def sender_domain(settings: Settings) -> str:
    return settings.sender.rsplit("@", 1)[-1]


def confirmation_message(
    settings: Settings,
    to: str,
    confirm_url: str,
    unsubscribe_url: str,
    *,
    expires: datetime,
    language: Language,
    message_id: str | None = None,
) -> EmailMessage:
    """The double opt-in mail, in the site's language (the catalog language.py activated); `expires` is shown in the
    site's time zone as its locale writes a date."""
    name = settings.display_name
    until = format_datetime(expires, language.lang, language.timezone)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = _("Please confirm your subscription to %(site)s") % {"site": name}
    message["From"] = settings.sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id or make_msgid(domain=sender_domain(settings))
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    paragraphs = [
        _("Hello,"),
        _(
            "Someone, hopefully you, asked to receive the %(site)s newsletter at this address. To confirm, open "
            "this link and press the button on the page:"
        )
        % {"site": name},
        f"  {confirm_url}",
        # Translators: %(time)s is a date and time with its zone, as "Dec 4, 2026, 10:00 AM EST"
        _(
            "The link works until %(time)s. If you did not ask for this, ignore this mail: you will not hear from us again."
        )
        % {"time": until},
        _("Unsubscribe at any time: %(url)s") % {"url": unsubscribe_url},
    ]
    # lines of at most 78 characters as mail readers expect (RFC 5322), URLs unbroken so they stay clickable
    wrapped = [
        p if p.startswith(" ") else textwrap.fill(p, 78, break_long_words=False, break_on_hyphens=False)
        for p in paragraphs
    ]
    message.set_content("\n\n".join(wrapped) + "\n")
    return message


class MailError(Exception):
    """A mail was not sent. `permanent`: the server refused it for good (5xx), trying again will not help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class SmtpMailer:
    """Sends one mail over SMTP with STARTTLS (default), implicit TLS, or plain (a local relay).

    Three bounds keep a slow or hung server from holding the sender: `timeout` for the connection and for each
    command's answer (the socket timeout), and `send_timeout` for the whole exchange, after which a watchdog shuts
    the socket down (a blocked read returns at once). There is no retry here: the outbox retries, with backoff.
    """

    def __init__(self, settings: Settings, *, timeout: float | None = None, send_timeout: float | None = None) -> None:
        self._settings = settings
        self._timeout = settings.smtp_timeout if timeout is None else timeout
        self._send_timeout = settings.smtp_send_timeout if send_timeout is None else send_timeout
        self._aborters: set[Callable[[], None]] = set()
        self._lock = threading.Lock()
        self._client: smtplib.SMTP | None = None  # kept open between mails of one busy spell

    def abort(self) -> None:
        """Cut off the sends in progress (at shutdown: a hung server must not hold the process)."""
        with self._lock:
            aborters = list(self._aborters)
        for aborter in aborters:
            aborter()

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.smtp_security == "ssl":
            return smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=self._timeout, context=ssl.create_default_context()
            )
        client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self._timeout)
        if s.smtp_security == "starttls":
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: EmailMessage) -> None:
        """Send one mail, on the connection of the previous one if it is still open (one connection per mail
        would cost a TCP and TLS handshake and a login each). Call only from one thread (the sender's)."""
        holder: list[smtplib.SMTP] = []
        expired = threading.Event()

        def watchdog() -> None:
            expired.set()
            for client in holder:
                sock = getattr(client, "sock", None)
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(self._send_timeout, watchdog)
        timer.daemon = True
        timer.start()
        with self._lock:
            self._aborters.add(watchdog)
        try:
            reused = self._client is not None
            try:
                self._send_on(self._open(holder, expired, watchdog), message)
            except smtplib.SMTPServerDisconnected:
                if not reused or expired.is_set():
                    raise
                # the server closed the idle connection it had kept: once more on a new one
                self._client = None
                self._send_on(self._open(holder, expired, watchdog), message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.release()
            codes = [code for code, _ in exc.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            raise MailError(f"SMTPRecipientsRefused {codes[0] if codes else ''}".strip(), permanent=permanent) from None
        except smtplib.SMTPResponseException as exc:
            self.release()
            raise MailError(f"{type(exc).__name__} {exc.smtp_code}", permanent=exc.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            reason = "SMTP send timed out" if expired.is_set() else type(exc).__name__
            raise MailError(reason, permanent=False) from None
        finally:
            timer.cancel()
            with self._lock:
                self._aborters.discard(watchdog)

    def _open(self, holder: list[smtplib.SMTP], expired: threading.Event, watchdog: Callable[[], None]) -> smtplib.SMTP:
        if self._client is None:
            client = self._connect()
            if self._settings.smtp_username:
                holder.append(client)
                client.login(self._settings.smtp_username, self._settings.smtp_password.reveal())
            self._client = client
        holder.append(self._client)
        if expired.is_set():
            watchdog()
        return self._client

    @staticmethod
    def _send_on(client: smtplib.SMTP, message: EmailMessage) -> None:
        client.send_message(message)

    def release(self) -> None:
        """Close the kept connection politely (QUIT); the sender calls it when it has nothing more to send."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                client.quit()
            with contextlib.suppress(OSError):
                client.close()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.close()


class FileMailer:
    """--dev without SMTP: each mail becomes an .eml file in a folder, to open with any mail program."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def send(self, message: EmailMessage) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(bytes(message))
        log.info("mail written to the dev outbox", extra={"file": path.name})


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return FileMailer(Path(settings.outbox_dir))
