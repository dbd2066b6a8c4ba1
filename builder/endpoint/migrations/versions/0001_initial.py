"""The first schema: clicks, subscribers, rate limits, visitor salts.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "clicks",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("item_id", sa.String(20), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("page", sa.String(512), nullable=False),
        sa.Column("referrer_host", sa.String(253), nullable=False),
        sa.Column("visitor", sa.String(32), nullable=False),
        sa.Column("is_bot", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
    )
    op.create_index("ix_clicks_day", "clicks", ["day"])
    op.create_table(
        "subscribers",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("email_key", sa.String(320), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirm_nonce", sa.String(64), nullable=True),
        sa.Column("confirm_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_ip_hash", sa.String(64), nullable=True),
        sa.Column("request_ip_hash", sa.String(64), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,  # ids are never reused: an old unsubscribe link cannot reach a new person
    )
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("window_start", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "visitor_salts",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("visitor_salts")
    op.drop_table("rate_limits")
    op.drop_table("subscribers")
    op.drop_index("ix_clicks_day", table_name="clicks")
    op.drop_table("clicks")
