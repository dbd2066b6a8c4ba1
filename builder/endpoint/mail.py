"""Confirmation mails: built with the standard library, sent over SMTP (or, in --dev without a server, to
files).

Every mail carries an unsubscribe link and the RFC 2369 / RFC 8058 headers `List-Unsubscribe` and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, so mail clients offer a one-step unsubscribe.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from .settings import Settings

log = logging.getLogger("affsite.endpoint.mail")


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def confirmation_message(settings: Settings, to: str, confirm_url: str, unsubscribe_url: str) -> EmailMessage:
    name = settings.display_name
    message = EmailMessage()
    message["Subject"] = f"Please confirm your subscription to {name}"
    message["From"] = settings.sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1])
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"Hello,\n\n"
        f"someone, hopefully you, asked to receive the {name} newsletter at this address.\n"
        f"To confirm, open this link and press the button on the page:\n\n"
        f"  {confirm_url}\n\n"
        f"The link works for {settings.confirm_ttl_hours} hours. If you did not ask for this, ignore this\n"
        f"mail: you will not hear from us again.\n\n"
        f"Unsubscribe at any time: {unsubscribe_url}\n"
    )
    return message


class SmtpMailer:
    """Sends over SMTP with STARTTLS (default), implicit TLS, or plain (a local relay); retries twice."""

    def __init__(self, settings: Settings, *, timeout: float = 15.0, attempts: int = 3) -> None:
        self._settings = settings
        self._timeout = timeout
        self._attempts = attempts

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
        for attempt in range(1, self._attempts + 1):
            try:
                with self._connect() as client:
                    if self._settings.smtp_username:
                        client.login(self._settings.smtp_username, self._settings.smtp_password.reveal())
                    client.send_message(message)
                return
            except (OSError, smtplib.SMTPException) as exc:
                transient = not isinstance(exc, smtplib.SMTPResponseException) or (
                    exc.smtp_code >= 400 and exc.smtp_code < 500
                )
                log.warning("mail not sent", extra={"attempt": attempt, "error": type(exc).__name__})
                if attempt == self._attempts or not transient:
                    raise
                time.sleep(0.5 * attempt)


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
