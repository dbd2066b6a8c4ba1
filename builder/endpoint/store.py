"""The database: every read and write of the endpoint, with SQLAlchemy Core, the same code for SQLite and
PostgreSQL.

Every write runs in its own transaction and returns only after the commit, so an acknowledged request
survives the
process being killed. SQLite runs in WAL mode with `synchronous=FULL` (a commit is on disk when it returns).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, case, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from . import outbox
from .schema import clicks, rate_limits, subscribers, visitor_salts
from .schema import outbox as outbox_table
from .settings import sqlite_path


class ReadOnlyDatabase(Exception):
    pass


@dataclass(frozen=True)
class ClickRow:
    occurred_at: datetime
    item_id: str
    category: str
    page: str
    referrer_host: str
    visitor: str
    is_bot: bool
    source: str

    def as_params(self) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at,
            "day": self.occurred_at.date(),
            "item_id": self.item_id,
            "category": self.category,
            "page": self.page,
            "referrer_host": self.referrer_host,
            "visitor": self.visitor,
            "is_bot": self.is_bot,
            "source": self.source,
        }


@dataclass(frozen=True)
class SubscribeOutcome:
    """What a subscribe request did; the HTTP answer is the same for all of them (nothing is revealed)."""

    action: Literal["queued", "already_queued", "already_confirmed"]
    subscriber_id: int
    nonce: str | None


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    status: str
    created_at: datetime
    confirmed_at: datetime | None
    consent_ip_hash: str | None


@dataclass(frozen=True)
class PendingConfirmation:
    subscriber_id: int
    email: str
    nonce: str
    requested_at: datetime


@dataclass(frozen=True)
class DigestReader:
    subscriber_id: int
    email: str
    frequency: str
    categories: frozenset[str] | None  # None: every category
    last_digest_at: datetime | None
    confirmed_at: datetime | None


ConfirmResult = Literal["confirmed", "already_confirmed", "invalid"]


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine with the durability settings this endpoint relies on."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            _create_private(path)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=4,
            hide_parameters=True,  # a database error's text must not carry an address or a hash into a log
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_size=pool_size, max_overflow=4, pool_pre_ping=True, hide_parameters=True)


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives the -wal and -shm files the same mode):
    it holds addresses and consent records."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._salt_lock = threading.Lock()
        self._salt: tuple[date, str] | None = None

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def _upsert(self) -> Any:
        return pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert

    # -- health
    # ---------------------------------------------------------------------------------------------------
    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def check_writable(self) -> None:
        """Raise unless the database would take a write now (a read-only file or a read-only replica would not)."""
        with self.engine.connect() as connection:
            if self.engine.dialect.name == "postgresql":
                if connection.execute(text("SHOW transaction_read_only")).scalar_one() == "on":
                    raise ReadOnlyDatabase("the database is read-only")
                return
            # a write that changes nothing, rolled back: SQLite refuses it on a read-only file, directory or mount
            connection.execute(delete(visitor_salts).where(text("0 = 1")))
            connection.rollback()

    # -- clicks
    # ---------------------------------------------------------------------------------------------------
    def insert_clicks(self, rows: Sequence[ClickRow]) -> None:
        """Insert clicks in one transaction; returns after the commit."""
        if not rows:
            return
        with self.engine.begin() as connection:
            connection.execute(insert(clicks), [row.as_params() for row in rows])

    def visitor_salt(self, today: date) -> str:
        """Today's random salt, shared by every instance through the database; yesterday's and older are
        erased."""
        cached = self._salt
        if cached is not None and cached[0] == today:
            return cached[1]
        with self._salt_lock:
            if self._salt is not None and self._salt[0] == today:
                return self._salt[1]
            with self.engine.begin() as connection:
                statement = self._upsert()(visitor_salts).values(day=today, salt=secrets.token_hex(32))
                connection.execute(statement.on_conflict_do_nothing(index_elements=["day"]))
                salt = connection.execute(select(visitor_salts.c.salt).where(visitor_salts.c.day == today)).scalar_one()
                connection.execute(delete(visitor_salts).where(visitor_salts.c.day < today - timedelta(days=1)))
            self._salt = (today, str(salt))
            return str(salt)

    def click_stats(self, since: date) -> dict[str, list[tuple[str, int]]]:
        """Human clicks since a day: by day, by category, by item (most first)."""
        human = (clicks.c.is_bot.is_(False)) & (clicks.c.day >= since)
        out: dict[str, list[tuple[str, int]]] = {}
        with self.engine.connect() as connection:
            for name, column, order_by_count in (
                ("day", clicks.c.day, False),
                ("category", clicks.c.category, True),
                ("item", clicks.c.item_id, True),
            ):
                count = func.count().label("n")
                query = select(column, count).where(human).group_by(column)
                query = query.order_by(count.desc(), column) if order_by_count else query.order_by(column)
                out[name] = [(str(key), int(n)) for key, n in connection.execute(query)]
            bots = connection.execute(
                select(func.count()).select_from(clicks).where(clicks.c.is_bot.is_(True) & (clicks.c.day >= since))
            ).scalar_one()
        out["bots"] = [("bots", int(bots))]
        return out

    # -- rate limits
    # ----------------------------------------------------------------------------------------------
    def hit_rate_limit(self, key: str, window: int) -> int:
        """Count one attempt for `key` in fixed window `window`; returns the attempts so far in that
        window."""
        statement = (
            self._upsert()(rate_limits)
            .values(key=key, window_start=window, count=1)
            .on_conflict_do_update(
                index_elements=["key"],
                # the same window: one more; a newer window: start again at 1
                set_={
                    "count": case((rate_limits.c.window_start == window, rate_limits.c.count + 1), else_=1),
                    "window_start": window,
                },
            )
            .returning(rate_limits.c.count)
        )
        with self.engine.begin() as connection:
            count = connection.execute(statement).scalar_one()
            if secrets.randbelow(200) == 0:  # now and then, forget windows long gone
                connection.execute(delete(rate_limits).where(rate_limits.c.window_start < window - 48))
        return int(count)

    # -- subscribers
    # ----------------------------------------------------------------------------------------------
    def subscribe(
        self,
        email: str,
        email_key: str,
        ip_hash: str,
        now: datetime,
        *,
        confirm_ttl: timedelta = timedelta(hours=48),
        resend_after: timedelta = timedelta(minutes=10),
    ) -> SubscribeOutcome:
        """Store the address once and queue its confirmation mail in the same transaction.

        While a confirmation link is still valid, asking again keeps that link (so every mail sent for it works)
        and queues another mail only if none is waiting and the last one went out more than `resend_after` ago:
        a double submit gives one mail whose link works."""
        nonce = secrets.token_urlsafe(24)
        with self.engine.begin() as connection:
            statement = self._upsert()(subscribers).values(
                email=email,
                email_key=email_key,
                status="pending",
                created_at=now,
                updated_at=now,
                confirm_nonce=nonce,
                confirm_requested_at=now,
                request_ip_hash=ip_hash,
            )
            connection.execute(statement.on_conflict_do_nothing(index_elements=["email_key"]))
            # FOR UPDATE: two submits of one address at once are serialized here (PostgreSQL; SQLite has one writer)
            row = connection.execute(
                select(
                    subscribers.c.id,
                    subscribers.c.status,
                    subscribers.c.confirm_nonce,
                    subscribers.c.confirm_requested_at,
                )
                .where(subscribers.c.email_key == email_key)
                .with_for_update()
            ).one()
            subscriber_id = int(row.id)
            if row.status == "confirmed":
                return SubscribeOutcome("already_confirmed", subscriber_id, None)
            if row.confirm_nonce != nonce:  # it was there before
                requested = row.confirm_requested_at
                still_valid = (
                    row.status == "pending"
                    and row.confirm_nonce is not None
                    and requested is not None
                    and _aware(requested) > now - confirm_ttl
                )
                if still_valid and outbox.has_recent_confirmation(connection, subscriber_id, now - resend_after):
                    return SubscribeOutcome("already_queued", subscriber_id, row.confirm_nonce)
                if still_valid:
                    nonce = row.confirm_nonce
                connection.execute(
                    update(subscribers)
                    .where(subscribers.c.id == subscriber_id)
                    .values(
                        status="pending",
                        email=email,
                        confirm_nonce=nonce,
                        confirm_requested_at=now,
                        request_ip_hash=ip_hash,
                        updated_at=now,
                    )
                )
            outbox.enqueue(
                connection,
                key=f"confirm:{subscriber_id}:{secrets.token_hex(8)}",
                kind="confirm",
                subscriber_id=subscriber_id,
                now=now,
            )
        return SubscribeOutcome("queued", subscriber_id, nonce)

    def confirmation_target(self, subscriber_id: int) -> PendingConfirmation | None:
        """What a confirmation mail needs, read when it is sent; None when the person is no longer pending."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(
                    subscribers.c.email,
                    subscribers.c.status,
                    subscribers.c.confirm_nonce,
                    subscribers.c.confirm_requested_at,
                ).where(subscribers.c.id == subscriber_id)
            ).one_or_none()
        if row is None or row.status != "pending" or not row.confirm_nonce or row.confirm_requested_at is None:
            return None
        return PendingConfirmation(
            subscriber_id, str(row.email), str(row.confirm_nonce), _aware(row.confirm_requested_at)
        )

    def subscriber_email(self, subscriber_id: int, status: str) -> str | None:
        with self.engine.connect() as connection:
            email = connection.execute(
                select(subscribers.c.email).where(
                    (subscribers.c.id == subscriber_id) & (subscribers.c.status == status)
                )
            ).scalar_one_or_none()
        return None if email is None else str(email)

    def pending(self) -> list[PendingConfirmation]:
        """Sign-ups not confirmed yet, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    subscribers.c.id,
                    subscribers.c.email,
                    subscribers.c.confirm_nonce,
                    subscribers.c.confirm_requested_at,
                )
                .where(subscribers.c.status == "pending")
                .order_by(subscribers.c.confirm_requested_at, subscribers.c.id)
            ).all()
        return [
            PendingConfirmation(int(r.id), str(r.email), str(r.confirm_nonce or ""), _aware(r.confirm_requested_at))
            for r in rows
            if r.confirm_requested_at is not None
        ]

    def resend_confirmation(self, subscriber_id: int, now: datetime) -> bool:
        """Queue a new confirmation mail for a pending sign-up (a fresh link window; an unsent one is not doubled)."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(subscribers.c.status, subscribers.c.confirm_nonce)
                .where(subscribers.c.id == subscriber_id)
                .with_for_update()
            ).one_or_none()
            if row is None or row.status != "pending":
                return False
            if outbox.confirmation_queued(connection, subscriber_id):
                return False
            connection.execute(
                update(subscribers)
                .where(subscribers.c.id == subscriber_id)
                .values(confirm_nonce=row.confirm_nonce or secrets.token_urlsafe(24), confirm_requested_at=now)
            )
            return outbox.enqueue(
                connection,
                key=f"confirm:{subscriber_id}:{secrets.token_hex(8)}",
                kind="confirm",
                subscriber_id=subscriber_id,
                now=now,
            )

    def digest_readers(self) -> list[DigestReader]:
        """Confirmed subscribers with their digest preferences."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(
                    subscribers.c.id,
                    subscribers.c.email,
                    subscribers.c.frequency,
                    subscribers.c.categories,
                    subscribers.c.last_digest_at,
                    subscribers.c.confirmed_at,
                )
                .where(subscribers.c.status == "confirmed")
                .order_by(subscribers.c.id)
            ).all()
        readers = []
        for r in rows:
            chosen = json.loads(r.categories) if r.categories else None
            readers.append(
                DigestReader(
                    int(r.id),
                    str(r.email),
                    str(r.frequency),
                    frozenset(chosen) if isinstance(chosen, list) else None,
                    _aware(r.last_digest_at) if r.last_digest_at else None,
                    _aware(r.confirmed_at) if r.confirmed_at else None,
                )
            )
        return readers

    def queue_digest(self, subscriber_id: int, key: str, message: str, now: datetime) -> bool:
        """Queue one digest and note it as the person's last, in one transaction; False if that edition was
        queued for them before (running `newsletter send` twice sends nothing twice)."""
        with self.engine.begin() as connection:
            if not outbox.enqueue(
                connection, key=key, kind="digest", subscriber_id=subscriber_id, now=now, message=message
            ):
                return False
            connection.execute(
                update(subscribers)
                .where((subscribers.c.id == subscriber_id) & (subscribers.c.status == "confirmed"))
                .values(last_digest_at=now)
            )
            return True

    def set_preferences(self, subscriber_id: int, frequency: str, categories: list[str] | None, now: datetime) -> bool:
        with self.engine.begin() as connection:
            result = connection.execute(
                update(subscribers)
                .where((subscribers.c.id == subscriber_id) & (subscribers.c.status == "confirmed"))
                .values(
                    frequency=frequency,
                    categories=None if categories is None else json.dumps(sorted(categories)),
                    updated_at=now,
                )
            )
            return bool(result.rowcount == 1)

    def preferences(self, subscriber_id: int) -> tuple[str, frozenset[str] | None] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(subscribers.c.frequency, subscribers.c.categories).where(
                    (subscribers.c.id == subscriber_id) & (subscribers.c.status == "confirmed")
                )
            ).one_or_none()
        if row is None:
            return None
        chosen = json.loads(row.categories) if row.categories else None
        return str(row.frequency), (frozenset(chosen) if isinstance(chosen, list) else None)

    def confirm(self, subscriber_id: int, nonce: str, ip_hash: str, now: datetime) -> ConfirmResult:
        """Confirm with the single-use nonce of the latest confirmation link."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(subscribers)
                .where(
                    (subscribers.c.id == subscriber_id)
                    & (subscribers.c.confirm_nonce == nonce)
                    & (subscribers.c.status == "pending")
                )
                .values(
                    status="confirmed",
                    confirm_nonce=None,
                    confirmed_at=now,
                    consent_ip_hash=ip_hash,
                    unsubscribed_at=None,
                    updated_at=now,
                )
            )
            if result.rowcount == 1:
                return "confirmed"
        return "invalid"

    def unsubscribe(self, subscriber_id: int, now: datetime) -> bool:
        """Unsubscribe in one step; True when the person was on the list (pending or confirmed)."""
        with self.engine.begin() as connection:
            result = connection.execute(
                update(subscribers)
                .where((subscribers.c.id == subscriber_id) & (subscribers.c.status != "unsubscribed"))
                .values(status="unsubscribed", confirm_nonce=None, unsubscribed_at=now, updated_at=now)
            )
            return result.rowcount == 1

    def confirmed_subscribers(self) -> Iterator[Subscriber]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(subscribers).where(subscribers.c.status == "confirmed").order_by(subscribers.c.id)
            )
            for row in rows:
                yield _subscriber(row._mapping)

    def delete_subscriber(self, email_key: str, rate_limit_keys: Sequence[str] = ()) -> bool:
        """Erase a person: their row, their queued and sent mails, and the rate-limit counters keyed by their
        address (`rate_limit_keys`, which need the secret key to compute) and by the IPs stored with them."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(subscribers.c.id, subscribers.c.request_ip_hash, subscribers.c.consent_ip_hash).where(
                    subscribers.c.email_key == email_key
                )
            ).one_or_none()
            if row is None:
                return False
            keys = set(rate_limit_keys)
            keys.update(f"sub-ip:{h}" for h in (row.request_ip_hash, row.consent_ip_hash) if h)
            if keys:
                connection.execute(delete(rate_limits).where(rate_limits.c.key.in_(sorted(keys))))
            outbox.erase_subscriber(connection, int(row.id))
            connection.execute(delete(subscribers).where(subscribers.c.id == row.id))
            return True

    def purge(self, now: datetime, *, confirm_ttl: timedelta, unsubscribed_after: timedelta) -> dict[str, int]:
        """Erase what is no longer needed: sign-ups never confirmed within the link's lifetime, addresses that
        left more than `unsubscribed_after` ago, and sent mails older than a week."""
        counts: dict[str, int] = {}
        with self.engine.begin() as connection:
            for name, condition in (
                (
                    "pending",
                    (subscribers.c.status == "pending") & (subscribers.c.confirm_requested_at < now - confirm_ttl),
                ),
                (
                    "unsubscribed",
                    (subscribers.c.status == "unsubscribed")
                    & (subscribers.c.unsubscribed_at < now - unsubscribed_after),
                ),
            ):
                ids = [int(i) for i in connection.execute(select(subscribers.c.id).where(condition)).scalars()]
                for chunk in range(0, len(ids), 500):
                    part = ids[chunk : chunk + 500]
                    connection.execute(delete(outbox_table).where(outbox_table.c.subscriber_id.in_(part)))
                    connection.execute(delete(subscribers).where(subscribers.c.id.in_(part)))
                counts[name] = len(ids)
            counts["mails"] = outbox.purge_done(connection, now - timedelta(days=7))
        return counts


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def _subscriber(row: RowMapping) -> Subscriber:
    return Subscriber(
        id=int(row["id"]),
        email=str(row["email"]),
        status=str(row["status"]),
        created_at=row["created_at"],
        confirmed_at=row["confirmed_at"],
        consent_ip_hash=row["consent_ip_hash"],
    )
