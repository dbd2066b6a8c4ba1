"""The outbox: mails waiting to be sent, as rows of the endpoint's database.

A mail is queued by inserting a row in the same transaction as the change that needs it (a sign-up queues its
confirmation, `affsite newsletter send` queues digests), so an acknowledged request never loses its mail, whatever
happens to the process or the SMTP server afterwards. The sender (`sender.py`) claims due rows, sends them and marks
them sent; a failure moves the row's next attempt back exponentially (30 s, 1 min, 2 min, ... at most 1 h between
tries) until the mail is delivered or `GIVE_UP_AFTER` has passed.

Claiming is one UPDATE ... RETURNING over the due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL), which sets a lease
(`locked_until`): several endpoint instances on one database drain the outbox together and never pick the same row.
A row whose sender died mid-send is picked again when its lease runs out: a mail is sent at least once, and its
Message-ID comes from the row's key, so a receiving server sees a retry as the same mail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .schema import outbox

Kind = Literal["confirm", "digest"]

FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=72)
LEASE = timedelta(minutes=5)  # far longer than one send may take (sender.py bounds it)


@dataclass(frozen=True)
class Mail:
    id: int
    key: str
    kind: str
    subscriber_id: int
    message: str | None
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class OutboxStats:
    queued: int
    retrying: int
    failed: int
    oldest_queued_seconds: float | None
    last_error: str | None


def message_id(key: str, domain: str) -> str:
    """The same key gives the same Message-ID, so a resent copy is recognisably the same mail."""
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}@{domain}>"


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: 30 s, 1 min, 2 min, ..., at most 1 h."""
    wait: timedelta = FIRST_RETRY * (2 ** min(max(attempts - 1, 0), 20))  # 2**20 * 30 s is far past the cap
    return min(wait, MAX_RETRY)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite returns naive UTC


def enqueue(
    connection: Connection, *, key: str, kind: Kind, subscriber_id: int, now: datetime, message: str | None = None
) -> bool:
    """Queue one mail in the caller's transaction; False when a mail with that key is already queued or sent."""
    dialect_insert: Any = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(outbox).values(
        key=key,
        kind=kind,
        subscriber_id=subscriber_id,
        message=message,
        status="queued",
        created_at=now,
        next_attempt_at=now,
        attempts=0,
    )
    # RETURNING, not rowcount: PostgreSQL's driver reports no row count for an INSERT that returns rows
    inserted = connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]).returning(outbox.c.id))
    return inserted.scalar_one_or_none() is not None


def claim(engine: Engine, now: datetime, *, limit: int = 20, lease: timedelta = LEASE) -> list[Mail]:
    """Take up to `limit` due mails for this sender until `now + lease`; no other sender gets them meanwhile."""
    due = (
        select(outbox.c.id)
        .where(
            (outbox.c.status == "queued")
            & (outbox.c.next_attempt_at <= now)
            & or_(outbox.c.locked_until.is_(None), outbox.c.locked_until <= now)
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: rows another instance is claiming are skipped, not waited on
        .scalar_subquery()
    )
    statement = (
        update(outbox)
        .where(outbox.c.id.in_(due))
        .values(locked_until=now + lease, attempts=outbox.c.attempts + 1)
        .returning(
            outbox.c.id,
            outbox.c.key,
            outbox.c.kind,
            outbox.c.subscriber_id,
            outbox.c.message,
            outbox.c.attempts,
            outbox.c.created_at,
        )
    )
    with engine.begin() as connection:
        rows = connection.execute(statement).all()
    mails = [
        Mail(int(r.id), r.key, r.kind, int(r.subscriber_id), r.message, int(r.attempts), _aware(r.created_at))
        for r in rows
    ]
    return sorted(mails, key=lambda m: m.id)


def mark_sent(engine: Engine, mail_id: int, now: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == mail_id)
            .values(status="sent", sent_at=now, locked_until=None, message=None, last_error=None)
        )


def mark_dropped(engine: Engine, mail_id: int, reason: str) -> None:
    """Not to be sent any more (the person confirmed, left or was erased meanwhile)."""
    with engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == mail_id)
            .values(status="dropped", locked_until=None, message=None, last_error=reason[:200])
        )


def mark_failed_attempt(engine: Engine, mail: Mail, now: datetime, error: str, *, permanent: bool) -> str:
    """Record a failed attempt: try again later, or give up (a permanent refusal, or `GIVE_UP_AFTER` passed)."""
    give_up = permanent or now - mail.created_at >= GIVE_UP_AFTER
    values: dict[str, Any] = {"locked_until": None, "last_error": error[:200]}
    if give_up:
        values["status"] = "failed"
    else:
        values["next_attempt_at"] = now + backoff(mail.attempts)
    with engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.id == mail.id).values(**values))
    return "failed" if give_up else "retry"


def has_recent_confirmation(connection: Connection, subscriber_id: int, since: datetime) -> bool:
    """A confirmation for this person is still queued, or was sent after `since`."""
    query = (
        select(func.count())
        .select_from(outbox)
        .where(
            (outbox.c.subscriber_id == subscriber_id)
            & (outbox.c.kind == "confirm")
            & or_(outbox.c.status == "queued", and_(outbox.c.status == "sent", outbox.c.sent_at >= since))
        )
    )
    return bool(connection.execute(query).scalar_one())


def confirmation_queued(connection: Connection, subscriber_id: int) -> bool:
    query = (
        select(func.count())
        .select_from(outbox)
        .where((outbox.c.subscriber_id == subscriber_id) & (outbox.c.kind == "confirm") & (outbox.c.status == "queued"))
    )
    return bool(connection.execute(query).scalar_one())


def stats(engine: Engine, now: datetime) -> OutboxStats:
    with engine.connect() as connection:
        queued, retrying, oldest = connection.execute(
            select(
                func.count(),
                func.count().filter(outbox.c.attempts > 0),
                func.min(outbox.c.created_at),
            ).where(outbox.c.status == "queued")
        ).one()
        failed = connection.execute(
            select(func.count()).select_from(outbox).where(outbox.c.status == "failed")
        ).scalar_one()
        last_error = connection.execute(
            select(outbox.c.last_error)
            .where(outbox.c.last_error.is_not(None) & (outbox.c.status.in_(("queued", "failed"))))
            .order_by(outbox.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    age = None if oldest is None else max((now - _aware(oldest)).total_seconds(), 0.0)
    return OutboxStats(int(queued), int(retrying), int(failed), age, last_error)


def erase_subscriber(connection: Connection, subscriber_id: int) -> None:
    connection.execute(delete(outbox).where(outbox.c.subscriber_id == subscriber_id))


def purge_done(connection: Connection, before: datetime) -> int:
    """Forget sent and dropped mails created before `before` (failed ones stay for the owner to see)."""
    result = connection.execute(
        delete(outbox).where(outbox.c.status.in_(("sent", "dropped")) & (outbox.c.created_at < before))
    )
    return int(result.rowcount or 0)
