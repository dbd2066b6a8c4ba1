"""The database tables, declared once with SQLAlchemy Core (the migrations create exactly these)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

clicks = Table(
    "clicks",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),  # UTC day, so stats group the same on every database
    Column("item_id", String(20), nullable=False),
    Column("category", String(100), nullable=False),
    Column("page", String(512), nullable=False),
    Column("referrer_host", String(253), nullable=False),
    Column("visitor", String(32), nullable=False),  # keyed hash with a daily salt; never the IP
    Column("is_bot", Boolean, nullable=False),
    Column("source", String(10), nullable=False),  # "beacon" or "go"
    Index("ix_clicks_day", "day"),
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),  # normalized address as the person wrote it
    Column("email_key", String(320), nullable=False, unique=True),  # case-folded: one row per address
    Column("status", String(16), nullable=False),  # pending | confirmed | unsubscribed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("confirm_nonce", String(64), nullable=True),  # the one confirmation link that works; NULL once used
    Column("confirm_requested_at", DateTime(timezone=True), nullable=True),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),  # consent time (proof)
    Column("consent_ip_hash", String(64), nullable=True),  # keyed hash of the confirming IP (proof)
    Column("request_ip_hash", String(64), nullable=True),  # keyed hash of the IP that asked to subscribe
    Column("unsubscribed_at", DateTime(timezone=True), nullable=True),
    sqlite_autoincrement=True,  # ids are never reused: an old unsubscribe link cannot reach a new person
)

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(80), primary_key=True),  # "<scope>:<keyed hash>", never a raw IP or address
    Column("window_start", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
)

visitor_salts = Table(
    "visitor_salts",
    metadata,
    Column("day", Date, primary_key=True),
    Column("salt", String(64), nullable=False),  # random; deleted after two days, so old hashes cannot be redone
)
