"""The database: every read and write of the endpoint, with SQLAlchemy Core, the same code for SQLite and
PostgreSQL.

Every write runs in its own transaction and returns only after the commit, so an acknowledged request
survives the
process being killed. SQLite runs in WAL mode with `synchronous=FULL` (a commit is on disk when it returns).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, case, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from .schema import clicks, rate_limits, subscribers, visitor_salts
from .settings import sqlite_path


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

    action: Literal["send_confirmation", "already_confirmed"]
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


ConfirmResult = Literal["confirmed", "already_confirmed", "invalid"]


def make_engine(url: str, *, pool_size: int = 8) -> Engine:
    """An engine with the durability settings this endpoint relies on."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
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
    def subscribe(self, email: str, email_key: str, ip_hash: str, now: datetime) -> SubscribeOutcome:
        """Store the address once; a pending or unsubscribed address gets a fresh confirmation nonce."""
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
            row = connection.execute(
                select(subscribers.c.id, subscribers.c.status, subscribers.c.confirm_nonce).where(
                    subscribers.c.email_key == email_key
                )
            ).one()
            if row.status == "confirmed":
                return SubscribeOutcome("already_confirmed", int(row.id), None)
            if row.confirm_nonce != nonce:  # it was there before: a new link replaces the old one
                connection.execute(
                    update(subscribers)
                    .where(subscribers.c.id == row.id)
                    .values(
                        status="pending",
                        email=email,
                        confirm_nonce=nonce,
                        confirm_requested_at=now,
                        request_ip_hash=ip_hash,
                        updated_at=now,
                    )
                )
        return SubscribeOutcome("send_confirmation", int(row.id), nonce)

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

    def delete_subscriber(self, email_key: str) -> bool:
        """Erase a person (rate-limit counters hold only keyed hashes and expire within two days)."""
        with self.engine.begin() as connection:
            result = connection.execute(delete(subscribers).where(subscribers.c.email_key == email_key))
            return result.rowcount == 1


def _subscriber(row: RowMapping) -> Subscriber:
    return Subscriber(
        id=int(row["id"]),
        email=str(row["email"]),
        status=str(row["status"]),
        created_at=row["created_at"],
        confirmed_at=row["confirmed_at"],
        consent_ip_hash=row["consent_ip_hash"],
    )
