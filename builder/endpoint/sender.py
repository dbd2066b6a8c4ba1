"""The sender: a loop in each endpoint process that delivers the outbox (`outbox.py`).

Requests never wait on SMTP: they only insert outbox rows and wake this loop. SMTP runs on one thread of its own
(not the request thread pool), each mail bounded by the mailer's timeouts, so a refusing or hung mail server delays
mail and nothing else. The loop also runs the hourly purge of data the endpoint no longer needs (GDPR).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from . import outbox
from .language import SiteLanguage
from .mail import Mailer, MailError, confirmation_message, sender_domain
from .settings import Settings
from .store import Store
from .tokens import Signer

log = logging.getLogger("affsite.endpoint.sender")

BATCH = 10
PURGE_EVERY = timedelta(hours=1)


class Sender:
    def __init__(
        self,
        *,
        store: Store,
        settings: Settings,
        signer: Signer,
        mailer: Mailer,
        clock: Callable[[], datetime],
        language: SiteLanguage | None = None,
    ) -> None:
        self._store = store
        self._language = language or SiteLanguage()
        self._settings = settings
        self._signer = signer
        self._mailer = mailer
        self._clock = clock
        self._smtp = ThreadPoolExecutor(max_workers=1, thread_name_prefix="affsite-smtp")
        self._wakers: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._last_purge: datetime | None = None
        # a claimed batch must be finished before its lease runs out, or another instance takes it over
        per_mail = settings.smtp_send_timeout + settings.smtp_timeout + 5
        self._lease = max(outbox.LEASE, timedelta(seconds=2 * BATCH * per_mail))

    def wake(self) -> None:
        """A mail was queued: look now instead of at the next poll (callable from any thread or event loop)."""
        for loop, event in list(self._wakers):
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        wake = asyncio.Event()
        # one app may run its lifespan in more than one event loop (test clients do): each run has its own event
        waker = (asyncio.get_running_loop(), wake)
        self._wakers.append(waker)
        try:
            await self._loop_forever(wake)
        finally:
            self._wakers.remove(waker)

    async def _loop_forever(self, wake: asyncio.Event) -> None:
        while True:
            wake.clear()
            sent = 0
            try:
                sent = await self.drain_once()
                await self._purge_if_due()
            except SQLAlchemyError as exc:
                log.error("outbox: database unavailable", extra={"error": type(exc).__name__})
            except Exception:  # a bug must not stop the mail for good: log it and go on at the next poll
                log.exception("outbox: the sender failed")
            if sent == 0:
                release = getattr(self._mailer, "release", None)
                if callable(release):  # nothing more to send: close the mail server connection kept open
                    await asyncio.get_running_loop().run_in_executor(self._smtp, release)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._settings.outbox_poll_seconds)

    def close(self) -> None:
        abort = getattr(self._mailer, "abort", None)
        if callable(abort):
            abort()  # a send stuck on a hung server ends now (its mail stays queued and is retried)
        self._smtp.shutdown(wait=False, cancel_futures=True)

    async def drain_once(self) -> int:
        """Claim the due mails and try each once; returns how many were claimed."""
        mails = await run_in_threadpool(outbox.claim, self._store.engine, self._clock(), limit=BATCH, lease=self._lease)
        for index, mail in enumerate(mails):
            outcome = await self._deliver(mail)
            if outcome == "unreachable":
                # the server is down: the rest of the batch would only wait for the same timeout
                now = self._clock()
                for rest in mails[index + 1 :]:
                    await run_in_threadpool(
                        outbox.mark_failed_attempt,
                        self._store.engine,
                        rest,
                        now,
                        "not tried: server down",
                        permanent=False,
                    )
                break
        return len(mails)

    async def _deliver(self, mail: outbox.Mail) -> str:
        message = await run_in_threadpool(self._compose, mail)
        engine = self._store.engine
        if message is None:
            await run_in_threadpool(outbox.mark_dropped, engine, mail.id, "no longer wanted")
            log.info("outbox: mail dropped", extra={"mail": mail.id, "kind": mail.kind})
            return "dropped"
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._smtp, self._mailer.send, message)
        except MailError as exc:
            state = await run_in_threadpool(
                outbox.mark_failed_attempt, engine, mail, self._clock(), exc.reason, permanent=exc.permanent
            )
            log.warning(
                "outbox: mail not sent",
                extra={
                    "mail": mail.id,
                    "kind": mail.kind,
                    "attempt": mail.attempts,
                    "error": exc.reason,
                    "next": state,
                },
            )
            return "refused" if exc.permanent else "unreachable"
        except Exception as exc:  # a bug in composing or a mailer: keep the row, try later
            reason = type(exc).__name__
            await run_in_threadpool(outbox.mark_failed_attempt, engine, mail, self._clock(), reason, permanent=False)
            log.error("outbox: mail not sent", extra={"mail": mail.id, "error": reason})
            return "unreachable"
        await run_in_threadpool(outbox.mark_sent, engine, mail.id, self._clock())
        log.info("outbox: mail sent", extra={"mail": mail.id, "kind": mail.kind, "attempt": mail.attempts})
        return "sent"

    def _compose(self, mail: outbox.Mail) -> EmailMessage | None:
        settings = self._settings
        message_id = outbox.message_id(mail.key, sender_domain(settings))
        if mail.kind == "confirm":
            target = self._store.confirmation_target(mail.subscriber_id)
            if target is None:
                return None
            expires = target.requested_at + timedelta(hours=settings.confirm_ttl_hours)
            if expires <= self._clock():
                return None
            confirm = self._signer.make("confirm", target.subscriber_id, nonce=target.nonce, expires=expires)
            unsubscribe = self._signer.make("unsubscribe", target.subscriber_id)
            return confirmation_message(
                settings,
                target.email,
                f"{settings.public_base}/api/confirm?token={confirm}",
                f"{settings.public_base}/api/unsubscribe?token={unsubscribe}",
                expires=expires,
                language=self._language.current,
                message_id=message_id,
            )
        if mail.message is None or self._store.subscriber_email(mail.subscriber_id, "confirmed") is None:
            return None
        parsed = email.message_from_string(mail.message, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    async def _purge_if_due(self) -> None:
        now = self._clock()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        counts = await run_in_threadpool(
            self._store.purge,
            now,
            confirm_ttl=timedelta(hours=self._settings.confirm_ttl_hours),
            unsubscribed_after=timedelta(days=self._settings.purge_unsubscribed_days),
        )
        if any(counts.values()):
            log.info("purged", extra={"purged_" + name: n for name, n in counts.items()})
