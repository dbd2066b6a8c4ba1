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
    Text,
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
    Column("frequency", String(10), nullable=False, server_default="weekly"),  # weekly | daily (the digest)
    Column("categories", Text, nullable=True),  # JSON list of category slugs chosen; NULL: every category
    Column("last_digest_at", DateTime(timezone=True), nullable=True),  # listings newer than this go in the next one
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

outbox = Table(
    "outbox",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    # One mail, one key: queuing the same mail twice is a no-op, and the Message-ID is derived from it, so a mail
    # retried after a crash is the same mail to the receiving server.
    Column("key", String(120), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # confirm | digest
    Column("subscriber_id", _BigId, nullable=False),  # erased with the person
    Column("message", Text, nullable=True),  # digests: the whole mail; confirmations: composed when sent
    Column("status", String(10), nullable=False),  # queued | sent | failed | dropped
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),  # an instance is sending it until then
    Column("attempts", Integer, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(200), nullable=True),  # an error class and SMTP code, never an address
    Index("ix_outbox_due", "status", "next_attempt_at"),
    Index("ix_outbox_subscriber", "subscriber_id"),
)
